"""Seeding a database: people with the roles and teams of CONTRACT.md, records written
through the record service (so they passed its validation), the workflow state reached by
a trusted update, idempotency, and a refused record rolling the records back. The full
template seed runs once per session on SQLite; a scaled-down one on every database."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from seeding_support import ANCHOR, NOW, SALES_APP, EngineFactory, open_engine, scaled

from engine.runtime.engine import Engine
from engine.seeding import (
    DEMO_COMMENT,
    SeedFailed,
    SeedRun,
    SeedSpec,
    anchor_of,
    has_demo_records,
    load_recipe,
    seed_demo,
)
from engine.spec.registry import Registry

ROLES = {
    "admin": set(),
    "director": {"sales_director"},
    "manager_east": {"sales_manager"},
    "manager_west": {"sales_manager"},
    "rep_east_1": {"sales_rep"},
    "rep_east_2": {"sales_rep"},
    "rep_west_1": {"sales_rep"},
    "rep_west_2": {"sales_rep"},
    "finance": {"finance"},
}
TEAMS = {
    "director": "hq",
    "manager_east": "east",
    "manager_west": "west",
    "rep_east_1": "east",
    "rep_east_2": "east",
    "rep_west_1": "west",
    "rep_west_2": "west",
    "finance": "hq",
}


def count(engine: Engine, entity: str, *where: sa.ColumnElement[bool]) -> int:
    table = engine.tables.entity(entity)
    query = sa.select(sa.func.count()).select_from(table).where(*where)
    with engine.db.begin(readonly=True) as connection:
        return int(connection.scalar(query) or 0)


def test_anchor_of_prefers_the_argument_then_the_recipe_then_today(
    sales_recipe: SeedSpec, make_engine: EngineFactory, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'a.db').as_posix()}")
    assert anchor_of(sales_recipe, engine) == date(2026, 3, 2)  # NOW is 18:00 in Shanghai
    fixed = dataclasses.replace(sales_recipe, anchor=date(2025, 1, 1))
    assert anchor_of(fixed, engine) == date(2025, 1, 1)
    assert anchor_of(fixed, engine, date(2024, 5, 6)) == date(2024, 5, 6)


# -- a small seed on every database -------------------------------------------------------


def test_small_seed_writes_people_and_records(
    database_url: str, make_engine: EngineFactory, sales_recipe: SeedSpec
) -> None:
    engine = make_engine(database_url)
    spec = scaled(sales_recipe, 50)
    run = seed_demo(engine, spec, anchor=ANCHOR)
    report, plan = run.report, run.plan
    assert report.changed and not report.records_present
    assert sorted(report.users) == sorted(ROLES)
    assert report.teams == ["hq", "east", "west"]
    for entity in ("customer", "contact", "deal", "follow_up"):
        assert count(engine, entity) == plan.count(entity) == report.records[entity]
    assert plan.count("customer") == 40 and plan.count("deal") == 100
    _assert_people(engine)
    _assert_states(engine, run)
    assert engine.clock.now() == NOW  # the clock is put back


def test_small_seed_is_idempotent(
    database_url: str, make_engine: EngineFactory, sales_recipe: SeedSpec
) -> None:
    engine = make_engine(database_url)
    spec = scaled(sales_recipe, 100)
    first = seed_demo(engine, spec, anchor=ANCHOR)
    again = seed_demo(engine, spec, anchor=ANCHOR)
    assert first.report.changed
    assert not again.report.changed and again.report.records_present
    assert again.report.records == {}
    assert count(engine, "deal") == first.plan.count("deal")
    assert has_demo_records(engine)


def test_a_refused_record_writes_no_record(
    make_engine: EngineFactory, sales_recipe: SeedSpec, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'refused.db').as_posix()}")
    spec = scaled(sales_recipe, 100)
    contact = next(r for r in spec.recipes if r.entity == "contact")
    fields = {name: g for name, g in contact.fields.items() if name not in ("phone", "wechat")}
    broken = dataclasses.replace(contact, fields=fields)
    spec = dataclasses.replace(
        spec, recipes=tuple(broken if r is contact else r for r in spec.recipes)
    )
    with pytest.raises(SeedFailed) as caught:
        seed_demo(engine, spec, anchor=ANCHOR)
    assert caught.value.record.entity == "contact"
    assert caught.value.record.pointer == "/records/contact"
    assert list(caught.value.problems) == ["phone"]
    assert count(engine, "customer") == 0 and not has_demo_records(engine)
    assert engine.clock.now() == NOW


# -- the whole template, once per session -------------------------------------------------


@pytest.fixture(scope="session")
def full_seed(
    project_registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, SeedRun]]:
    folder = tmp_path_factory.mktemp("full_seed")
    engine = open_engine(f"sqlite:///{(folder / 'demo.db').as_posix()}", project_registry, folder)
    spec, diagnostics = load_recipe(SALES_APP, engine.app)
    assert spec is not None, diagnostics
    run = seed_demo(engine, spec, anchor=ANCHOR)
    yield engine, run
    engine.close()


def test_full_seed_volumes(full_seed: tuple[Engine, SeedRun]) -> None:
    engine, run = full_seed
    assert count(engine, "customer") >= 2000
    assert count(engine, "deal") >= 5000
    assert count(engine, "contact") == run.plan.count("contact") >= 2000
    assert count(engine, "follow_up") == run.plan.count("follow_up") > 0
    _assert_people(engine)
    _assert_states(engine, run)


def test_full_seed_owner_teams_are_consistent(full_seed: tuple[Engine, SeedRun]) -> None:
    engine, _ = full_seed
    memberships = engine.tables.system.memberships
    for entity in ("customer", "deal"):
        table = engine.tables.entity(entity)
        team_of_owner = (
            sa.select(memberships.c.team_id)
            .where(memberships.c.username == table.c.owner)
            .scalar_subquery()
        )
        assert count(engine, entity, table.c.team != team_of_owner) == 0
        assert count(engine, entity, table.c.team.is_(None)) == 0


def test_full_seed_again_changes_nothing(full_seed: tuple[Engine, SeedRun]) -> None:
    engine, run = full_seed
    spec, _ = load_recipe(SALES_APP, engine.app)
    assert spec is not None
    again = seed_demo(engine, spec, anchor=ANCHOR)
    assert not again.report.changed and again.report.records_present
    assert count(engine, "deal") == run.plan.count("deal")


def test_full_seed_publishes_this_years_plan_with_actuals_and_bonuses(
    full_seed: tuple[Engine, SeedRun],
) -> None:
    engine, _ = full_seed
    targets = engine.tables.entity("target")
    with engine.db.begin(readonly=True) as connection:
        rows = connection.execute(sa.select(targets).where(targets.c.deleted_at.is_(None)))
        plan = [row._mapping for row in rows]
    [company] = [t for t in plan if t["scope"] == "company" and t["period_type"] == "year"]
    assert (company["status"], company["period_start"]) == ("published", date(2026, 1, 1))
    teams = [t for t in plan if t["scope"] == "team" and t["period_type"] == "year"]
    assert len(teams) == 2 and sum(t["amount"] for t in teams) == company["amount"]
    person_months = [t for t in plan if t["scope"] == "user" and t["period_type"] == "month"]
    assert len(person_months) == 4 * 12  # the four reps
    assert sum(t["amount"] for t in person_months) == company["amount"]
    deals = engine.tables.entity("deal")
    with engine.db.begin(readonly=True) as connection:
        for month in person_months:
            won = connection.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(deals.c.amount), 0)).where(
                    deals.c.stage == "won",
                    deals.c.owner == month["user"],
                    deals.c.close_date >= month["period_start"],
                    deals.c.close_date <= month["period_end"],
                )
            )
            assert month["actual"] == won
    over = {t["id"] for t in person_months if (t["attainment"] or 0) >= 1}
    bonuses = engine.tables.entity("bonus")
    with engine.db.begin(readonly=True) as connection:
        earned = connection.execute(sa.select(bonuses.c.target, bonuses.c.amount)).all()
    assert over and {target for target, _ in earned} == over  # one bonus per month beaten
    assert all(amount > 0 for _, amount in earned)


# -- shared assertions --------------------------------------------------------------------


def _assert_people(engine: Engine) -> None:
    people = engine.people
    teams = {team.id: team for team in people.list_teams()}
    by_name = {team.name: team for team in teams.values()}
    assert by_name["hq"].manager == "director" and by_name["hq"].parent_id is None
    assert by_name["east"].manager == "manager_east"
    assert by_name["west"].manager == "manager_west"
    assert by_name["east"].parent_id == by_name["west"].parent_id == by_name["hq"].id
    for username, roles in ROLES.items():
        assert people.verify_password(username, "demo")
        assert not people.verify_password(username, "wrong")
        assert set(people.roles_of(engine.app.id, username)) == roles
        user = people.get_user(username)
        assert user.is_admin == (username == "admin")
        assert user.name and not user.name.isascii()  # a Chinese display name
        if username in TEAMS:
            assert user.team_id is not None and teams[user.team_id].name == TEAMS[username]
    locales = {people.get_user(username).locale for username in ROLES}
    assert locales == {"zh", "en"}


def _assert_states(engine: Engine, run: SeedRun) -> None:
    table = engine.tables.entity("deal")
    won = count(engine, "deal", table.c.stage == "won")
    lost = count(engine, "deal", table.c.stage == "lost")
    planned = [r for r in run.plan.records if r.entity == "deal"]
    assert won == sum(1 for r in planned if r.state == "won") > 0
    assert lost == sum(1 for r in planned if r.state == "lost") > 0
    assert count(engine, "deal", table.c.stage == "won", table.c.close_date.is_(None)) == 0
    assert count(engine, "deal", table.c.stage == "lost", table.c.lost_reason.is_(None)) == 0
    history = engine.tables.system.history
    with engine.db.begin(readonly=True) as connection:
        comments = set(
            connection.scalars(
                sa.select(history.c.comment)
                .where(history.c.app == engine.app.id, history.c.kind == "created")
                # the plan and bonuses are created by the rules the target recipe runs
                .where(
                    history.c.entity.not_in(["bonus", "target"])
                    | ((history.c.entity == "target") & (history.c.record_id == 1))
                )
                .distinct()
            )
        )
        first = connection.execute(
            sa.select(table.c.created_at, table.c.stage, table.c.updated_at).order_by(table.c.id)
        ).first()
    assert comments == {DEMO_COMMENT}
    assert first is not None and planned[0].at is not None
    # The record carries the moment the recipe gave it, not the moment of seeding.
    assert first.created_at == planned[0].at
