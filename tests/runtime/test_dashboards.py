"""Dashboards computed in SQL with the viewer's rights: every widget type over the known
sales of `dashboard_app`, compared with numbers computed here from the same rows (in
Python, independently of the engine's SQL): aggregates and their types, a rep's and a
manager's scope, labels and order of groups (options, people, teams, linked records),
date buckets (month gaps filled, weeks from the app's Sunday in Shanghai time), sort and
limit, tables."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dashboard_app import NAMES, TEAM_OF, Sale, live, make_dashboard_engine, readable_by
from runtime_support import EngineFactory

from engine.runtime.clock import FixedClock
from engine.runtime.dashboard_results import WidgetResult
from engine.runtime.engine import Engine

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


@pytest.fixture
def dash(make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str):
    return make_dashboard_engine(make_engine, write_app_folder, database_url)


def widgets(engine: Engine, username: str, name: str = "overview", locale: str | None = None):
    result = engine.dashboards.compute(engine.actor(username), name, locale=locale)
    return {widget.spec.id: widget for widget in result.widgets}


def amount_sum(sales: Iterable[Sale], name: str = "amount") -> Decimal:
    return sum((s.money(name) or Decimal(0) for s in sales), Decimal(0))


def points(widget: WidgetResult) -> list[tuple[Any, str, Any]]:
    assert widget.error is None, widget.error
    return [(p.key, p.label, p.value) for p in widget.points]


def test_number_widgets_aggregate_every_readable_live_record(dash: Engine) -> None:
    shown = widgets(dash, "dir")
    sales = live()
    amounts = [s.money("amount") for s in sales if s.amount is not None]
    assert all(w.error is None for w in shown.values()), {k: w.error for k, w in shown.items()}
    assert shown["won_total"].value == amount_sum(s for s in sales if s.stage == "won")
    assert shown["won_total"].value_type == "money"
    assert shown["count_all"].value == len(sales) == 11  # the deleted sale does not count
    assert shown["count_all"].value_type == "integer"
    average = (sum(amounts, Decimal(0)) / len(amounts)).quantize(CENT, ROUND_HALF_UP)
    assert shown["avg_amount"].value == average and shown["avg_amount"].value_type == "money"
    assert shown["min_amount"].value == min(amounts) == Decimal("10.00")
    assert shown["max_amount"].value == max(amounts)
    assert shown["sum_qty"].value == sum(s.qty for s in sales)
    assert isinstance(shown["sum_qty"].value, int) and shown["sum_qty"].value_type == "integer"
    quantity = Decimal(sum(s.qty for s in sales)) / len(sales)
    assert shown["avg_qty"].value == quantity.quantize(CENT, ROUND_HALF_UP)
    assert shown["avg_qty"].value_type == "number"
    assert shown["sum_score"].value == sum(Decimal(s.score) for s in sales)
    assert shown["sum_score"].value_type == "number"
    assert shown["sum_margin"].value == sum(Decimal(s.margin) for s in sales)
    assert shown["sum_margin"].value_type == "percent"
    assert shown["first_close"].value == min(s.closed_on for s in sales if s.closed_on)
    assert shown["first_close"].value_type == "date"
    assert shown["my_count"].value == 0  # the director owns no sale
    assert shown["nothing"].value == 0 and shown["nothing"].value_type == "money"
    for widget in shown.values():
        if widget.value is not None and widget.value_type in ("money", "number", "percent"):
            assert isinstance(widget.value, Decimal), widget.spec.id


def test_today_and_me_are_the_viewers_at_each_computation(dash: Engine, clock: FixedClock) -> None:
    march = [s for s in live() if s.closed_on and s.closed_on >= date(2026, 3, 1)]
    assert widgets(dash, "dir")["this_month"].value == amount_sum(march)
    clock.advance(timedelta(days=31))  # 2 April in Shanghai
    april = [s for s in live() if s.closed_on and s.closed_on >= date(2026, 4, 1)]
    assert widgets(dash, "dir")["this_month"].value == amount_sum(april) == Decimal("99.99")
    assert widgets(dash, "ann")["my_count"].value == 3


@pytest.mark.parametrize("username", ["ann", "bob", "cy", "mgr_n", "mgr_s", "audrey"])
def test_each_viewer_aggregates_only_what_they_may_read(dash: Engine, username: str) -> None:
    mine = readable_by(username)
    shown = widgets(dash, username)
    assert shown["count_all"].value == len(mine)
    assert shown["won_total"].value == amount_sum(s for s in mine if s.stage == "won")
    assert shown["sum_qty"].value == sum(s.qty for s in mine)
    owners = Counter(s.owner for s in mine)
    assert {p.key: p.value for p in shown["by_owner_name"].points} == dict(owners)


def test_a_manager_sees_their_subteams(dash: Engine) -> None:
    owners = {p.key for p in widgets(dash, "mgr_n")["by_owner"].points}
    assert owners == {"mgr_n", "ann", "bob", "dee"}  # North and North-East, not South
    assert {p.key for p in widgets(dash, "mgr_s")["by_owner"].points} == {"mgr_s", "cy"}


def test_groups_by_user_sorted_by_the_aggregate(dash: Engine) -> None:
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for sale in live():
        totals[sale.owner] += sale.money("amount") or Decimal(0)
    expected = sorted(totals.items(), key=lambda item: -item[1])
    got = points(widgets(dash, "dir")["by_owner"])
    assert [(k, v) for k, _, v in got] == expected
    assert [label for _, label, _ in got] == [NAMES.get(k or "", "—") for k, _ in expected]


def test_groups_by_user_and_team_are_ordered_by_name(dash: Engine) -> None:
    shown = widgets(dash, "dir")
    counts = Counter(s.owner for s in live())
    named = sorted((NAMES[o], n) for o, n in counts.items() if o is not None)
    assert [(label, v) for _, label, v in points(shown["by_owner_name"])] == [
        *named,
        ("—", counts[None]),
    ]
    teams = Counter(TEAM_OF.get(s.owner or "") for s in live())
    by_team = points(shown["by_team"])
    assert [(label, v) for _, label, v in by_team] == [
        *sorted((t, n) for t, n in teams.items() if t is not None),
        ("—", teams[None]),
    ]
    ids = {team.name: team.id for team in dash.people.list_teams()}
    assert [k for k, _, _ in by_team[:-1]] == [ids[label] for _, label, _ in by_team[:-1]]


def test_links_are_named_by_titles_the_viewer_may_read(dash: Engine) -> None:
    director = points(widgets(dash, "dir")["by_account"])
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for sale in live():
        totals[sale.account] += sale.money("amount") or Decimal(0)
    assert [(label, v) for _, label, v in director] == [
        *sorted((a, t) for a, t in totals.items() if a is not None),
        ("—", totals[None]),
    ]
    # ann reads her own account (Acme) only: Bolt, which she sold to, is shown by its id
    ann = points(widgets(dash, "ann")["by_account"])
    bolt = next(key for key, label, _ in director if label == "Bolt")
    assert ann == [
        (next(k for k, label, _ in director if label == "Acme"), "Acme", Decimal("1100.49")),
        (bolt, f"#{bolt}", Decimal("250.00")),
    ]


def test_select_groups_follow_the_options_in_the_viewers_language(dash: Engine) -> None:
    by_stage: dict[str, Decimal] = defaultdict(Decimal)
    for sale in live():
        by_stage[sale.stage] += sale.money("amount") or Decimal(0)
    funnel = points(widgets(dash, "dir")["funnel"])
    assert funnel == [
        ("new", "New", by_stage["new"]),
        ("open", "Open", by_stage["open"]),
        ("won", "Won", by_stage["won"]),
    ]
    chinese = points(widgets(dash, "audrey")["funnel"])  # audrey reads Chinese
    assert [label for _, label, _ in chinese] == ["新建", "进行中", "赢单"]
    assert points(widgets(dash, "dir", locale="zh")["funnel"])[0][1] == "新建"
    counts = Counter(s.stage for s in live())
    descending = points(widgets(dash, "dir")["stages_desc"])
    assert descending == [
        ("lost", "Lost", counts["lost"]),
        ("won", "Won", counts["won"]),
        ("open", "Open", counts["open"]),
        ("new", "New", counts["new"]),
    ]


def _months(first: date, last: date) -> list[date]:
    found = []
    while first <= last:
        found.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return found


def test_month_buckets_in_time_order_with_empty_months_between(dash: Engine) -> None:
    totals: dict[date | None, Decimal] = defaultdict(Decimal)
    for sale in live():
        month = sale.closed_on.replace(day=1) if sale.closed_on else None
        totals[month] += sale.money("amount") or Decimal(0)
    dated = [d for d in totals if d is not None]
    expected = [
        (m, f"{m.year}-{m.month:02d}", totals.get(m, Decimal(0)))
        for m in _months(min(dated), max(dated))
    ]
    got = points(widgets(dash, "dir")["monthly"])
    assert got == [*expected, (None, "—", totals[None])]
    assert len(got) == 13 + 1  # January 2026 … January 2027, and the sale without a date
    assert got[4][2] == 0 and isinstance(got[4][2], Decimal)  # May: no sale


def _local_day(sale: Sale) -> date | None:
    return sale.closed_at.astimezone(SHANGHAI).date() if sale.closed_at else None


def test_week_buckets_start_on_the_apps_week_start_in_its_time_zone(dash: Engine) -> None:
    weeks: Counter[date | None] = Counter()
    for sale in live():
        day = _local_day(sale)
        weeks[day - timedelta(days=(day.weekday() + 1) % 7) if day else None] += 1
    got = points(widgets(dash, "dir")["weekly"])
    sundays = [date(2026, 3, 1), date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 22)]
    assert [k for k, _, _ in got] == [*sundays, None]
    assert [(label, v) for _, label, v in got] == [
        *((d.isoformat(), weeks.get(d, 0)) for d in sundays),
        ("—", weeks[None]),
    ]
    assert weeks[date(2026, 3, 15)] == 0  # an empty week between two that have sales
    # 15:00 UTC on Saturday 7 March is 23:00 there (week of 1 March), 17:00 is Sunday
    assert got[0][2] == 3 and got[1][2] == 2


def test_day_quarter_and_year_buckets(dash: Engine) -> None:
    shown = widgets(dash, "dir")
    days = Counter(_local_day(s) for s in live())
    daily = points(shown["daily_at"])
    first, last = date(2026, 3, 1), date(2026, 3, 28)
    assert len(daily) == (last - first).days + 2
    assert [(k, v) for k, _, v in daily[:3]] == [
        (first, 1),
        (date(2026, 3, 2), 1),
        (date(2026, 3, 3), 0),
    ]
    assert sum(v for _, _, v in daily) == sum(days.values())
    quarters = points(shown["quarterly"])  # sort: -closed_on, newest first
    assert [label for _, label, _ in quarters] == [
        "2027 Q1", "2026 Q4", "2026 Q3", "2026 Q2", "2026 Q1", "—",
    ]  # fmt: skip
    q1 = [s for s in live() if s.closed_on and s.closed_on < date(2026, 4, 1)]
    assert quarters[4] == (date(2026, 1, 1), "2026 Q1", amount_sum(q1))
    assert quarters[0][2] == Decimal(0)  # C2 has no amount: the sum over it is 0
    years = points(shown["yearly"])
    assert years == [(date(2026, 1, 1), "2026", 9), (date(2027, 1, 1), "2027", 1), (None, "—", 1)]


def test_leaderboards_rank_best_first_and_cut_to_the_limit(dash: Engine) -> None:
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for sale in live():
        totals[sale.owner] += sale.money("amount") or Decimal(0)
    best = sorted(totals.items(), key=lambda item: -item[1])[:2]
    shown = widgets(dash, "dir")
    assert [(k, v) for k, _, v in points(shown["top"])] == best
    counts = Counter(s.owner for s in live())
    ranked = sorted(
        counts.items(), key=lambda item: (-item[1], item[0] is None, NAMES.get(item[0] or ""))
    )
    assert [(k, v) for k, _, v in points(shown["top_default"])] == ranked  # 7 of at most 10


def test_tables_list_readable_columns_sorted_and_limited(dash: Engine) -> None:
    biggest = widgets(dash, "dir")["biggest"]
    assert biggest.error is None and biggest.value_type is None
    assert biggest.columns == ("title", "account", "owner", "amount", "cost")
    rows = [dict(row.values) for row in biggest.rows]
    assert [r["title"] for r in rows] == ["B1", "C1", "A1"]  # Z1 (larger) is deleted
    assert rows[0]["amount"] == Decimal("5000.00") and rows[0]["cost"] == Decimal("2500.00")
    assert rows[0]["owner"] == "bob" and isinstance(rows[0]["account"], int)
    assert all(row.record_id > 0 for row in biggest.rows)
    # audrey may not read `cost`: the column is left out, the rest is the same
    audited = widgets(dash, "audrey")["biggest"]
    assert audited.columns == ("title", "account", "owner", "amount")
    assert [dict(r.values) for r in audited.rows] == [
        {k: v for k, v in row.items() if k != "cost"} for row in rows
    ]
    ordered = widgets(dash, "dir")["default_table"]
    dated = sorted((s for s in live() if s.closed_on), key=lambda s: s.closed_on or date.min)
    titles = [s.title for s in dated] + [s.title for s in live() if s.closed_on is None]
    assert [r.values["title"] for r in ordered.rows] == titles  # NULLs last, limit 20
    assert [r.values["title"] for r in widgets(dash, "ann")["default_table"].rows] == [
        "A1", "A2", "A3",
    ]  # fmt: skip


def test_gauges_carry_their_maximum(dash: Engine) -> None:
    shown = widgets(dash, "dir")
    margins = [Decimal(s.margin) for s in live()]
    # percents are stored as ratios to 6 places: the average is rounded to those
    places = Decimal("0.000001")
    average = (sum(margins, Decimal(0)) / len(margins)).quantize(places, ROUND_HALF_UP)
    assert shown["margin_gauge"].value == average
    assert shown["margin_gauge"].maximum == Decimal("1.5")
    assert shown["margin_gauge"].value_type == "percent"
    assert shown["expr_gauge"].value == max(margins)
    assert shown["expr_gauge"].maximum == Decimal("0.5")  # `=2 * 0.25`
    assert shown["plain_gauge"].value == min(margins) and shown["plain_gauge"].maximum == 2
