"""The chart renderer (engine/web/ui/charts.py) on hand-built widget results: one SVG per
chart type, offline (no script, no links, no comments), accessible (an image named by its
title and summary, the figures as table rows), in formwork.css's colours and the page's
fonts, figures formatted for the reader, and the same output for the same input."""

from __future__ import annotations

import re
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from engine.runtime.dashboard_results import Point, WidgetResult
from engine.spec.document import Loc
from engine.spec.model_dashboard import WidgetSpec
from engine.web.ui.charts import (
    CHART_TYPES,
    PALETTE,
    chart_has_data,
    render_chart,
    table_rows,
)
from engine.web.ui.number_format import NumberFormat

EN, ZH = NumberFormat("en", "¥"), NumberFormat("zh", "¥")
TEAMS = (
    Point(1, "East", Decimal("12345678")),
    Point(2, "West", Decimal("8765432.10")),
    Point(3, "华南团队", Decimal("2345678")),
)
STAGES = (
    Point("lead", "Lead", Decimal(520000)),
    Point("qualified", "Qualified", Decimal(310000)),
    Point("proposal", "Proposal", Decimal(180000)),
    Point("won", "Won", Decimal(30000)),
)


def widget(
    kind: str, value_type: str | None = "money", width: int = 6, **values: Any
) -> WidgetResult:
    spec = WidgetSpec(
        id=f"{kind}_widget", type=kind, title={"en": kind}, entity="deal", aggregate="sum",
        field="amount", filter=None, group_by=None, columns=(), sort=None, limit=None,
        width=width, options=MappingProxyType({}), loc=Loc("dashboards/test.yaml"),
    )  # fmt: skip
    return WidgetResult(spec, value_type, **values)


def svg_of(result: WidgetResult, fmt: NumberFormat = EN, title: str = "Won by team") -> str:
    return str(render_chart(result, title=title, fmt=fmt).svg)


ALL = {
    "bar": widget("bar", points=TEAMS),
    "line": widget("line", points=TEAMS, width=12),
    "pie": widget("pie", points=TEAMS),
    "funnel": widget("funnel", points=STAGES),
    "gauge": widget("gauge", "percent", 3, value=Decimal("0.853"), maximum=Decimal("1.2")),
}


@pytest.mark.parametrize("kind", sorted(CHART_TYPES))
def test_every_chart_is_an_offline_inline_svg(kind: str) -> None:
    svg = svg_of(ALL[kind])
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>")
    assert "<?xml" not in svg  # inlined in the page, no declaration
    assert re.findall(r"https?://[^\"' )]*", svg) == ["http://www.w3.org/2000/svg"]
    assert "<script" not in svg and "<!--" not in svg and "xml-stylesheet" not in svg
    assert "@import" not in svg and "url(" not in svg and "href" not in svg
    assert "<desc class=" not in svg and "tooltip-overlay" not in svg  # the script's data


@pytest.mark.parametrize("kind", sorted(CHART_TYPES))
def test_every_chart_is_one_named_image(kind: str) -> None:
    svg = svg_of(ALL[kind], title="Won <this> year")
    element = f"chart-{kind}_widget"
    assert f'id="{element}"' in svg and 'role="img"' in svg
    assert f'aria-labelledby="{element}-title {element}-desc"' in svg
    assert f'<title id="{element}-title">Won &lt;this&gt; year</title>' in svg
    assert re.search(rf'<desc id="{element}-desc">[^<]+</desc>', svg)


@pytest.mark.parametrize("kind", sorted(CHART_TYPES))
def test_the_same_result_draws_the_same_svg(kind: str) -> None:
    assert svg_of(ALL[kind]) == svg_of(ALL[kind])  # no random ids, no date


def test_styles_use_the_page_fonts_and_our_colours() -> None:
    svg = svg_of(ALL["pie"])
    assert "font-family:inherit" in svg.replace(" ", "")
    assert "Consolas" not in svg  # pygal's own monospace font is gone
    for colour in PALETTE[:3]:
        assert colour in svg.lower()
    style = re.search(r"<style[^>]*>(.*?)</style>", svg, re.DOTALL)
    assert style is not None
    selectors = [rule.split("{")[0] for rule in style.group(1).split("}") if "{" in rule]
    assert all(s.strip().startswith("#chart-pie_widget") for s in selectors), selectors[:5]


def test_bars_show_short_figures_and_exact_tooltips() -> None:
    svg = svg_of(ALL["bar"])
    assert "<title>East: ¥12,345,678</title>" in svg
    assert "<title>West: ¥8,765,432</title>" in svg  # money without cents
    assert ">¥12.3M</text>" in svg  # printed over the bar
    assert ">¥0</text>" in svg  # the axis starts at zero
    assert ">华南团队</text>" in svg  # CJK labels kept as text


