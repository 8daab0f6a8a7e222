"""Cron ticks in a time zone (across daylight saving changes) and the catch-up policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from engine.automation.cron import MAX_CATCH_UP, CronSchedule, catch_up


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_ticks_are_wall_clock_times_in_the_zone_as_utc() -> None:
    schedule = CronSchedule("30 9 * * *", "Asia/Shanghai")
    ticks = schedule.ticks_between(utc(2026, 3, 1, 0, 0), utc(2026, 3, 3, 12, 0))
    assert ticks == [utc(2026, 3, 1, 1, 30), utc(2026, 3, 2, 1, 30), utc(2026, 3, 3, 1, 30)]
    assert all(tick.tzinfo is UTC for tick in ticks)


def test_the_window_excludes_after_and_includes_until() -> None:
    schedule = CronSchedule("0 * * * *", "UTC")
    assert schedule.ticks_between(utc(2026, 3, 2, 1), utc(2026, 3, 2, 3)) == [
        utc(2026, 3, 2, 2),
        utc(2026, 3, 2, 3),
    ]
    assert schedule.ticks_between(utc(2026, 3, 2, 3), utc(2026, 3, 2, 1)) == []
    late = utc(2026, 3, 2, 1, 59, 59, 999_999)
    assert schedule.ticks_between(late, utc(2026, 3, 2, 2)) == [utc(2026, 3, 2, 2)]


def test_other_offsets_are_read_as_the_same_moments() -> None:
    schedule = CronSchedule("0 12 * * *", "UTC")
    beijing = timezone(timedelta(hours=8))
    after = datetime(2026, 3, 1, 19, 0, tzinfo=beijing)  # 11:00 UTC
    ticks = schedule.ticks_between(after, utc(2026, 3, 2, 12))
    assert ticks == [utc(2026, 3, 1, 12), utc(2026, 3, 2, 12)]


def test_weekdays_and_steps() -> None:
    schedule = CronSchedule("0 9 * * mon", "Asia/Shanghai")
    ticks = schedule.ticks_between(utc(2026, 3, 1), utc(2026, 3, 20))
    assert ticks == [utc(2026, 3, 2, 1), utc(2026, 3, 9, 1), utc(2026, 3, 16, 1)]
    quarter = CronSchedule("*/15 * * * *", "UTC")
    assert len(quarter.ticks_between(utc(2026, 3, 2), utc(2026, 3, 3))) == 96


def test_a_skipped_wall_time_fires_once_at_the_jump() -> None:
    # 8 March 2026, New York: 02:00 EST jumps to 03:00 EDT (07:00 UTC)
    schedule = CronSchedule("30 2 * * *", "America/New_York")
    ticks = schedule.ticks_between(utc(2026, 3, 7, 12), utc(2026, 3, 9, 12))
    assert ticks == [utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)]
    hourly = CronSchedule("0 * * * *", "America/New_York")
    day = hourly.ticks_between(utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))
    assert len(day) == 23  # the day has 23 hours
    assert day == sorted(set(day))


def test_a_repeated_wall_time_fires_once_unless_every_hour() -> None:
    # 1 November 2026, New York: 02:00 EDT falls back to 01:00 EST (06:00 UTC)
    daily = CronSchedule("30 1 * * *", "America/New_York")
    ticks = daily.ticks_between(utc(2026, 10, 31, 12), utc(2026, 11, 2, 12))
    assert ticks == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    hourly = CronSchedule("0 * * * *", "America/New_York")
    day = hourly.ticks_between(utc(2026, 11, 1, 4), utc(2026, 11, 2, 5))
    assert len(day) == 25  # the day has 25 hours: 01:00 twice
    assert utc(2026, 11, 1, 5) in day and utc(2026, 11, 1, 6) in day


def test_europe_changes_on_its_own_date() -> None:
    # 29 March 2026, Berlin: 02:00 CET jumps to 03:00 CEST (01:00 UTC)
    schedule = CronSchedule("0 8 * * *", "Europe/Berlin")
    ticks = schedule.ticks_between(utc(2026, 3, 28), utc(2026, 3, 30))
    assert ticks == [utc(2026, 3, 28, 7), utc(2026, 3, 29, 6)]


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("* * *", "has 3 field(s), cron needs five"),
        ("0 9 * * * 2026", "has 6 field(s)"),
        ("75 9 * * *", "'75 9 * * *'"),
        ("0 9 * * someday", "'0 9 * * someday'"),
        ("0 9 31 2 *", "no date ever matches it"),
        ("", "has 0 field(s)"),
    ],
)
def test_bad_expressions_are_refused_clearly(expr: str, words: str) -> None:
    with pytest.raises(ValueError, match="bad cron expression") as raised:
        CronSchedule(expr, "UTC")
    assert words in str(raised.value)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Asia/Beijing'"):
        CronSchedule("0 9 * * *", "Asia/Beijing")


def test_naive_moments_are_refused() -> None:
    schedule = CronSchedule("0 9 * * *", "UTC")
    with pytest.raises(ValueError, match="after must be an aware datetime"):
        schedule.ticks_between(datetime(2026, 3, 2), utc(2026, 3, 3))


HOURS = [utc(2026, 3, 2, h) for h in range(1, 11)]
NOW = utc(2026, 3, 2, 10, 1)


def test_all_fires_every_missed_tick_oldest_first() -> None:
    plan = catch_up(list(reversed(HOURS)), "all", now=NOW)
    assert plan.fire == tuple(HOURS)
    assert plan.skip == ()


def test_all_fires_at_most_the_newest_thousand() -> None:
    minutes = [utc(2026, 3, 1) + timedelta(minutes=m) for m in range(1, 1_201)]
    plan = catch_up(minutes, "all", now=minutes[-1])
    assert len(plan.fire) == MAX_CATCH_UP == 1_000
    assert plan.fire == tuple(minutes[200:])
    assert plan.skip == tuple(minutes[:200])


def test_latest_fires_only_the_newest() -> None:
    plan = catch_up(HOURS, "latest", now=NOW)
    assert plan.fire == (HOURS[-1],)
    assert plan.skip == tuple(HOURS[:-1])


def test_none_fires_only_a_tick_within_the_grace() -> None:
    assert catch_up(HOURS, "none", now=NOW).fire == (HOURS[-1],)
    late = catch_up(HOURS, "none", now=NOW + timedelta(minutes=5))
    assert late.fire == ()
    assert late.skip == tuple(HOURS)
    wide = catch_up(HOURS, "none", now=NOW, grace=timedelta(hours=2, minutes=1))
    assert wide.fire == tuple(HOURS[-3:])


def test_nothing_due_fires_nothing() -> None:
    for policy in ("all", "latest", "none"):
        plan = catch_up([], policy, now=NOW)
        assert (plan.fire, plan.skip) == ((), ())


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown catch-up policy 'some': use one of all"):
        catch_up(HOURS, "some", now=NOW)
