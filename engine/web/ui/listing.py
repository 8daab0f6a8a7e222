"""The home page (the app's entities as cards) and an entity's list page: the spec's views
as a switcher (kanban and calendar views hand over to `kanban` / `calendar_view`), a
`filter` box in the expression language (its problems shown inline),
sorting by column header, and keyset pagination with next / previous.

Previous pages are reached by carrying the cursors already passed in the URL (`back`),
so paging stays keyset-based in both directions and the server keeps no state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template, request, url_for

from engine.errors import BadRequest
from engine.runtime.record import Record
from engine.spec.model import SYSTEM_FIELDS, EntitySpec, FieldSpec, ViewSpec
from engine.web.i18n import label, translate
from engine.web.ui.blueprint import bp, entity_or_404, page, readable_entities
from engine.web.ui.calendar_view import render_calendar
from engine.web.ui.display import record_title
from engine.web.ui.kanban import render_board

__all__ = ["home", "list_records"]

DEFAULT_PAGE_SIZE = 50
SYSTEM_LABELS = {name: f"system.{name}" for name in SYSTEM_FIELDS}


@dataclass(frozen=True)
class Column:
    """A list column: field name, header text, spec (None for system columns)."""

    name: str
    title: str
    field: FieldSpec | None


@bp.route("/")
def home() -> str:
    """The app's entities the user may see, as cards."""
    current = page()
    entities = readable_entities(current.engine, current.actor)
    cards = [
        {
            "entity": entity,
            "can_create": current.engine.permissions.can_create(current.actor, entity.name),
        }
        for entity in entities
    ]
    return render_template("ui/home.html", cards=cards)


def _view(entity: EntitySpec) -> ViewSpec | None:
    views = entity.views
    chosen = request.args.get("view")
    if chosen is not None and chosen in views:
        return views[chosen]
    for view in views.values():
        if view.default:
            return view
    return next(iter(views.values()), None)


def _column_names(entity: EntitySpec, view: ViewSpec | None) -> list[str]:
    if view is None:
        return [n for n, f in entity.fields.items() if f.type not in ("subform", "long_text")][:6]
    if view.columns:
        return list(view.columns)
    if view.type == "kanban":
        return [*view.card, *([view.group_by] if view.group_by else [])]
    if view.type == "calendar":
        return [n for n in (view.title_field, view.date_field) if n]
    return [n for n in entity.fields][:6]


def _columns(entity: EntitySpec, view: ViewSpec | None) -> list[Column]:
    current = page()
    permissions = current.engine.permissions
    columns = []
    for name in _column_names(entity, view):
        field = entity.fields.get(name)
        if field is None and name in SYSTEM_FIELDS:
            columns.append(Column(name, translate(SYSTEM_LABELS[name]), None))
        elif (
            field is not None
            and permissions.field_access(current.actor, entity.name, name) != "none"
        ):
            columns.append(Column(name, label(field.label, name), field))
    return columns


def _filters(view: ViewSpec | None, typed: str) -> str | None:
    parts = [view.filter.text] if view is not None and view.filter is not None else []
    if typed.strip():
        parts.append(typed.strip())
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)


def _sort(view: ViewSpec | None) -> list[str]:
    chosen = request.args.get("sort", "").strip()
    if chosen:
        return [chosen]
    if view is None:
        return []
    return [f"-{s.field}" if s.descending else s.field for s in view.sort]


def _url(entity: EntitySpec, **changes: Any) -> str:
    args: dict[str, Any] = {k: request.args.getlist(k) for k in request.args}
    args = {k: (v if len(v) > 1 or k == "back" else v[0]) for k, v in args.items()}
    args.update(changes)
    args = {k: v for k, v in args.items() if v not in (None, "", [])}
    return url_for("ui.list_records", entity=entity.name, **args)


@bp.route("/e/<entity>")
def list_records(entity: str) -> Any:
    """A page of the entity's records in the chosen view."""
    spec = entity_or_404(entity)
    current = page()
    view = _view(spec)
    typed = request.args.get("filter", "")
    sort = _sort(view)
    special = _special_view(spec, view, typed, sort)
    if special is not None:
        return special
    columns = _columns(spec, view)
    cursor = request.args.get("cursor") or None
    back = request.args.getlist("back")
    size = (view.page_size if view is not None else None) or DEFAULT_PAGE_SIZE
    error = None
    try:
        result = current.engine.records.list(
            current.actor,
            entity,
            filter=_filters(view, typed),
            sort=sort,
            limit=size,
            cursor=cursor,
        )
        records, next_cursor = list(result.records), result.next_cursor
    except BadRequest as problem:
        error, records, next_cursor = str(problem), [], None
    rows = _rows(spec, columns, records)
    links = {
        "next": _url(spec, cursor=next_cursor, back=[*back, cursor or ""]) if next_cursor else None,
        "previous": _url(spec, cursor=back[-1] or None, back=back[:-1]) if back else None,
    }
    sort_key = sort[0] if sort else ""
    sort_links = {
        c.name: _url(
            spec, sort=(f"-{c.name}" if sort_key == c.name else c.name), cursor=None, back=[]
        )
        for c in columns
    }
    return render_template(
        "ui/list.html", entity=spec, view=view, columns=columns, rows=rows, filter_text=typed,
        error=error, links=links, sort_key=sort_key, sort_links=sort_links,
        can_create=current.engine.permissions.can_create(current.actor, entity),
        view_links={
            n: _url(spec, view=n, cursor=None, back=[], sort=None, layout=None, month=None)
            for n in spec.views
        },
    )  # fmt: skip


def _special_view(
    spec: EntitySpec, view: ViewSpec | None, typed: str, sort: list[str]
) -> str | None:
    """The kanban board or month calendar of a view of that type (None: a table). With
    `layout=table` such a view is shown as a table of its records (the board's *more*)."""
    if view is None or view.type not in ("kanban", "calendar"):
        return None
    if request.args.get("layout") == "table":
        return None
    current = page()
    context = {
        "entity": spec, "view": view, "filter_text": typed, "error": None, "sort": sort,
        "combined_filter": _filters(view, typed),
        "can_create": current.engine.permissions.can_create(current.actor, spec.name),
        "view_links": {n: _url(spec, view=n, cursor=None, back=[], sort=None, month=None)
                       for n in spec.views},
    }  # fmt: skip
    if view.type == "kanban":
        return render_board(spec, view, context)
    return render_calendar(spec, view, context)


def _rows(spec: EntitySpec, columns: list[Column], records: list[Record]) -> list[dict[str, Any]]:
    """The table rows: record id, title and each column's cell."""
    page().presenter.preload_links(spec, [r.values for r in records])
    return [
        {
            "id": record.id,
            "title": record_title(spec, record.values, record.id),
            "cells": [
                (column, _cell(spec, column, record.values.get(column.name), record))
                for column in columns
            ],
        }
        for record in records
    ]


def _cell(spec: EntitySpec, column: Column, value: Any, record: Record) -> dict[str, Any]:
    presenter = page().presenter
    if column.field is None:
        raw = getattr(record, column.name, value)
        return {"text": presenter.text(None, raw), "color": None}
    color = None
    if column.field.type in ("select", "state") and value is not None:
        color = presenter.option_color(column.field, value, spec) or "gray"
    return {"text": presenter.text(column.field, value, spec), "color": color}
