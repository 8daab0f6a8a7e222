"""Grouped widgets (bar, line, pie, funnel, leaderboard): the group key in SQL, the label
of each group, and the order of the groups.

One statement per widget: the records are aggregated per key in a subquery, and only the
groups — a handful of rows — are joined to what names them: a user's display name, a
team's name, the title of a linked record (when the viewer may read that record and its
title; `#id` otherwise). Select and state fields are named by their options' labels in the
viewer's language and ordered as the options are; dates are grouped into day, week (from
the app's `week_start`), month, quarter or year buckets computed in SQL (a datetime's
bucket is that of its day in the app's time zone), ordered in time, and the buckets
between the first and the last one that hold no record are shown empty (0 for a count or
a sum), so a trend line has no silent holes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.expr import EvalContext, ValueType
from engine.expr.calendar import end_of_period, quarter_of
from engine.runtime.dashboard_query import Column, Measure, WidgetProblem, WidgetSource
from engine.runtime.dashboard_results import Point
from engine.spec.model import Label, label_text
from engine.spec.model_dashboard import GroupBySpec, WidgetSpec
from engine.storage.shapes import ShapeKind
from engine.storage.sql_functions import BUILTIN_SQL, SqlCall, text_key

__all__ = [
    "BUCKETS",
    "EMPTY_LABEL",
    "LEADERBOARD_LIMIT",
    "GroupOrder",
    "Grouping",
    "group_order",
    "group_points",
    "grouping_of",
]

Clause = ColumnElement[Any]
BUCKETS = ("day", "week", "month", "quarter", "year")
LEADERBOARD_LIMIT = 10
EMPTY_LABEL = "—"
"""The label of the group of records that have no value."""
_BUCKET_SQL = {
    "week": "start_of_week",
    "month": "start_of_month",
    "quarter": "start_of_quarter",
    "year": "start_of_year",
}
_RANKED = frozenset({"leaderboard"})


@dataclass(frozen=True)
class Grouping:
    """What a widget's records are grouped by.

    `kind`: `choice` (select / state: `choices` are the options, in order, with their
    labels), `user`, `team`, `link` (`target` entity, `title` field shown), `bucket`
    (a date period), or `plain` (the value itself names the group)."""

    field: str
    kind: str
    key: Clause
    bucket: str | None = None
    choices: tuple[tuple[str, Label], ...] = ()
    target: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class GroupOrder:
    """Groups by their aggregate (`by_value`) or by their key, either direction; `limit`
    the most groups shown (None: all)."""

    by_value: bool
    descending: bool
    limit: int | None


def grouping_of(source: WidgetSource, group_by: GroupBySpec, context: EvalContext) -> Grouping:
    """The grouping of a widget over `source` (WidgetProblem when the viewer may not read
    the field, or it cannot be grouped by)."""
    column = source.column(group_by.field, "group by")
    kind = column.kind
    if group_by.bucket is not None or kind in (ShapeKind.DATE, ShapeKind.DATETIME):
        if kind not in (ShapeKind.DATE, ShapeKind.DATETIME):
            raise WidgetProblem(
                f"'{source.entity}.{column.name}' is not a date: it has no {group_by.bucket}s"
            )
        bucket = group_by.bucket or "day"
        if bucket not in BUCKETS:
            raise WidgetProblem(f"'{bucket}' is not a period ({', '.join(BUCKETS)})")
        return Grouping(column.name, "bucket", _bucket_key(column, bucket, context), bucket)
    if kind is ShapeKind.USER:
        return Grouping(column.name, "user", column.clause)
    if kind is ShapeKind.TEAM:
        return Grouping(column.name, "team", column.clause)
    if kind is ShapeKind.LINK:
        return _link_grouping(source, column)
    choices = _choices(source, column)
    if choices:
        return Grouping(column.name, "choice", column.clause, choices=choices)
    return Grouping(column.name, "plain", column.clause)


def _bucket_key(column: Column, bucket: str, context: EvalContext) -> Clause:
    """The first day of the value's bucket, in SQL (the built-in calendar functions: the
    same on both databases, the week from the app's week start, a datetime's local day)."""
    moment = column.kind is ShapeKind.DATETIME
    call = SqlCall(context, (ValueType.DATETIME if moment else ValueType.DATE,), ValueType.DATE)
    if bucket == "day":
        return call.day([column.clause], 0) if moment else column.clause
    return BUILTIN_SQL[_BUCKET_SQL[bucket]](call, [column.clause])


def _choices(source: WidgetSource, column: Column) -> tuple[tuple[str, Label], ...]:
    """The options of a select field, or the states of a workflow's state field."""
    spec = column.spec
    if spec is None:
        return ()
    if spec.choices:
        return tuple((option.value, option.label) for option in spec.choices)
    workflow = source.compiled.spec.workflow
    if spec.type == "state" and workflow is not None:
        return tuple((name, state.label) for name, state in workflow.states.items())
    return ()


