"""The sales template's dashboards on its demo data (the recipe's counts divided by 20, the
company target kept): every dashboard computes for each demo person whose role it is
shown to, without a widget failing — except where that person may not read the entity at
all, which the widget says — and a few numbers agree with the record service's lists."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from seeding_support import ANCHOR, SALES_APP, open_engine

from engine.runtime.engine import Engine
from engine.seeding import load_recipe, seed_demo
from engine.spec.registry import Registry

DIVISOR = 20
VIEWERS = {
    "sales_rep": "rep_east_1",
    "sales_manager": "manager_east",
    "sales_director": "director",
    "finance": "finance",
}


@pytest.fixture(scope="module")
def demo(
    module_database_url: str,
    project_registry: Registry,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Engine]:
    """The template with a smaller demo recipe, seeded once per database."""
    folder = tmp_path_factory.mktemp("sales_dashboards")
    app = folder / "sales_crm"
    shutil.copytree(SALES_APP, app)
    recipe = app / "seed" / "demo.yaml"
    text = re.sub(
        r"^    count: (\d+)$",
        lambda m: f"    count: {max(1, int(m[1]) // DIVISOR)}",
        recipe.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    recipe.write_text(text, encoding="utf-8")
    engine = open_engine(module_database_url, project_registry, folder, app)
    spec, problems = load_recipe(app, engine.app)
    assert spec is not None, problems
    seed_demo(engine, spec, anchor=ANCHOR)
    yield engine
    engine.close()


def _cases() -> list[tuple[str, str]]:
    """(dashboard, viewer) for every role each dashboard of the template is shown to."""
    from engine.plugins import default_registry
    from engine.spec.check import check_app

    registry, _ = default_registry(Path(__file__).resolve().parents[2])
    app = check_app(SALES_APP, registry).app
    assert app is not None
    return [
        (name, VIEWERS[role])
        for name, dashboard in app.dashboards.items()
        for role in dashboard.roles
        if role in VIEWERS
    ]


@pytest.mark.parametrize(("dashboard", "viewer"), _cases())
def test_every_dashboard_computes_for_its_viewers(
    demo: Engine, dashboard: str, viewer: str
) -> None:
    actor = demo.actor(viewer)
    result = demo.dashboards.compute(actor, dashboard)
    assert result.today == ANCHOR
    for widget in result.widgets:
        entity = widget.spec.entity or ""
        if demo.permissions.can(actor, entity, "read"):
            assert widget.error is None, (widget.spec.id, widget.error)
        else:
            assert widget.error == f"you may not see the records of '{entity}'"
    assert any(w.value or w.points or w.rows for w in result.widgets if w.error is None)


def _listed_sum(engine: Engine, viewer: str, entity: str, filter: str, field: str) -> Decimal:
    actor = engine.actor(viewer)
    total, cursor = Decimal(0), None
    while True:
        page = engine.records.list(actor, entity, filter=filter, limit=500, cursor=cursor)
        total += sum((r.values.get(field) or Decimal(0) for r in page.records), Decimal(0))
        cursor = page.next_cursor
        if cursor is None:
            return total


def _widget(engine: Engine, viewer: str, dashboard: str, widget: str) -> object:
    return engine.dashboards.compute_widget(engine.actor(viewer), dashboard, widget).value


def test_numbers_agree_with_the_lists_each_viewer_sees(demo: Engine) -> None:
    open_deals = "stage not in ['won', 'lost']"
    for viewer in ("rep_east_1", "manager_east", "director"):
        listed = _listed_sum(demo, viewer, "deal", open_deals, "amount")
        assert _widget(demo, viewer, "pipeline", "open_amount") == listed, viewer
    mine = _listed_sum(demo, "rep_east_1", "deal", open_deals, "amount")
    everyone = _listed_sum(demo, "director", "deal", open_deals, "amount")
    assert 0 < mine < everyone
    won = f"stage == 'won' and close_date >= '{date(ANCHOR.year, 1, 1).isoformat()}'"
    year = _listed_sum(demo, "director", "deal", won, "amount")
    assert year > 0
    assert _widget(demo, "director", "company_targets", "year_actual") == year
