"""Business time across weekends, holidays and both DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from routing_world import PARIS, paris

from routing import BusinessHours, add_business_time, business_time_between, is_open

SPLIT = BusinessHours.from_text("Europe/Paris", "mon-thu 09:00-12:00,14:00-18:00; fri 09:00-12:00")
NEW_YORK = BusinessHours.from_text("America/New_York", "mon-fri 08:00-17:00; sat 10:00-14:00")
NIGHT_SHIFT = BusinessHours.from_text("Europe/Paris", "mon-sun 00:00-04:00,22:00-24:00")
ALL_DAY_WITH_HOLIDAY = BusinessHours("Europe/Paris", holidays=frozenset({date(2024, 3, 31)}))


@pytest.mark.parametrize(
    ("start", "delta", "hours", "expected"),
    [
        pytest.param(paris(2024, 3, 12, 10), timedelta(hours=2), PARIS, paris(2024, 3, 12, 12), id="same-day"),
        pytest.param(
            paris(2024, 3, 8, 17),
            timedelta(hours=2),
            PARIS,
            paris(2024, 3, 11, 10),
            id="friday-17h-plus-2h-is-monday-10h",
        ),
        pytest.param(paris(2024, 3, 9, 11), timedelta(hours=1), PARIS, paris(2024, 3, 11, 10), id="from-saturday"),
        pytest.param(paris(2024, 3, 12, 7), timedelta(hours=1), PARIS, paris(2024, 3, 12, 10), id="before-opening"),
        pytest.param(
            paris(2024, 3, 12, 17), timedelta(hours=1), PARIS, paris(2024, 3, 12, 18), id="ends-exactly-at-closing"
        ),
        pytest.param(paris(2024, 4, 30, 17), timedelta(hours=2), PARIS, paris(2024, 5, 2, 10), id="may-day-holiday"),
        pytest.param(
            paris(2024, 3, 29, 17), timedelta(hours=2), PARIS, paris(2024, 4, 1, 10), id="dst-spring-forward-weekend"
        ),
        pytest.param(
            paris(2024, 10, 25, 17), timedelta(hours=2), PARIS, paris(2024, 10, 28, 10), id="dst-fall-back-weekend"
        ),
        pytest.param(
            paris(2024, 3, 30, 23),
            timedelta(hours=5),
            BusinessHours("Europe/Paris"),
            paris(2024, 3, 31, 5),
            id="dst-spring-24-7-wall-clock-skips",
        ),
        pytest.param(
            paris(2024, 3, 30, 23),
            timedelta(hours=5),
            ALL_DAY_WITH_HOLIDAY,
            paris(2024, 4, 1, 4),
            id="24-7-with-holiday",
        ),
        pytest.param(paris(2024, 3, 12, 11), timedelta(hours=2), SPLIT, paris(2024, 3, 12, 15), id="lunch-break"),
        pytest.param(paris(2024, 3, 15, 11), timedelta(hours=2), SPLIT, paris(2024, 3, 18, 10), id="short-friday"),
        pytest.param(
            datetime(2024, 3, 9, 15, 30, tzinfo=UTC),
            timedelta(hours=1),
            NEW_YORK,
            datetime(2024, 3, 9, 16, 30, tzinfo=UTC),
            id="new-york-saturday",
        ),
        pytest.param(
            datetime(2024, 3, 8, 22, tzinfo=UTC),
            timedelta(hours=1),
            NEW_YORK,
            datetime(2024, 3, 9, 16, tzinfo=UTC),
            id="new-york-friday-close",
        ),
        pytest.param(
            datetime(2024, 3, 9, 18, 30, tzinfo=UTC),
            timedelta(hours=1),
            NEW_YORK,
            datetime(2024, 3, 11, 12, 30, tzinfo=UTC),
            id="new-york-dst-monday-edt",
        ),
        pytest.param(
            paris(2024, 3, 12, 23), timedelta(hours=2), NIGHT_SHIFT, paris(2024, 3, 13, 1), id="across-midnight"
        ),
        pytest.param(paris(2024, 3, 12, 10), timedelta(hours=3), None, paris(2024, 3, 12, 13), id="no-hours-is-24-7"),
        pytest.param(paris(2024, 3, 9, 10), timedelta(0), PARIS, paris(2024, 3, 9, 10), id="zero-stays-put"),
    ],
)
def test_add_business_time(start: datetime, delta: timedelta, hours: BusinessHours | None, expected: datetime) -> None:
    result = add_business_time(start, delta, hours)
    assert result == expected
    assert result.tzinfo is UTC
    assert business_time_between(start, result, hours) == delta


@pytest.mark.parametrize(
    ("a", "b", "hours", "expected"),
    [
        pytest.param(paris(2024, 3, 8, 17), paris(2024, 3, 11, 10), PARIS, timedelta(hours=2), id="over-weekend"),
        pytest.param(
            paris(2024, 3, 29, 9), paris(2024, 4, 1, 18), PARIS, timedelta(hours=18), id="spring-forward-days-keep-9h"
        ),
        pytest.param(
            paris(2024, 10, 25, 9), paris(2024, 10, 28, 18), PARIS, timedelta(hours=18), id="fall-back-days-keep-9h"
        ),
        pytest.param(
            paris(2024, 3, 31, 0),
            paris(2024, 4, 1, 0),
            BusinessHours("Europe/Paris"),
            timedelta(hours=23),
            id="spring-forward-day-is-23h",
        ),
        pytest.param(
            paris(2024, 10, 27, 0),
            paris(2024, 10, 28, 0),
            BusinessHours("Europe/Paris"),
            timedelta(hours=25),
            id="fall-back-day-is-25h",
        ),
        pytest.param(
            paris(2024, 3, 11, 10), paris(2024, 3, 8, 17), PARIS, -timedelta(hours=2), id="backwards-is-negative"
        ),
        pytest.param(paris(2024, 5, 1, 9), paris(2024, 5, 1, 18), PARIS, timedelta(0), id="holiday-counts-nothing"),
    ],
)
def test_business_time_between(a: datetime, b: datetime, hours: BusinessHours | None, expected: timedelta) -> None:
    assert business_time_between(a, b, hours) == expected


@pytest.mark.parametrize(
    ("at", "hours", "expected"),
    [
        pytest.param(paris(2024, 3, 12, 9), PARIS, True, id="opening-minute"),
        pytest.param(paris(2024, 3, 12, 18), PARIS, False, id="closing-minute"),
        pytest.param(paris(2024, 3, 9, 12), PARIS, False, id="saturday"),
        pytest.param(paris(2024, 5, 1, 12), PARIS, False, id="holiday"),
        pytest.param(paris(2024, 3, 31, 12), PARIS, False, id="dst-sunday"),
        pytest.param(paris(2024, 4, 2, 17, 59), PARIS, True, id="summer-time-local"),
        pytest.param(paris(2024, 3, 9, 3), None, True, id="none-is-always-open"),
    ],
)
def test_is_open(at: datetime, hours: BusinessHours | None, expected: bool) -> None:
    assert is_open(at, hours) is expected


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        add_business_time(datetime(2024, 3, 12, 10), timedelta(hours=1), PARIS)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("fun 09:00-18:00", "not a day", id="bad-day"),
        pytest.param("mon 9h-18h", "not an opening-hours clause", id="bad-range"),
        pytest.param("mon 18:00-09:00", "closing time must come after", id="backwards-range"),
        pytest.param("mon 09:00-25:00", "not a time of day", id="bad-time"),
    ],
)
def test_bad_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessHours.from_text("Europe/Paris", spec)


def test_a_day_range_may_wrap_the_week_and_always_is_every_hour() -> None:
    assert BusinessHours.from_text("UTC", "fri-mon 09:00-18:00").week == (
        ((540, 1080),),
        (),
        (),
        (),
        ((540, 1080),),
        ((540, 1080),),
        ((540, 1080),),
    )
    assert BusinessHours.from_text("UTC", "24/7").week == (((0, 1440),),) * 7


def test_never_open_hours_fail_instead_of_looping() -> None:
    all_holidays = frozenset(date(2024, 1, 1) + timedelta(days=n) for n in range(4000))
    hours = BusinessHours("UTC", holidays=all_holidays)
    with pytest.raises(ValueError, match="no opening hours"):
        add_business_time(datetime(2024, 1, 1, tzinfo=UTC), timedelta(hours=1), hours)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    delta=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    hours=st.sampled_from([PARIS, SPLIT, NEW_YORK, NIGHT_SHIFT, ALL_DAY_WITH_HOLIDAY, None]),
)
def test_adding_then_measuring_gives_back_the_delta(
    start: datetime, delta: timedelta, hours: BusinessHours | None
) -> None:
    end = add_business_time(start, delta, hours)
    assert end >= start
    assert business_time_between(start, end, hours) == delta