def _link_grouping(source: WidgetSource, column: Column) -> Grouping:
    target = column.spec.link_target if column.spec is not None else None
    if target is None or target not in source.service.runtime.app.entities:
        return Grouping(column.name, "plain", column.clause)
    runtime = source.service.runtime
    spec = runtime.app.entities[target]
    shown = column.spec.option("display") if column.spec is not None else None
    title = shown if isinstance(shown, str) else spec.title_field
    stored = runtime.tables.entity_tables(target).fields.get(title or "")
    readable = (
        title is not None
        and stored is not None
        and stored.has_column
        and runtime.permissions.field_access(source.actor, target, title) != "none"
    )
    return Grouping(
        column.name, "link", column.clause, target=target, title=title if readable else None
    )


def group_order(widget: WidgetSpec, grouping: Grouping, measure: Measure) -> GroupOrder:
    """The order and limit of a widget's groups: a funnel in option order; a leaderboard
    best first (at most 10 unless it says); otherwise the widget's `sort` — the aggregated
    field (`-amount`: largest first) or the grouped field — else by the grouped field."""
    limit = widget.limit
    if widget.type in _RANKED and limit is None:
        limit = LEADERBOARD_LIMIT
    if widget.type == "funnel" or (widget.sort is None and widget.type not in _RANKED):
        return GroupOrder(False, False, limit)
    if widget.sort is None:
        return GroupOrder(True, True, limit)
    descending = widget.sort.startswith("-")
    name = widget.sort.lstrip("-")
    if name in {measure.field, "value", measure.aggregate} - {None}:
        return GroupOrder(True, descending, limit)
    if name == grouping.field:
        return GroupOrder(False, descending, limit)
    aggregated = f"the aggregated field '{measure.field}' or " if measure.field else ""
    raise WidgetProblem(
        f"cannot sort by '{name}': sort by {aggregated}the grouped field '{grouping.field}'"
    )


def group_statement(
    source: WidgetSource, grouping: Grouping, measure: Measure, order: GroupOrder
) -> sa.Select[Any]:
    """`SELECT key, value, label` of every group, in order: one statement. Groups named
    by other rows (people, teams, linked records) or ordered by option are aggregated in a
    subquery first, so only the groups are joined and ordered; the others are ordered by
    their own columns in the aggregating query itself."""
    key = grouping.key.label("key")
    value = measure.clause.label("value")
    aggregated = (
        sa.select(key, value)
        .where(*source.conditions)
        # by position: the key's SQL, rendered twice, would bind its constants twice, and
        # PostgreSQL then no longer sees GROUP BY and SELECT as the same expression
        .group_by(sa.text("1"))
    )
    if grouping.kind in ("bucket", "plain"):
        # ORDER BY the output columns by name (a bare name is all PostgreSQL accepts)
        statement = aggregated.add_columns(sa.null().label("label"))
        keys: list[Clause] = [sa.literal_column("key")]
        measured: Clause = sa.literal_column("value")
    else:
        grouped = aggregated.subquery("grouped")
        label, joined = _labelled(source, grouping, grouped)
        statement = sa.select(grouped.c.key, grouped.c.value, label.label("label"))
        statement = statement.select_from(joined)
        keys = _key_order(grouping, grouped.c.key, label)
        measured = grouped.c.value
    if order.by_value:
        first = measured.desc() if order.descending else measured.asc()
        terms = [first.nulls_last(), *(term.asc().nulls_last() for term in keys)]
    else:
        terms = [(t.desc() if order.descending else t.asc()).nulls_last() for t in keys]
    statement = statement.order_by(*terms)
    if order.limit is not None and not _fills_gaps(grouping, order):
        statement = statement.limit(order.limit)
    return statement


