"""The queries behind boards and pickers on SQLite and on PostgreSQL (when
FORMWORK_TEST_DATABASE_URL is set): case-insensitive link search with the link filter
(engine/runtime/link_choices.py) and per-value counts in the reader's scope
(engine/runtime/grouping.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import BadRequest
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.grouping import count_by
from engine.runtime.link_choices import search_link_targets
from engine.spec.registry import Registry

SALES_APP = Path(__file__).resolve().parents[3] / "apps" / "sales_crm"


@pytest.fixture
def sales(
    database_url: str, project_registry: Registry, tmp_path: Path, web_clock: FixedClock
) -> Iterator[Engine]:
    """The sales template migrated into `database_url`, with two reps of one team."""
    engine = Engine.load(
        SALES_APP, database_url=database_url, clock=web_clock, project_root=tmp_path,
        registry=project_registry, password_iterations=1_000,
    )  # fmt: skip
    engine.migrate()
    people = engine.people
    team = people.create_team("East")
    for rep in ("rep_a", "rep_b"):
        people.create_user(rep, team_id=team.id, locale="en")
        people.grant_role("sales_crm", rep, "sales_rep")
    yield engine
    engine.close()


def test_link_search_is_case_insensitive_and_filtered(sales: Engine) -> None:
    rep = sales.actor("rep_a")
    first = sales.records.create(rep, "customer", {"name": "Ärger GmbH"}).id
    second = sales.records.create(rep, "customer", {"name": "TechCo"}).id
    for name, customer in (("MES Rollout", first), ("mes pilot", first), ("MES other", second)):
        values = {"name": name, "customer": customer, "amount": "5"}
        sales.records.create(rep, "deal", values)
    link = sales.app.entities["contract"].fields["deal"]

    def names(text: str, customer: int | None) -> list[str]:
        found = search_link_targets(
            sales.records, rep, "contract", link, text, {"customer": customer}, limit=10
        )
        return [r.values["name"] for r in found]

    assert names("mes", first) == ["MES Rollout", "mes pilot"]
    assert names("ROLL", first) == ["MES Rollout"]
    assert names("mes", second) == ["MES other"]
    assert names("mes", None) == []
    customer = sales.app.entities["deal"].fields["customer"]
    found = search_link_targets(sales.records, rep, "deal", customer, "tech", {}, limit=10)
    assert [r.values["name"] for r in found] == ["TechCo"]
    other_rep = sales.actor("rep_b")
    assert search_link_targets(sales.records, other_rep, "deal", customer, "", {}, limit=10) == []


def test_counts_per_value_follow_scope_and_filter(sales: Engine) -> None:
    for owner, name, level in (("rep_a", "A1", "A"), ("rep_a", "C1", "C"), ("rep_a", "C2", "C")):
        sales.records.create(sales.actor(owner), "customer", {"name": name, "level": level})
    sales.records.create(sales.actor("rep_b"), "customer", {"name": "B's", "level": "A"})
    rep = sales.actor("rep_a")
    assert count_by(sales.records, rep, "customer", "level", filter=None) == {"A": 1, "C": 2}
    narrowed = count_by(sales.records, rep, "customer", "level", filter="name != 'C2'")
    assert narrowed == {"A": 1, "C": 1}
    with pytest.raises(BadRequest, match="X103"):
        count_by(sales.records, rep, "customer", "level", filter="levl == 'A'")
