"""Calendar periods over a range (`for_each` with `periods:`): clipped to the range, in
order, partitioning it exactly, weeks starting on the app's week start."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from engine.automation.periods import MAX_PERIODS, PERIOD_KINDS, calendar_periods
from engine.expr.calendar import PERIODS

MONDAY, SUNDAY = 0, 6


def spans(start: date, end: date, every: str, first_weekday: int = MONDAY) -> list[str]:
    """The periods as 'MM-DD..MM-DD' (same year) for compact expectations."""
    return [
        f"{p.start:%m-%d}..{p.end:%m-%d}"
        for p in calendar_periods(start, end, every, first_weekday)
    ]


def test_every_kind_offered_is_one_the_calendar_knows() -> None:
    assert set(PERIOD_KINDS) == set(PERIODS)


def test_the_weeks_of_a_month_are_clipped_to_the_month() -> None:
    # March 2026: the 1st is a Sunday, the 31st a Tuesday
    assert spans(date(2026, 3, 1), date(2026, 3, 31), "week") == [
        "03-01..03-01",
        "03-02..03-08",
        "03-09..03-15",
        "03-16..03-22",
        "03-23..03-29",
        "03-30..03-31",
    ]


def test_weeks_start_on_the_given_weekday() -> None:
    assert spans(date(2026, 3, 1), date(2026, 3, 31), "week", SUNDAY) == [
        "03-01..03-07",
        "03-08..03-14",
        "03-15..03-21",
        "03-22..03-28",
        "03-29..03-31",
    ]


def test_quarters_and_months_of_a_year_and_their_fields() -> None:
    quarters = calendar_periods(date(2026, 1, 1), date(2026, 12, 31), "quarter")
    assert [(q.start, q.end) for q in quarters] == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
    ]
    assert [(q.index, q.type) for q in quarters] == [(i, "quarter") for i in (1, 2, 3, 4)]
    months = calendar_periods(date(2026, 1, 1), date(2026, 12, 31), "month")
    assert len(months) == 12 and [m.index for m in months] == list(range(1, 13))
    assert (months[1].start, months[1].end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_a_range_that_does_not_start_on_a_boundary_is_clipped_at_both_ends() -> None:
    assert spans(date(2026, 2, 15), date(2026, 5, 10), "month") == [
        "02-15..02-28",
        "03-01..03-31",
        "04-01..04-30",
        "05-01..05-10",
    ]
    years = calendar_periods(date(2025, 7, 1), date(2027, 6, 30), "year")
    assert [(y.start, y.end) for y in years] == [
        (date(2025, 7, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 6, 30)),
    ]


@pytest.mark.parametrize("every", PERIOD_KINDS)
def test_a_range_inside_one_period_is_that_one_period_clipped(every: str) -> None:
    [only] = calendar_periods(date(2026, 3, 3), date(2026, 3, 4), every)  # a Tuesday, Wednesday
    assert (only.start, only.end, only.index, only.type) == (
        date(2026, 3, 3),
        date(2026, 3, 4),
        1,
        every,
    )


def test_february_of_a_leap_year_has_29_days() -> None:
    [february] = calendar_periods(date(2028, 2, 1), date(2028, 2, 29), "month")
    assert february.end == date(2028, 2, 29)
    quarter = calendar_periods(date(2028, 1, 1), date(2028, 3, 31), "quarter")[0]
    assert (quarter.end - quarter.start).days + 1 == 91
    # the last week of February 2028 runs Monday 28 to Tuesday 29 (clipped)
    assert spans(date(2028, 2, 1), date(2028, 2, 29), "week")[-1] == "02-28..02-29"


@pytest.mark.parametrize("every", PERIOD_KINDS)
@pytest.mark.parametrize("first_weekday", [MONDAY, 2, SUNDAY])
def test_periods_partition_the_range_exactly(every: str, first_weekday: int) -> None:
    start, end = date(2027, 11, 17), date(2029, 3, 3)  # across a leap day and two new years
    periods = calendar_periods(start, end, every, first_weekday)
    assert periods[0].start == start and periods[-1].end == end
    for before, after in pairwise(periods):
        assert after.start == before.end + timedelta(days=1)
    assert sum((p.end - p.start).days + 1 for p in periods) == (end - start).days + 1
    if every == "week":
        assert all(p.start.weekday() == first_weekday for p in periods[1:])


def test_a_single_day_and_an_inverted_range() -> None:
    assert spans(date(2026, 3, 2), date(2026, 3, 2), "week") == ["03-02..03-02"]
    assert calendar_periods(date(2026, 3, 2), date(2026, 3, 1), "month") == []


def test_the_mapping_is_what_expressions_read() -> None:
    [period] = calendar_periods(date(2026, 3, 2), date(2026, 3, 8), "week")
    assert dict(period.as_mapping()) == {
        "start": date(2026, 3, 2),
        "end": date(2026, 3, 8),
        "index": 1,
        "type": "week",
    }


def test_an_unknown_kind_or_an_endless_range_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown period 'day'"):
        calendar_periods(date(2026, 1, 1), date(2026, 2, 1), "day")
    weeks = calendar_periods(
        date(2000, 1, 3), date(2000, 1, 2) + timedelta(weeks=MAX_PERIODS), "week"
    )
    assert len(weeks) == MAX_PERIODS
    with pytest.raises(ValueError, match=f"more than {MAX_PERIODS} periods of a week"):
        calendar_periods(date(2000, 1, 3), date(2000, 1, 3) + timedelta(weeks=MAX_PERIODS), "week")
