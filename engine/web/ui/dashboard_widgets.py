"""What each computed widget shows on a dashboard page, ready for the template
(`ui/_dashboard_widget.html`): number cards, charts (SVG from `charts`, with the table
of their figures for screen readers), leaderboards and record tables.

A widget with an `error` shows only its message; one with nothing to show says so in its
card; the others still render. Table rows are formatted like list views (the request's
`Presenter`: option labels and colours, people's names, linked records' titles) and link
to their records.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from flask import url_for

from engine.runtime.dashboard_results import WidgetResult
from engine.spec.model import SYSTEM_FIELDS, EntitySpec, label_text
from engine.web.i18n import translate
from engine.web.ui.charts import CHART_TYPES, Chart, chart_has_data, render_chart, table_rows
from engine.web.ui.display import CURRENCY_SYMBOLS, EMPTY, Presenter, record_title
from engine.web.ui.number_format import NumberFormat, to_decimal

__all__ = ["DEFAULT_WIDTHS", "WidgetView", "widget_view"]

DEFAULT_WIDTHS = {"number": 3, "gauge": 3, "line": 12, "table": 12}
"""Grid columns (of 12) of a widget that gives no `width`; other types take half."""


@dataclass(frozen=True)
class Cell:
    """One table cell: text, a badge colour for options and states, a link."""

    text: str
    color: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Rank:
    """One leaderboard line: place, who or what, the figure and the bar's length (%)."""

    place: int
    name: str
    value: str
    exact: str
    bar: float


@dataclass(frozen=True)
class WidgetView:
    """A widget as the page draws it; only the parts of its type are filled."""

    id: str
    type: str
    title: str
    width: int
    error: str | None = None
    empty: bool = False
    figure: str = ""
    exact: str = ""
    chart: Chart | None = None
    figures: list[tuple[str, str]] = field(default_factory=list)
    ranks: list[Rank] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)


def widget_view(result: WidgetResult, presenter: Presenter, locale: str) -> WidgetView:
    """The view of one computed widget for one reader."""
    spec = result.spec
    base = WidgetView(
        spec.id, spec.type, label_text(spec.title, locale, spec.id), _width(spec.width, spec.type)
    )
    if result.error is not None:
        return replace(base, error=result.error)
    fmt = NumberFormat(locale, _currency(result, presenter))
    if spec.type == "number":
        value = to_decimal(result.value)
        return replace(
            base, empty=value is None, figure=fmt.card(value, result.value_type),
            exact=fmt.full(value, result.value_type),
        )  # fmt: skip
    if spec.type in CHART_TYPES:
        if not chart_has_data(result):
            return replace(base, empty=True)
        chart = render_chart(result, title=base.title, fmt=fmt)
        return replace(base, chart=chart, figures=table_rows(result, fmt))
    if spec.type == "leaderboard":
        ranks = _ranks(result, fmt)
        return replace(base, empty=not ranks, ranks=ranks)
    if spec.type == "table" and result.points:  # grouped: one line per group
        headers = [translate("dashboard.group", locale), translate("dashboard.value", locale)]
        rows = [[Cell(p.label), Cell(fmt.full(p.value, result.value_type))] for p in result.points]
        return replace(base, headers=headers, rows=rows)
    if spec.type == "table":
        headers, rows = _table(result, presenter)
        return replace(base, empty=not rows, headers=headers, rows=rows)
    return replace(base, error=translate("dashboard.error", locale))


def _width(width: int | None, kind: str) -> int:
    chosen = width or DEFAULT_WIDTHS.get(kind, 6)
    return max(1, min(chosen, 12))


def _currency(result: WidgetResult, presenter: Presenter) -> str:
    """The symbol of the aggregated money field's currency (else the app's)."""
    app = presenter.engine.app
    entity = app.entities.get(result.spec.entity or "")
    spec_field = entity.fields.get(result.spec.field or "") if entity is not None else None
    currency = (spec_field.option("currency") if spec_field is not None else None) or app.currency
    return CURRENCY_SYMBOLS.get(str(currency), f"{currency} " if currency else "")


def _ranks(result: WidgetResult, fmt: NumberFormat) -> list[Rank]:
    """Best first, as computed; bars relative to the leader (none for values at or below 0)."""
    values = [to_decimal(p.value) for p in result.points]
    top = max((v for v in values if v is not None), default=None)
    ranks = []
    for place, (point, value) in enumerate(zip(result.points, values, strict=True), start=1):
        share = float(value / top * 100) if value is not None and top and top > 0 else 0.0
        ranks.append(
            Rank(
                place=place, name=point.label, value=fmt.card(value, result.value_type),
                exact=fmt.full(value, result.value_type), bar=round(max(share, 0.0), 1),
            )
        )  # fmt: skip
    return ranks


def _table(result: WidgetResult, presenter: Presenter) -> tuple[list[str], list[list[Cell]]]:
    """Headers and rows of a record table; the first cell links to the record."""
    entity = presenter.engine.app.entities.get(result.spec.entity or "")
    if entity is None:
        return [], []
    presenter.preload_links(entity, [row.values for row in result.rows])
    headers = [_header(entity, name, presenter.locale) for name in result.columns]
    rows = []
    for row in result.rows:
        url = url_for("ui.show_record", entity=entity.name, record_id=row.record_id)
        cells = [_cell(entity, name, row.values.get(name), presenter) for name in result.columns]
        if cells:  # the first column links; an empty one shows the record's title
            first = cells[0]
            title = record_title(entity, row.values, row.record_id)
            cells[0] = Cell(first.text if first.text != EMPTY else title, first.color, url)
        rows.append(cells)
    return headers, rows


def _header(entity: EntitySpec, name: str, locale: str) -> str:
    spec_field = entity.fields.get(name)
    if spec_field is not None:
        return label_text(spec_field.label, locale, name)
    if name in SYSTEM_FIELDS:
        return translate(f"system.{name}", locale)
    return name


def _cell(entity: EntitySpec, name: str, value: Any, presenter: Presenter) -> Cell:
    spec_field = entity.fields.get(name)
    if spec_field is None:
        return Cell(presenter.text(None, value))
    color = None
    if spec_field.type in ("select", "state") and value is not None:
        color = presenter.option_color(spec_field, value, entity) or "gray"
    if isinstance(value, Decimal) and _kind(spec_field.type, spec_field.result_type) == "percent":
        return Cell(NumberFormat(presenter.locale).full(value, "percent"))
    return Cell(presenter.text(spec_field, value, entity), color)


def _kind(field_type: str, result_type: str | None) -> str:
    return (result_type or "text") if field_type in ("formula", "rollup") else field_type
