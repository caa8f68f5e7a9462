"""core.display writes exactly what the template filters it replaces on hot pages write."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from core.display import LocalDates, compact_age
from core.templatetags.ui import age

# Zones with DST both ways, half-hour and 45-minute offsets, one without an abbreviation ("+04"), and UTC.
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu",
         "Asia/Dubai", "America/St_Johns", "Pacific/Chatham"]
FORMATS = {"iso": "c", "long": "D j M Y, H:i T", "day_time": "D j M, H:i", "short": "d M H:i"}
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31),
                       timezones=st.just(UTC))


def with_filter(value, zone: str, fmt: str) -> str:
    template = engines["django"].from_string("{{ value|date:fmt }}")
    with timezone.override(ZoneInfo(zone)):
        return template.render({"value": value, "fmt": fmt})


@settings(max_examples=300, deadline=None)
@given(value=moments, zone=st.sampled_from(ZONES), method=st.sampled_from(sorted(FORMATS)))
def test_local_dates_match_the_date_filter(value, zone, method):
    with timezone.override(ZoneInfo(zone)):
        ours = getattr(LocalDates(), method)(value)
    assert ours == with_filter(value, zone, FORMATS[method])


@pytest.mark.parametrize("value", [
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),   # 01:30 in New York, twice that night: no zone name
    datetime(2026, 11, 1, 6, 30, tzinfo=UTC),   # the second 01:30
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),     # just after the spring change
    datetime(2026, 3, 10, 15, 0, 0, 123456, tzinfo=UTC),  # microseconds stay in the ISO form
])
def test_daylight_saving_edges_match_the_date_filter(value):
    with timezone.override(ZoneInfo("America/New_York")):
        dates = LocalDates()
        for method, fmt in FORMATS.items():
            assert getattr(dates, method)(value) == with_filter(value, "America/New_York", fmt), method


def test_names_follow_the_active_language():
    value = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    with translation.override("de"), timezone.override(ZoneInfo("Europe/Berlin")):
        assert LocalDates().long(value) == with_filter(value, "Europe/Berlin", FORMATS["long"])
        assert LocalDates().long(value).startswith("Di 10 Mär 2026")


def test_no_value_is_empty():
    dates = LocalDates(ZoneInfo("UTC"))
    assert [getattr(dates, method)(None) for method in FORMATS] == ["", "", "", ""]


@pytest.mark.parametrize("ago, expected", [
    (timedelta(seconds=5), "1m"), (timedelta(minutes=59, seconds=59), "59m"), (timedelta(hours=1), "1h"),
    (timedelta(hours=23, minutes=59), "23h"), (timedelta(days=1), "1d"), (timedelta(days=13, hours=23), "13d"),
    (timedelta(days=14), "2w"), (timedelta(days=400), "57w"), (-timedelta(minutes=5), "1m"),
])
def test_compact_age_is_the_age_filter(ago, expected):
    now = timezone.now()
    assert compact_age(now - ago, now) == expected
    assert compact_age(None, now) == "" == age(None)