def test_chinese_readers_count_in_wan() -> None:
    svg = svg_of(ALL["bar"], ZH)
    assert ">¥1,234.6万</text>" in svg
    assert "柱状图，共 3 项；最大为 East：¥12,345,678。" in svg


def test_the_summary_names_the_kind_and_the_largest_value() -> None:
    svg = svg_of(ALL["line"])
    assert "Line chart of 3 values; the largest is East: ¥12,345,678." in svg


def test_a_pie_shows_shares_and_its_total() -> None:
    svg = svg_of(ALL["pie"])
    assert ">East · 52.6%</text>" in svg and ">华南团队 · 10%</text>" in svg
    assert re.search(r'class="pie-total"[^>]*>¥23\.5M</text>', svg)
    assert "<title>West: ¥8,765,432 (37.4%)</title>" in svg


def test_a_pie_leaves_out_empty_and_negative_groups() -> None:
    points = (*TEAMS, Point(4, "Nobody", None), Point(5, "Refunds", Decimal(-5)))
    svg = svg_of(widget("pie", points=points))
    assert "Nobody" not in svg and "Refunds" not in svg


def test_a_funnel_draws_stages_in_order_and_figures_that_fit() -> None:
    svg = svg_of(ALL["funnel"])
    labels = re.findall(r'<text x="[^"]+" y="[^"]+" class="">(\w+)</text>', svg)
    assert labels == ["Lead", "Qualified", "Proposal", "Won"]
    first = re.search(r'<polygon points="([^"]+)"', svg)
    assert first is not None
    xs = [float(n) for n in first.group(1).split()[::2]]
    ys = [float(n) for n in first.group(1).split()[1::2]]
    assert xs[0] == xs[1] and xs[2] == xs[3] and ys[0] == ys[3] and ys[1] == ys[2]  # a block
    figures = re.findall(r'class="value">([^<]+)</text>', svg)
    assert figures == ["¥520K", "¥310K", "¥180K"]  # Won is under a tenth of Lead: no room


def test_a_gauge_shows_its_value_and_scale() -> None:
    svg = svg_of(ALL["gauge"])
    assert re.search(r'class="value gauge-sum"[^>]*>85\.3%</text>', svg)
    assert re.search(r'class="y-0 bound reactive">0%</text>', svg)
    assert re.search(r'class="y-1 bound reactive">120%</text>', svg)
    assert 'viewBox="5 80 290 180"' in svg  # cut to the half ring
    assert "#12b76a" not in svg.lower()  # below target: the brand colour


def test_a_gauge_turns_green_at_the_target() -> None:
    reached = widget("gauge", "percent", 3, value=Decimal("1.05"), maximum=Decimal("1.2"))
    assert "fill: #12b76a" in svg_of(reached)
    beyond = widget("gauge", "percent", 3, value=Decimal("1.5"), maximum=Decimal("1.2"))
    assert re.search(r'gauge-sum"[^>]*>150\.0%</text>', svg_of(beyond))


def test_the_viewbox_follows_the_widget_width() -> None:
    half, full = ALL["bar"], widget("bar", points=TEAMS, width=12)
    assert render_chart(half, title="t", fmt=EN).width == 570
    assert render_chart(full, title="t", fmt=EN).width == 1140
    assert 'viewBox="0 0 1140 300"' in svg_of(full)


def test_many_groups_slant_their_labels() -> None:
    months = tuple(Point(m, f"2025-{m:02d}", Decimal(m * 1000)) for m in range(1, 13))
    assert "rotate(30" in svg_of(widget("bar", points=months))
    assert "rotate(" not in svg_of(ALL["bar"])


def test_table_rows_give_exact_figures() -> None:
    assert table_rows(ALL["bar"], EN) == [
        ("East", "¥12,345,678"), ("West", "¥8,765,432"), ("华南团队", "¥2,345,678"),
    ]  # fmt: skip
    assert table_rows(ALL["gauge"], EN) == [("Value (full scale 120.0%)", "85.3%")]
    gaps = widget("line", "integer", points=(Point(1, "Jan", 3), Point(2, "Feb", None)))
    assert table_rows(gaps, EN) == [("Jan", "3"), ("Feb", "—")]
    assert "<title>Jan: 3</title>" in svg_of(gaps)


def test_nothing_to_draw_is_known_before_drawing() -> None:
    assert chart_has_data(ALL["bar"]) and chart_has_data(ALL["gauge"])
    assert not chart_has_data(widget("bar", points=()))
    assert not chart_has_data(widget("line", points=(Point(1, "Jan", None),)))
    assert not chart_has_data(widget("gauge", "percent", value=None))


def test_only_chart_widgets_are_drawn() -> None:
    with pytest.raises(ValueError, match="'leaderboard' is not a chart widget"):
        render_chart(widget("leaderboard", points=TEAMS), title="t", fmt=EN)
