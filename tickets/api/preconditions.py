"""Optimistic concurrency over HTTP: the ticket's version is its ETag, ``If-Match`` guards writes.

``If-Match`` is optional. When sent, it is evaluated as RFC 9110 (13.1.1) says: ``*``
or a list of entity tags, true when one of them strongly matches the ticket's current
ETag. When false (stale, weak-only or not an entity tag at all) the write is refused
with 412 and nothing changes; the services re-check the version under the row lock, so a
race between this early check and the write still cannot lose an update.
"""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from core.exceptions import StaleVersion, TicketError

# One list element: a (possibly weak) entity tag, or a bare version number (accepted as its tag
# for clients that drop the quotes), followed by a comma or the end.
_ELEMENT = re.compile(r'[ \t]*(?:(?P<weak>W/)?"(?P<opaque>[^"]*)"|(?P<bare>\d+))[ \t]*(?:,|$)')

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='Optional. The ETag from your last read (e.g. `"3"`), or a list of them. If none of them is the '
                "ticket's current ETag (it changed since, or the value is not an ETag), the request is refused "
                "with 412 and nothing is changed. `*` matches any version.",
)


class MalformedPrecondition(TicketError):
    """If-Match that names no entity tag: a condition that cannot be true, so 412 (RFC 9110)."""

    status_code = 412
    code = "invalid_precondition"


def _strong_tags(header: str) -> list[str] | None:
    """The strong opaque tags of an If-Match list (weak ones never match a write); None if malformed."""
    tags, position = [], 0
    while position < len(header):
        match = _ELEMENT.match(header, position)
        if match is None or match.end() == position:
            return None
        if match["bare"] is not None:
            tags.append(match["bare"])
        elif not match["weak"]:
            tags.append(match["opaque"])
        position = match.end()
    return tags if position and tags is not None else None


def expected_version(request, ticket) -> int | None:
    """The version the write must still find, from ``If-Match``; None when absent or ``*``.

    Refuses (412) before the body is validated, so a stale client learns that first. Any versioned
    row works (a CI too): it is named by its number, or else as it prints.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tags = _strong_tags(header.strip())
    if tags is None:
        raise MalformedPrecondition(
            'If-Match must be one or more ETags as returned by the API, e.g. "3" (or * for any version).',
            fields={"If-Match": [f"Not a valid ETag: {header!r}."]},
        )
    current = str(ticket.version)
    if current not in tags:
        had = ", ".join(tags) or "only weak ETags"
        raise StaleVersion(
            f"{getattr(ticket, 'number', None) or ticket} was changed by someone else (version {current}, you had {had}). "
            "Reload it and apply your change again."
        )
    return ticket.version
