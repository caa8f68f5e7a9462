"""How SLA durations are written and read by people: "4h", "1h 30m", "27h" (never days of business time)."""

from __future__ import annotations

import re

from django.utils.dateparse import parse_duration as parse_iso_duration

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_WORDS = {"day": "d", "days": "d", "hour": "h", "hours": "h", "hr": "h", "hrs": "h", "min": "m", "mins": "m",
               "minute": "m", "minutes": "m", "sec": "s", "secs": "s", "second": "s", "seconds": "s"}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
DURATION_HELP = "e.g. 30m, 4h, 1h 30m or PT4H; 1d counts as 24 hours of business time."


def parse_duration(text: str) -> int:
    """Seconds from "4h 30m", "2d", "90m", "PT4H" / "P1DT2H" (ISO 8601) or a bare number of seconds.

    Raises ValueError with a message for people.
    """
    text = (text or "").strip().lower()
    if not text:
        raise ValueError("Give a duration, e.g. 4h.")
    if text.isdigit():
        return int(text)
    if text.startswith("p"):
        parsed = parse_iso_duration(text.upper())
        if parsed is None:
            raise ValueError(f"'{text.upper()}' is not an ISO 8601 duration (e.g. PT4H, P1DT2H).")
        return int(parsed.total_seconds())
    seconds, rest = 0.0, text
    for number, unit in _PART.findall(text):
        unit = _UNIT_WORDS.get(unit, unit)
        if unit not in _UNITS:
            raise ValueError(f"'{unit}' is not a unit: use d, h, m or s (e.g. 1h 30m).")
        seconds += float(number) * _UNITS[unit]
    rest = _PART.sub("", text).replace(",", " ").strip()
    if rest or not _PART.search(text):
        raise ValueError(f"'{text}' is not a duration ({DURATION_HELP})")
    return int(round(seconds))


def format_duration(seconds: float | None, *, exact: bool = True) -> str:
    """Business time in hours and minutes: 14400 -> "4h", 5400 -> "1h 30m", 97200 -> "27h".

    Never days: a "day" of business time (24 working hours) reads as one calendar day to most
    people, while it is three days of an office calendar. Seconds only when ``exact`` (form
    values, which must survive a round trip) or under a minute.
    """
    if seconds is None:
        return ""
    seconds = int(round(abs(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if not hours and not minutes:
        return f"{secs}s"
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs and exact else ""]
    return " ".join(p for p in parts if p)
