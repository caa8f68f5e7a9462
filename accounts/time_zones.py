"""Time zones: one list for every picker and one check for every service (users, tenants)."""

import zoneinfo
from functools import cache

from core.exceptions import ValidationFailed


@cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def choices(*, blank_label: str | None = None) -> list[tuple[str, str]]:
    """Form choices; with ``blank_label`` an empty first choice (meaning "the default")."""
    named = [(name, name.replace("_", " ")) for name in zone_names()]
    return ([("", blank_label)] if blank_label is not None else []) + named


def validate_time_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed("Unknown time zone.", fields={"time_zone": [f"Unknown time zone '{name}'."]})
