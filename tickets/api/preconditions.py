"""Optimistic concurrency over HTTP: the ticket's version is its ETag, ``If-Match`` guards writes.

``If-Match`` is optional. When sent and stale the write is refused with 412 and
nothing changes; the services re-check the version under the row lock, so a
race between this early check and the write still cannot lose an update.
"""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from tickets.exceptions import StaleVersion, TicketError

_ETAG = re.compile(r'^"?(\d+)"?$')

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='Optional. The ETag from your last read (e.g. `"3"`). If the ticket changed since, '
                "the request is refused with 412 and nothing is changed. `*` matches any version.",
)


class MalformedPrecondition(TicketError):
    status_code = 400
    code = "invalid_precondition"


def expected_version(request) -> int | None:
    """The version the caller expects, from ``If-Match``; None when absent or ``*``."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    value = header.strip()
    if value == "*":
        return None
    match = _ETAG.match(value)
    if match is None:
        raise MalformedPrecondition(
            'If-Match must be exactly one ETag as returned by the API, e.g. "3" (or * for any version).',
            fields={"If-Match": [f"Not a valid ETag: {header!r}."]},
        )
    return int(match.group(1))


def check_version(ticket, expected: int | None) -> None:
    """Refuse early, before validating the body, so a stale client learns that first."""
    if expected is not None and ticket.version != expected:
        raise StaleVersion(
            f"{ticket.number} was changed by someone else (version {ticket.version}, you had {expected}). "
            "Reload it and apply your change again."
        )
