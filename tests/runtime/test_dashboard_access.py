"""Who may open which dashboard, what a widget shows when the viewer may not read a field
it needs (an error, never the data), that one failing widget — even in the database —
leaves the others computed, and that each widget is one SQL statement."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dashboard_app import live, make_dashboard_engine
from runtime_support import EngineFactory

from engine.errors import Forbidden, NotFound
from engine.runtime.engine import Engine


@pytest.fixture
def dash(make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str):
    return make_dashboard_engine(make_engine, write_app_folder, database_url)


def shown(engine: Engine, username: str, name: str) -> dict[str, Any]:
    result = engine.dashboards.compute(engine.actor(username), name)
    return {widget.spec.id: widget for widget in result.widgets}


def test_dashboards_are_shown_to_their_roles_and_the_roles_inheriting_them(dash: Engine) -> None:
    def names(username: str) -> list[str]:
        return [d.name for d in dash.dashboards.visible(dash.actor(username))]

    assert names("ann") == ["overview", "reps"]  # overview lists no roles: everyone
    assert names("mgr_n") == ["overview", "reps"]  # manager inherits rep
    assert names("dir") == ["guarded", "overview", "reps"]  # director inherits manager
    assert names("audrey") == ["guarded", "overview"]
    assert names("root") == ["guarded", "overview", "reps"]  # an administrator sees all


def test_unknown_and_forbidden_dashboards(dash: Engine) -> None:
    with pytest.raises(NotFound):
        dash.dashboards.compute(dash.actor("dir"), "nope")
    with pytest.raises(Forbidden):
        dash.dashboards.compute(dash.actor("ann"), "guarded")
    with pytest.raises(Forbidden):
        dash.dashboards.compute(dash.actor("audrey"), "reps")
    assert shown(dash, "bob", "reps")["mine"].value == 2
    with pytest.raises(NotFound):
        dash.dashboards.compute_widget(dash.actor("dir"), "overview", "nope")
    one = dash.dashboards.compute_widget(dash.actor("dir"), "overview", "count_all")
    assert one.value == len(live())


def test_a_field_the_viewer_may_not_read_gives_an_error_not_the_data(dash: Engine) -> None:
    audited = shown(dash, "audrey", "guarded")
    for name in ("cost_total", "cost_filter", "by_cost", "cost_sorted"):
        widget = audited[name]
        assert widget.error is not None and "cost" in widget.error, name
        assert widget.value is None and widget.points == () and widget.rows == (), name
        assert widget.value_type is None
    assert audited["ok"].value == len(live())
    director = shown(dash, "dir", "guarded")
    costs = [Decimal(s.cost) for s in live()]
    assert director["cost_total"].value == sum(costs)
    assert director["cost_filter"].value == sum(1 for c in costs if c > 0)
    assert director["by_cost"].error is None and len(director["by_cost"].points) == len(set(costs))
    assert [r.values["title"] for r in director["cost_sorted"].rows][:2] == ["B1", "C1"]


def test_widgets_that_cannot_be_computed_say_why_and_the_others_still_show(dash: Engine) -> None:
    director = shown(dash, "dir", "guarded")
    assert "not a number" in (director["text_sum"].error or "")
    assert "cannot sort by 'title'" in (director["bad_sort"].error or "")
    assert director["ok"].error is None and director["amount_bar"].error is None
    assert director["amount_bar"].points


def test_a_widget_failing_in_the_database_leaves_the_others_computed(
    dash: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    table = dash.tables.entity("sale").name
    with dash.db.begin() as connection:  # a column gone behind the engine's back
        connection.exec_driver_sql(f"ALTER TABLE {table} RENAME COLUMN qty TO qty_gone")
    with caplog.at_level(logging.ERROR, logger="engine.runtime.dashboards"):
        widgets = shown(dash, "dir", "overview")
    failed = {name for name, widget in widgets.items() if widget.error is not None}
    assert failed == {"sum_qty", "avg_qty"}
    assert widgets["sum_qty"].error == "the database could not compute this widget"
    assert "sum_qty" in caplog.text
    # the widgets after the failed ones ran in transactions of their own (PostgreSQL)
    assert widgets["count_all"].value == len(live())
    assert widgets["top"].points and widgets["biggest"].rows


def test_each_widget_is_one_sql_statement(dash: Engine) -> None:
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    director = dash.actor("dir")
    sa.event.listen(dash.db.engine, "before_cursor_execute", note)
    try:
        result = dash.dashboards.compute(director, "overview")
    finally:
        sa.event.remove(dash.db.engine, "before_cursor_execute", note)
    assert all(widget.error is None for widget in result.widgets)
    assert len(statements) == len(result.widgets) == 31
