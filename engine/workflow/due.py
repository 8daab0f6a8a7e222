"""When an approval step is due: a delay after entering it, or a date field plus an offset."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from engine.spec.model_workflow import DueSpec

__all__ = ["due_at"]


def due_at(
    due: DueSpec | None, entered_at: datetime, values: Mapping[str, Any], timezone: tzinfo
) -> datetime | None:
    """The step's due time, or None (no due time, or the date field is empty). A date field
    means the end of that day in the app's time zone."""
    if due is None:
        return None
    if due.after is not None:
        return entered_at + due.after
    if due.field is None:
        return None
    value = values.get(due.field)
    offset = due.offset or timedelta(0)
    if isinstance(value, datetime):
        return value + offset
    if isinstance(value, date):
        end_of_day = datetime.combine(value + timedelta(days=1), time(0), tzinfo=timezone)
        return end_of_day + offset
    return None