def _labelled(
    source: WidgetSource, grouping: Grouping, grouped: sa.Subquery
) -> tuple[Clause, sa.FromClause]:
    """The label column of each group and the FROM clause it needs."""
    runtime = source.service.runtime
    system = runtime.tables.system
    if grouping.kind == "user":
        users = system.users.alias("named_user")
        joined = grouped.outerjoin(users, users.c.username == grouped.c.key)
        return sa.func.coalesce(users.c.display_name, grouped.c.key), joined
    if grouping.kind == "team":
        teams = system.teams.alias("named_team")
        return teams.c.name, grouped.outerjoin(teams, teams.c.id == grouped.c.key)
    if grouping.kind == "link" and grouping.target is not None and grouping.title is not None:
        linked = runtime.tables.entity(grouping.target).alias("linked")
        seen = runtime.permissions.row_filter(source.actor, grouping.target, "read", table=linked)
        on = sa.and_(linked.c.id == grouped.c.key, linked.c.deleted_at.is_(None), seen)
        return linked.c[grouping.title], grouped.outerjoin(linked, on)
    return sa.null(), grouped


def _key_order(grouping: Grouping, key: Clause, label: Clause) -> list[Clause]:
    """What orders the groups by their key: option order, names, or the key itself."""
    if grouping.kind == "choice":
        ranks = {value: index for index, (value, _) in enumerate(grouping.choices)}
        return [sa.case(ranks, value=key, else_=len(ranks)), text_key(key)]
    if grouping.kind in ("user", "team") or (grouping.kind == "link" and grouping.title):
        return [text_key(label) if isinstance(label.type, sa.String) else label, key]
    return [key]


def _fills_gaps(grouping: Grouping, order: GroupOrder) -> bool:
    return grouping.kind == "bucket" and not order.by_value


def group_points(
    rows: Iterable[Sequence[Any]],
    grouping: Grouping,
    measure: Measure,
    order: GroupOrder,
    *,
    locale: str,
    first_weekday: int,
) -> tuple[Point, ...]:
    """The points of a grouped widget from its statement's rows."""
    points = [
        Point(key, _label(grouping, key, label, locale), measure.value(value))
        for key, value, label in rows
    ]
    if _fills_gaps(grouping, order):
        points = _filled(points, grouping, measure, order.descending, first_weekday)
        if order.limit is not None:
            points = points[: order.limit]
    return tuple(points)


def _label(grouping: Grouping, key: Any, label: Any, locale: str) -> str:
    if key is None:
        return EMPTY_LABEL
    if grouping.kind == "choice":
        for value, text in grouping.choices:
            if value == key:
                return label_text(text, locale, value)
        return str(key)
    if grouping.kind == "bucket" and isinstance(key, date):
        return bucket_label(key, grouping.bucket or "day")
    if grouping.kind in ("team", "link") and label in (None, ""):
        return f"#{key}"
    if label not in (None, ""):
        return str(label)
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, Decimal):
        return format(key.normalize(), "f")
    return str(key)


def bucket_label(start: date, bucket: str) -> str:
    """How a bucket is named: `2026-03-02` (day; a week by its first day), `2026-03`,
    `2026 Q1`, `2026`."""
    if bucket == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if bucket == "quarter":
        return f"{start.year:04d} Q{quarter_of(start)}"
    if bucket == "year":
        return f"{start.year:04d}"
    return start.isoformat()


def _filled(
    points: list[Point],
    grouping: Grouping,
    measure: Measure,
    descending: bool,
    first_weekday: int,
) -> list[Point]:
    """The points with the empty buckets between the first and the last one added."""
    dated = {point.key: point for point in points if isinstance(point.key, date)}
    if len(dated) < 2:
        return points
    bucket = grouping.bucket or "day"
    day, last = min(dated), max(dated)
    filled: list[Point] = []
    while day <= last:
        found = dated.get(day)
        filled.append(found or Point(day, bucket_label(day, bucket), measure.empty))
        day = _next_bucket(day, bucket, first_weekday)
    if descending:
        filled.reverse()
    return filled + [point for point in points if point.key is None]


def _next_bucket(start: date, bucket: str, first_weekday: int) -> date:
    if bucket == "day":
        return start + timedelta(days=1)
    return end_of_period(start, bucket, first_weekday) + timedelta(days=1)
