"""The app's working calendar (`calendar:` in app.yaml): every listed day exists (R140),
and no day is both a holiday and a working day (R141)."""

from __future__ import annotations

from engine.expr.calendar import WEEKEND, date_problem
from engine.spec.check_context import CheckContext
from engine.spec.model import CalendarDaySpec

__all__ = ["check_calendar"]


def check_calendar(ctx: CheckContext) -> None:
    """R140 for a day that does not exist, R141 for a day in both lists."""
    calendar = ctx.app.calendar
    for day in (*calendar.holidays, *calendar.workdays):
        problem = date_problem(day.text)
        if problem is not None:
            ctx.error("R140", problem, day.loc, hint="write a day that exists, as YYYY-MM-DD")
    holidays = {found: spec for spec in calendar.holidays if (found := spec.day) is not None}
    for spec in calendar.workdays:
        found = spec.day
        if found is not None and found in holidays:
            _both(ctx, spec, holidays[found])


def _both(ctx: CheckContext, workday: CalendarDaySpec, holiday: CalendarDaySpec) -> None:
    weekday = workday.day
    usual = "a weekend day" if weekday is not None and weekday.weekday() in WEEKEND else "a weekday"
    ctx.error(
        "R141",
        f"{workday.text} is listed both as a holiday and as a working day",
        workday.loc,
        hint=f"it is {usual}: keep it in `holidays` if it is not worked, in `workdays` if it is",
    )
