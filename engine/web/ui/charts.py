"""Dashboard charts drawn on the server as inline SVG with pygal: bar, line, pie, funnel and
gauge widgets from their computed `WidgetResult`.

Why this shape (docs/decisions.md, D14): the page stays script-free and offline — pygal's
tooltip script is a CDN reference, so `js=[]`, and the small inline script holding pygal's
config is removed with the comments (they carry links and the date). Text inherits the
page's fonts (CJK included) and the colours are formwork.css's. Every SVG is one image to
assistive technology (`role="img"`, a `<title>` and a `<desc>` summary); the figures
themselves are in a visually hidden table beside it (`table_rows`). Hovering a bar, dot or
slice shows its exact figure (a native SVG `<title>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pygal  # type: ignore[import-untyped]  # pygal ships no type hints
from markupsafe import Markup
from pygal.style import Style  # type: ignore[import-untyped]

from engine.runtime.dashboard_results import Point, WidgetResult
from engine.web.i18n import translate
from engine.web.ui.chart_svg import Filter, accessible, funnel_figures, gauge_frame, pie_total
from engine.web.ui.number_format import NumberFormat, to_decimal

__all__ = [
    "CHART_TYPES",
    "PALETTE",
    "Chart",
    "chart_has_data",
    "render_chart",
    "table_rows",
]

CHART_TYPES = frozenset({"bar", "line", "pie", "funnel", "gauge"})

# formwork.css: the brand blue first, then the badge colours (teal, orange, purple, green,
# red, yellow, grey) and two darker shades for long pies.
PALETTE = (
    "#2456d6", "#15b79e", "#f79009", "#7a5af8", "#12b76a", "#d92d20", "#eaaa08", "#98a2b3",
    "#1a3fa3", "#107569",
)  # fmt: skip
OK_COLOR = "#12b76a"
TEXT, MUTED, LINE = "#1c2430", "#667085", "#e3e6eb"
COLUMN_PX = 95
"""About how wide one of the 12 grid columns is on a desk (1200 px page): the SVG's
viewBox is sized to its widget, so its text shows at its own size there."""

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground=MUTED,
    foreground_strong=TEXT,
    foreground_subtle=LINE,
    font_family="inherit",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
    value_label_font_size=13,
    legend_font_size=14,
    title_font_size=14,
    tooltip_font_size=13,
    no_data_font_size=15,
    guide_stroke_color=LINE,
    major_guide_stroke_color=LINE,
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
    opacity=".9",
    opacity_hover="1",
    stroke_width="2.5",
    stroke_width_hover="3",
    transition="0s",
    colors=PALETTE,
)
DEFAULT_CSS = ("file://style.css", "file://graph.css")
CHART_CSS = f"""
#chart .text-overlay text.value {{ fill: {TEXT}; font-weight: 600; }}
#chart .line-graph .line.reactive:not(.nofill) {{ fill-opacity: .12; }}
#chart .funnel-graph .text-overlay text.value {{ fill: #fff; text-anchor: middle; }}
#chart .funnel-graph .axis .line {{ stroke: none; }}
#chart .text-overlay text.gauge-sum {{ font-size: 34px; font-weight: 700; }}
#chart text.bound {{ font-size: 16px; fill: {MUTED}; }}
#chart .gauge-background {{ fill: #eceef2; }}
#chart .pie-total {{ font-size: 22px; font-weight: 700; fill: {TEXT}; }}
#chart .pie-total-label {{ font-size: 12px; fill: {MUTED}; }}
"""
"""Our additions to pygal's stylesheet (`#chart` becomes the chart's own id, so nothing
leaks into the page): readable values, a light area under lines, white funnel figures,
the gauge's figure large."""
FUNNEL_LABEL_SHARE = Decimal("0.1")
"""A funnel stage shows its figure inside from a tenth of the largest stage on."""
GAUGE_SIZE = 300
GAUGE_VIEW = (5, 80, 290, 180)
"""pygal draws a half gauge in the lower half of a square, centred three quarters down:
the viewBox is cut to the ring, its bounds and its figure (x, y, width, height)."""
_XML_ID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the SVG markup and the size of its viewBox (the page lets it scale)."""

    svg: Markup
    width: int
    height: int


def chart_has_data(widget: WidgetResult) -> bool:
    """Whether there is anything to draw (otherwise the card says "no data")."""
    if widget.spec.type == "gauge":
        return to_decimal(widget.value) is not None
    return any(to_decimal(point.value) is not None for point in widget.points)


def table_rows(widget: WidgetResult, fmt: NumberFormat) -> list[tuple[str, str]]:
    """The figures of a chart as (label, exact value) rows, for the screen-reader table."""
    if widget.spec.type == "gauge":
        label = translate("dashboard.gauge_of", fmt.locale, maximum=_maximum_text(widget, fmt))
        return [(label, fmt.full(widget.value, widget.value_type))]
    return [(p.label, fmt.full(p.value, widget.value_type)) for p in widget.points]


def render_chart(widget: WidgetResult, *, title: str, fmt: NumberFormat) -> Chart:
    """The SVG of a bar, line, pie, funnel or gauge widget (`title` names it to assistive
    technology). Call `chart_has_data` first: an empty chart draws no figures."""
    kind = widget.spec.type
    if kind not in CHART_TYPES:
        raise ValueError(f"{kind!r} is not a chart widget (expected one of {sorted(CHART_TYPES)})")
    width, height = (GAUGE_VIEW[2], GAUGE_VIEW[3]) if kind == "gauge" else _size(widget)
    safe_id = _XML_ID.sub("-", widget.spec.id)
    element_id = f"chart-{safe_id}"
    filters = [accessible(element_id, title, _summary(widget, fmt)), *_finishing(widget, fmt)]
    config: dict[str, Any] = {
        "js": [],
        "disable_xml_declaration": True,
        "width": width,
        "height": height,
        "style": STYLE,
        "show_legend": False,
        "margin": 12,
        "formatter": lambda value: fmt.short(_decimal(value), widget.value_type),
        "value_formatter": lambda value: fmt.short(_decimal(value), widget.value_type),
        "no_data_text": translate("dashboard.no_data", fmt.locale),
        "css": [*DEFAULT_CSS, "inline:" + CHART_CSS.replace("#chart", f"#{element_id}")],
    }
    chart = _DRAW[kind](widget, fmt, config)
    chart.uuid = safe_id  # stable ids (pygal draws a random one): `chart-<widget id>`
    for apply in filters:
        chart.add_xml_filter(apply)
    return Chart(Markup(chart.render()), width, height)


# -- one function per chart type --------------------------------------------------------------


def _bar(widget: WidgetResult, fmt: NumberFormat, config: dict[str, Any]) -> Any:
    points = widget.points
    chart = pygal.Bar(
        **config,
        print_values=len(points) <= 8,
        print_values_position="top",
        x_label_rotation=_rotation(points),
        truncate_label=14,
        rounded_bars=3,
        spacing=16,
        include_x_axis=True,
        max_scale=6,
    )
    chart.x_labels = [p.label for p in points]
    chart.add("", [_value(p, widget, fmt) for p in points])
    return chart


def _line(widget: WidgetResult, fmt: NumberFormat, config: dict[str, Any]) -> Any:
    points = widget.points
    chart = pygal.Line(
        **config,
        fill=len(points) > 1,  # one point has no area under it
        print_values=len(points) <= 6,
        print_values_position="top",
        dots_size=4,
        show_x_guides=False,
        x_label_rotation=_rotation(points),
        truncate_label=14,
        include_x_axis=True,
        max_scale=6,
    )
    chart.x_labels = [p.label for p in points]
    chart.add("", [_value(p, widget, fmt) for p in points])
    return chart


def _pie(widget: WidgetResult, fmt: NumberFormat, config: dict[str, Any]) -> Any:
    total = sum((to_decimal(p.value) or Decimal(0) for p in widget.points), Decimal(0))
    chart = pygal.Pie(
        **{**config, "show_legend": True},
        inner_radius=0.55,
        legend_at_bottom=False,
        truncate_legend=28,
        legend_box_size=12,
    )
    for point in widget.points:
        value = to_decimal(point.value)
        if value is None or value <= 0:
            continue
        share = fmt.short(value / total if total else None, "percent")
        tooltip = f"{point.label}: {fmt.full(value, widget.value_type)} ({share})"
        chart.add(f"{point.label} · {share}", [{"value": float(value), "tooltip": tooltip}])
    return chart


class Funnel(pygal.Funnel):  # type: ignore[misc]  # pygal is untyped
    """pygal's funnel grows its first stage from nothing (a triangle); here each stage runs
    from the previous stage's height to its own, and the first is as tall as itself.
    (pygal names the graph's CSS class after this class: `funnel-graph`.)"""

    def _compute(self) -> None:
        super()._compute()
        first = self.series[0] if self.series else None
        if first is None:
            return
        for j, poly in enumerate(first.points):
            half = (first.values[j] or 0) / 2
            poly[0], poly[1] = (poly[0][0], -half), (poly[1][0], half)


def _funnel(widget: WidgetResult, fmt: NumberFormat, config: dict[str, Any]) -> Any:
    """Stages left to right in order, each as tall as its value (one pygal series per
    stage), the figure inside and the stage's name under it."""
    chart = Funnel(
        **config, show_y_labels=False, show_y_guides=False, truncate_label=16,
        print_values=True, x_label_rotation=_rotation(widget.points),
    )  # fmt: skip
    for point in widget.points:
        chart.add(point.label, [_value(point, widget, fmt)])
    return chart


def _gauge(widget: WidgetResult, fmt: NumberFormat, config: dict[str, Any]) -> Any:
    """A half ring filled to `value` of `maximum`; green from 100 % of a percentage on."""
    value = to_decimal(widget.value) or Decimal(0)
    maximum = to_decimal(widget.maximum) or Decimal(1)
    reached = widget.value_type == "percent" and value >= 1
    chart = pygal.SolidGauge(
        **{
            **config,
            "formatter": lambda v: fmt.full(_decimal(v), widget.value_type),
            "width": GAUGE_SIZE,
            "height": GAUGE_SIZE,
            "margin": 0,
        },
        half_pie=True,
        inner_radius=0.7,
    )
    tooltip = f"{fmt.full(value, widget.value_type)} / {_maximum_text(widget, fmt)}"
    entry = {"value": float(value), "max_value": float(maximum), "tooltip": tooltip}
    if reached:
        entry["color"] = OK_COLOR
    chart.add("", [entry])
    return chart


_DRAW: dict[str, Callable[[WidgetResult, NumberFormat, dict[str, Any]], Any]] = {
    "bar": _bar,
    "line": _line,
    "pie": _pie,
    "funnel": _funnel,
    "gauge": _gauge,
}


# -- helpers ----------------------------------------------------------------------------------


def _size(widget: WidgetResult) -> tuple[int, int]:
    columns = widget.spec.width or 12
    return max(320, min(columns * COLUMN_PX, 1140)), 300


def _rotation(points: Sequence[Point]) -> int:
    """Slant the x labels when they would crowd (many groups or long names)."""
    longest = max((len(p.label) for p in points), default=0)
    return 30 if len(points) > 8 or longest * len(points) > 80 else 0


def _value(point: Point, widget: WidgetResult, fmt: NumberFormat) -> dict[str, Any] | None:
    value = to_decimal(point.value)
    if value is None:
        return None
    tooltip = f"{point.label}: {fmt.full(value, widget.value_type)}"
    return {"value": float(value), "tooltip": tooltip}


def _decimal(value: Any) -> Decimal | None:
    """pygal hands floats back to the formatters; through `str` they read as written."""
    return None if value is None else to_decimal(round(float(value), 9))


def _maximum_text(widget: WidgetResult, fmt: NumberFormat) -> str:
    return fmt.full(widget.maximum if widget.maximum is not None else 1, widget.value_type)


def _summary(widget: WidgetResult, fmt: NumberFormat) -> str:
    """The `<desc>`: what kind of chart, how many values and the largest of them."""
    kind = translate(f"dashboard.kind.{widget.spec.type}", fmt.locale)
    if widget.spec.type == "gauge":
        value = fmt.full(widget.value, widget.value_type)
        return translate(
            "dashboard.summary_gauge", fmt.locale, kind=kind, value=value,
            maximum=_maximum_text(widget, fmt),
        )  # fmt: skip
    valued = [p for p in widget.points if to_decimal(p.value) is not None]
    if not valued:
        return f"{kind}: {translate('dashboard.no_data', fmt.locale)}"
    top = max(valued, key=lambda p: to_decimal(p.value) or Decimal(0))
    return translate(
        "dashboard.summary", fmt.locale, kind=kind, count=len(valued), label=top.label,
        value=fmt.full(top.value, widget.value_type),
    )  # fmt: skip


def _finishing(widget: WidgetResult, fmt: NumberFormat) -> list[Filter]:
    """The touches after pygal of each chart type (see `chart_svg`)."""
    kind, value_type = widget.spec.type, widget.value_type
    values = [to_decimal(p.value) or Decimal(0) for p in widget.points]
    if kind == "gauge":
        maximum = widget.maximum if widget.maximum is not None else 1
        return [gauge_frame(GAUGE_VIEW, fmt.short(0, value_type), fmt.short(maximum, value_type))]
    if kind == "pie":
        total = sum((v for v in values if v > 0), Decimal(0))
        return [pie_total(fmt.short(total, value_type), translate("dashboard.total", fmt.locale))]
    if kind == "funnel":
        largest = max(values, default=Decimal(0))
        keep = [largest > 0 and v / largest >= FUNNEL_LABEL_SHARE for v in values]
        return [funnel_figures(keep)]
    return []
