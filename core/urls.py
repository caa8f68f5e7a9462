"""Links for many rows from one ``reverse``: the API list and the desk queue link every row, and a
``reverse`` per row was most of a row's cost there (issue 9)."""

from __future__ import annotations

from typing import Callable
from urllib.parse import quote

from django.utils.http import RFC3986_SUBDELIMS

# Letters and digits only, so it passes the URL patterns' converters ([A-Za-z0-9]+, str).
PLACEHOLDER = "0NUMBER0"
_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what ``reverse`` leaves unquoted in a path argument


def url_maker(reverse: Callable, viewname: str, *, kwarg: str, kwargs: dict | None = None,
              **options) -> Callable[[str], str]:
    """``value -> reverse(viewname, kwargs={**kwargs, kwarg: value}, **options)``, reversed once.

    ``reverse`` is Django's or DRF's (which takes ``request`` and ``format`` for absolute URLs); the
    value is quoted as ``reverse`` quotes a path argument.
    """
    url = reverse(viewname, kwargs={**(kwargs or {}), kwarg: PLACEHOLDER}, **options)
    prefix, suffix = url.split(PLACEHOLDER)
    return lambda value: f"{prefix}{quote(value, safe=_SAFE)}{suffix}"
