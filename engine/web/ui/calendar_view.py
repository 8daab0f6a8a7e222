"""Calendar views (`type: calendar`): a month grid (weeks from Monday) with each record on
the day of its `date_field`, titled by its `title_field` and linking to its page; `month=`
(YYYY-MM) picks the month, *previous* / *next* step through them, today is marked. The
records are read through the record service like the list (row scope, view filter, typed
filter), limited to the month. On a phone the grid becomes a list of the days that have
records (the stylesheet does that; the markup is the same).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, render_template, request, url_for

from engine.errors import BadRequest
from engine.runtime.listing import MAX_LIMIT
from engine.spec.model import EntitySpec, ViewSpec
from engine.web.i18n import translate
from engine.web.ui.blueprint import page
from engine.web.ui.display import record_title

__all__ = ["Day", "month_grid", "render_calendar"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class Day:
    """One cell of the grid: its date, whether it is in the shown month, and its entries."""

    day: date
    in_month: bool
    is_today: bool
    entries: list[dict[str, Any]] = field(default_factory=list)


def month_grid(first: date, today: date) -> list[list[Day]]:
    """The weeks (Monday first) covering the month that starts on `first`."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return [[Day(d, d.month == first.month, d == today) for d in week] for week in weeks]


def _today() -> date:
    engine = page().engine
    now: datetime = engine.clock.now()
    zone = ZoneInfo(engine.app.timezone or "UTC")
    return now.astimezone(zone).date()


def _shown_month(today: date) -> date:
    """The first day of the month asked for (`month=YYYY-MM`), else of this month."""
    match = _MONTH.match(request.args.get("month", ""))
    if match is not None and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1:
        return date(int(match.group(1)), int(match.group(2)), 1)
    return today.replace(day=1)


def _step(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _day_of(value: Any) -> date | None:
    """The calendar day of a date or date-time (in the app's time zone)."""
    if isinstance(value, datetime):
        zone = ZoneInfo(page().engine.app.timezone or "UTC")
        return value.astimezone(zone).date()
    return value if isinstance(value, date) else None


def render_calendar(entity: EntitySpec, view: ViewSpec, context: dict[str, Any]) -> str:
    """The calendar page of `view` for the month asked for."""
    current = page()
    date_field = entity.fields.get(view.date_field or "")
    if date_field is None or date_field.type not in ("date", "datetime"):
        abort(404)
    permissions = current.engine.permissions
    if permissions.field_access(current.actor, entity.name, date_field.name) == "none":
        abort(404)
    today = _today()
    first = _shown_month(today)
    after = _step(first, 1)
    weeks = month_grid(first, today)
    name = date_field.name
    within = f"{name} >= '{first.isoformat()}' and {name} < '{after.isoformat()}'"
    typed = context["combined_filter"]
    condition = within if not typed else f"({typed}) and ({within})"
    error, more = context.get("error"), False
    try:
        found = current.engine.records.list(
            current.actor, entity.name, filter=condition, sort=[name], limit=MAX_LIMIT
        )
        records, more = list(found.records), found.next_cursor is not None
    except BadRequest as problem:
        error, records = str(problem), []
    title_field = entity.fields.get(view.title_field or "")
    if (
        title_field is not None
        and permissions.field_access(current.actor, entity.name, title_field.name) == "none"
    ):
        title_field = None
    presenter = current.presenter
    presenter.preload_links(entity, [r.values for r in records])
    cells = {d.day: d for week in weeks for d in week}
    placed = 0
    for record in records:
        day = _day_of(record.values.get(name))
        if day is None or day not in cells:
            continue
        value = record.values.get(title_field.name) if title_field is not None else None
        title = presenter.text(title_field, value, entity) if value not in (None, "") \
            else record_title(entity, record.values, record.id)  # fmt: skip
        cells[day].entries.append({"id": record.id, "title": title})
        placed += 1
    month_args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "month"}
    links = {
        "previous": url_for("ui.list_records", entity=entity.name, **month_args,
                            month=_step(first, -1).strftime("%Y-%m")),
        "next": url_for("ui.list_records", entity=entity.name, **month_args,
                        month=after.strftime("%Y-%m")),
        "today": url_for("ui.list_records", entity=entity.name, **month_args),
    }  # fmt: skip
    weekdays = [translate(f"calendar.weekday.{i}") for i in range(7)]
    month_title = translate(
        "calendar.month_title", year=first.year, month=first.month,
        month_name=translate(f"calendar.month.{first.month}"),
    )  # fmt: skip
    return render_template(
        "ui/calendar.html", **{**context, "error": error}, weeks=weeks, weekdays=weekdays,
        month_title=month_title, links=links, more=more, shown_month=first.strftime("%Y-%m"),
        is_this_month=first == today.replace(day=1), placed=placed,
    )  # fmt: skip
