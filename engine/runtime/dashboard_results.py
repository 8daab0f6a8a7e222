"""What a dashboard shows once computed: one `WidgetResult` per widget of a
`DashboardSpec`, as plain values (no HTML, no chart objects).

`DashboardService.compute` (engine/runtime/dashboards.py) fills these from SQL run with
the viewer's permissions; the web UI draws them (engine/web/ui/dashboards.py) and the API
encodes them as JSON. Values keep their type: money and numbers as `Decimal`, counts as
`int`, percents as fractions (`Decimal("1.2")` is 120 %); `value_type` says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from engine.spec.model_dashboard import DashboardSpec, WidgetSpec

__all__ = ["DashboardResult", "Point", "TableRow", "WidgetResult"]

Number = Decimal | int


@dataclass(frozen=True)
class Point:
    """One group of a chart or leaderboard: its raw key (a stage value, a username, a team
    id, a bucket's first day), the label shown for it (in the viewer's language) and the
    aggregate (None when the group has no value, e.g. `max` over empty fields)."""

    key: Any
    label: str
    value: Number | None


@dataclass(frozen=True)
class TableRow:
    """One record of a table widget: its id (for the link) and its raw column values."""

    record_id: int
    values: Mapping[str, Any]


@dataclass(frozen=True)
class WidgetResult:
    """A computed widget.

    - `number`, `gauge`: `value` (and `maximum` for a gauge: the spec's `max`, default 1).
    - `bar`, `line`, `pie`, `funnel`, `leaderboard`: `points`, in display order (the spec's
      `sort`, date buckets in time order, funnel in the select field's option order,
      leaderboard best first, cut to `limit`).
    - `table`: `columns` (field names) and `rows`.

    `value_type` is the type of the aggregate (`money`, `number`, `integer`, `percent`);
    for a table it is None. `error` is set (and nothing else) when the widget could not be
    computed; the other widgets still show.
    """

    spec: WidgetSpec
    value_type: str | None
    value: Number | None = None
    maximum: Number | None = None
    points: tuple[Point, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[TableRow, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class DashboardResult:
    """A whole dashboard as one viewer sees it on one day."""

    spec: DashboardSpec
    today: date
    widgets: tuple[WidgetResult, ...] = field(default=())
