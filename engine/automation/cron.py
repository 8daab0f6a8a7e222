"""Cron ticks: when a `schedule` trigger fires, and which missed ticks a catch-up fires.

A `CronSchedule` is a five-field cron expression (minute hour day-of-month month
day-of-week) read as wall-clock time in an IANA time zone. `ticks_between(after, until)`
lists its ticks in (after, until] as aware UTC datetimes, correct across daylight saving
changes:

- a wall-clock time the clock skips (spring forward) fires once, at the moment of the jump
  (`30 2 * * *` fires at 03:00 on that day in America/New_York);
- a wall-clock time the clock repeats (fall back) fires once, at its first occurrence —
  unless the hour field is `*`: a job that runs every hour (or more often) keeps running
  through the repeated hour, as cron does.

`catch_up(ticks, policy)` splits the ticks a worker finds due into those to fire and those
to pass over, by the trigger's `catch_up` option:

- `all` — every missed tick, oldest first; at most `MAX_CATCH_UP` (1,000): when more were
  missed, only the newest 1,000 fire and the older ones are passed over;
- `latest` — only the newest tick;
- `none` — nothing missed: only ticks not older than `grace` (default 2 minutes) when the
  worker looks, i.e. the tick that is due now.

Pure: no database, no clock (the caller passes `now`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter

__all__ = [
    "CATCH_UP_POLICIES",
    "DEFAULT_GRACE",
    "MAX_CATCH_UP",
    "CatchUp",
    "CatchUpPolicy",
    "CronSchedule",
    "catch_up",
]

CatchUpPolicy = Literal["all", "latest", "none"]
"""How missed ticks are caught up (the `catch_up` option of a `schedule` trigger)."""

CATCH_UP_POLICIES: Final[tuple[str, ...]] = get_args(CatchUpPolicy)
"""Every catch-up policy, the default (`all`) first."""

MAX_CATCH_UP: Final = 1_000
"""The most missed ticks the `all` policy fires at once."""

DEFAULT_GRACE: Final = timedelta(minutes=2)
"""How old a tick may be and still count as due now (the `none` policy)."""

_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_EXAMPLE = "`30 9 * * *`: 09:30 every day"


class CronSchedule:
    """A five-field cron expression in a time zone (ValueError naming what is wrong)."""

    def __init__(self, expr: str, timezone: str) -> None:
        self.expr = expr
        self.timezone = timezone
        self.zone = _zone(timezone)
        fields = expr.split() if isinstance(expr, str) else []
        if len(fields) != len(_FIELDS):
            raise ValueError(
                f"bad cron expression {expr!r}: it has {len(fields)} field(s), cron needs "
                f"five ({' '.join(_FIELDS)}), e.g. {_EXAMPLE}"
            )
        try:
            croniter(expr, datetime(2000, 1, 1, tzinfo=self.zone)).get_next(datetime)
        except CroniterBadDateError:
            raise ValueError(
                f"bad cron expression {expr!r}: no date ever matches it (day {fields[2]} of "
                f"month {fields[3]})"
            ) from None
        except (CroniterError, ValueError, KeyError) as error:
            raise ValueError(
                f"bad cron expression {expr!r}: {error} (fields: {' '.join(_FIELDS)}; "
                f"e.g. {_EXAMPLE})"
            ) from None
        self._every_hour = fields[1] == "*"

    def __repr__(self) -> str:
        return f"CronSchedule({self.expr!r}, {self.timezone!r})"

    def ticks_between(self, after: datetime, until: datetime) -> list[datetime]:
        """The ticks in (after, until], oldest first, as aware UTC datetimes."""
        start, end = _utc(after, "after"), _utc(until, "until")
        ticks: list[datetime] = []
        if end <= start:
            return ticks
        cursor = croniter(self.expr, start.astimezone(self.zone))
        while True:
            tick = cursor.get_next(datetime).astimezone(UTC)
            if tick > end:
                return ticks
            if tick > start and not self._repeated(tick):
                ticks.append(tick)

    def _repeated(self, tick: datetime) -> bool:
        """True for the second occurrence of a wall-clock time the clock repeats (fall
        back), which only every-hour schedules fire."""
        if self._every_hour:
            return False
        local = tick.astimezone(self.zone)
        first = local.replace(fold=0).astimezone(UTC)
        return first != tick


@dataclass(frozen=True)
class CatchUp:
    """The due ticks split by a policy: those to fire (oldest first) and those passed over."""

    fire: tuple[datetime, ...]
    skip: tuple[datetime, ...]


def catch_up(
    ticks: Sequence[datetime],
    policy: str,
    *,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> CatchUp:
    """Which of the due `ticks` (oldest first) fire under `policy` (`all`, `latest`,
    `none`) when the worker looks at `now`; ValueError for another policy."""
    ordered = sorted(ticks)
    if policy == "all":
        cut = max(len(ordered) - MAX_CATCH_UP, 0)
        return CatchUp(tuple(ordered[cut:]), tuple(ordered[:cut]))
    if policy == "latest":
        return CatchUp(tuple(ordered[-1:]), tuple(ordered[:-1]))
    if policy == "none":
        oldest = _utc(now, "now") - grace
        fire = tuple(tick for tick in ordered if tick >= oldest)
        return CatchUp(fire, tuple(tick for tick in ordered if tick < oldest))
    choices = ", ".join(CATCH_UP_POLICIES)
    raise ValueError(f"unknown catch-up policy {policy!r}: use one of {choices}")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Asia/Shanghai'"
        ) from None


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, not {moment.isoformat()}")
    return moment.astimezone(UTC)
