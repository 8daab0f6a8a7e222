"""The `membership` trigger end to end: joining, leaving, moving (left, then joined),
deactivating and reactivating; the `change` and `team` filters; conditions, values,
`where` and templates over `event.member`, `event.team`, `event.change`; a failing rule
rolls the membership change back and keeps its trace; `record.` is refused by `check`;
two apps over one database both hear a change. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from automation_app import AppWriter, Build, builder, files, live, notes, runs
from runtime_support import TEST_ITERATIONS, EngineFactory

from engine.errors import AutomationFailed
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.check import check_app
from engine.spec.registry import Registry


@pytest.fixture
def build(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Build:
    """The automations app with the rules a test gives (people added: ann, bob, cy in
    Sales, which boss heads)."""
    return builder(make_engine, write_app_folder, database_url)


LOG = """
triggers:
  - {type: membership}
actions:
  - type: create
    entity: task
    values:
      name: "=concat(event.change, ' ', event.member.username, ' ', event.team.name)"
"""


def log(engine: Engine) -> list[str]:
    """The names of the tasks the LOG rule made, in order."""
    return [str(task["name"]) for task in live(engine, "task")]


def team(engine: Engine, name: str, parent: str | None = None) -> int:
    """A new team's id (under `parent`)."""
    above = engine.people.team_by_name(parent).id if parent is not None else None
    return engine.people.create_team(name, parent_id=above).id


def test_joining_when_a_user_is_created_with_a_team(build: Build) -> None:
    engine = build(log=LOG)
    # add_people created ann, bob and cy in Sales
    assert log(engine) == ["joined ann Sales", "joined bob Sales", "joined cy Sales"]
    trace = runs(engine, "log")[0]
    assert trace.trigger_type == "membership" and trace.entity is None
    assert trace.event == {"kind": "membership", "change": "joined", "member": "ann", "team": 1}


def test_a_replay_rebuilds_the_event(build: Build) -> None:
    engine = build(log=LOG)
    first = runs(engine, "log")[1]
    outcome = engine.automations.replay(engine.actor("root"), first.id)
    assert outcome.status == "done"
    assert log(engine)[-1] == "joined bob Sales"
    assert runs(engine, "log")[-1].replay_of == first.id


def test_a_move_is_leaving_then_joining(build: Build) -> None:
    engine = build(log=LOG)
    east = team(engine, "East")
    engine.people.set_team("ann", east)
    assert log(engine)[3:] == ["left ann Sales", "joined ann East"]
    engine.people.set_team("ann", east)  # the same team again: no change
    engine.people.set_team("bob", None)
    engine.people.update_user("cy", team_id=east)
    assert log(engine)[5:] == ["left bob Sales", "left cy Sales", "joined cy East"]


def test_deactivating_is_leaving_and_reactivating_is_joining(build: Build) -> None:
    engine = build(log=LOG)
    engine.people.deactivate("bob")
    engine.people.deactivate("bob")  # already inactive: nothing more
    east = team(engine, "East")
    engine.people.set_team("bob", east)  # an inactive user joins nothing
    engine.people.set_active("bob", True)
    assert log(engine)[3:] == ["left bob Sales", "joined bob East"]


ONLY_LEAVING = """
triggers:
  - {type: membership, change: left}
actions:
  - {type: create, entity: task, values: {name: "=concat('bye ', event.member.username)"}}
"""


def test_change_filter(build: Build) -> None:
    engine = build(log=ONLY_LEAVING)
    east = team(engine, "East")
    engine.people.set_team("ann", east)
    engine.people.set_team("ann", None)
    assert log(engine) == ["bye ann", "bye ann"]
    assert [run.event["team"] for run in runs(engine, "log")] == [1, east]


TEAM_FILTER = """
triggers:
  - {type: membership, change: joined, team: Sales}
actions:
  - type: create
    entity: task
    values: {name: "=concat(event.member.username, ' in ', event.team.name)"}
"""


def test_team_filter_takes_the_team_and_the_teams_below_it(build: Build) -> None:
    engine = build(log=TEAM_FILTER)
    north = team(engine, "North", parent="Sales")
    east = team(engine, "East")
    engine.people.set_team("ann", north)
    engine.people.set_team("bob", east)
    assert log(engine)[3:] == ["ann in North"]


TEAM_EXPRESSION = """
triggers:
  - {type: membership, team: "=concat('Ea', 'st')"}
  - {type: membership, change: left, team: 1}
actions:
  - type: create
    entity: task
    values: {name: "=concat(event.change, ' ', event.member.username)"}
"""


def test_team_filter_as_an_expression_or_an_id(build: Build) -> None:
    engine = build(log=TEAM_EXPRESSION)
    assert log(engine) == []  # joining Sales (id 1): the second trigger wants leaving
    east = team(engine, "East")
    engine.people.set_team("ann", east)
    engine.people.set_team("ann", None)
    assert log(engine) == ["left ann", "joined ann", "left ann"]
    assert [run.trigger_index for run in runs(engine, "log")] == [1, 0, 0]


CONDITION = """
triggers:
  - {type: membership}
conditions:
  - "event.team.name == 'East' and event.change == 'joined'"
actions:
  - {type: create, entity: task, values: {name: "=concat('welcome ', event.member.name)"}}
"""


def test_condition_on_event_team(build: Build) -> None:
    engine = build(log=CONDITION)
    engine.people.update_user("ann", name="Ann Lee")
    east = team(engine, "East")
    engine.people.set_team("ann", east)
    engine.people.set_team("bob", team(engine, "West"))
    assert log(engine) == ["welcome Ann Lee"]
    skipped = [run for run in runs(engine, "log") if run.status == "skipped"]
    assert [run.event["member"] for run in skipped][-3:] == ["ann", "bob", "bob"]
    assert skipped[-1].conditions[0]["value"] is False


ASSIGN = """
triggers:
  - {type: membership, change: joined}
actions:
  - type: create
    entity: task
    values: {name: "=concat('joined ', event.member.username)", assignee: "=event.member"}
"""

WHERE_AND_NOTE = """
triggers:
  - {type: membership, change: left}
actions:
  - type: update
    entity: task
    where: "assignee == event.member and code is None"
    values: {code: "=concat('left ', event.team.name)"}
  - type: notify
    to: [{type: expression, expr: "event.team.manager"}]
    title: "{{ event.member.name }} left {{ event.team }} ({{ event.team.manager.name }})"
"""


def test_where_and_templates_read_the_event(build: Build) -> None:
    engine = build(log=ASSIGN, tidy=WHERE_AND_NOTE)
    engine.people.update_user("boss", name="The Boss")
    engine.people.update_user("bob", name="Bob Li")
    engine.people.set_team("bob", None)
    codes = {str(task["name"]): task["code"] for task in live(engine, "task")}
    assert codes == {"joined ann": None, "joined bob": "left Sales", "joined cy": None}
    assert [note.title for note in notes(engine, "boss")] == ["Bob Li left Sales (The Boss)"]


FAILING = """
triggers:
  - {type: membership, change: left}
actions:
  - {type: lookup, table: prices, inputs: {amount: -1}, as: price}
"""


def test_a_failing_rule_rolls_the_membership_change_back(build: Build) -> None:
    engine = build(log=LOG, strict=FAILING)
    east = team(engine, "East")
    with pytest.raises(AutomationFailed) as failure:
        engine.people.set_team("ann", east)
    assert failure.value.automation == "strict"
    assert engine.people.get_user("ann").team_id == 1
    assert len(log(engine)) == 3  # the log rule's runs were rolled back too
    failed = runs(engine, "strict")[-1]
    assert failed.status == "failed" and failed.event["member"] == "ann"
    assert "no row of the decision table 'prices'" in (failed.error or "")
    with pytest.raises(AutomationFailed):
        engine.people.deactivate("ann")
    assert engine.people.get_user("ann").active is True


def test_record_is_unknown_in_a_membership_rule(
    write_app_folder: AppWriter, project_registry: Registry
) -> None:
    body = """
    triggers:
      - {type: membership}
    conditions:
      - "record.name == 'x' and event.member.nam == 'y'"
    actions:
      - {type: create, entity: task, values: {name: "=name"}}
    """
    folder = write_app_folder(files(wrong=body))
    found = {
        (d.code, d.line, d.col, d.message)
        for d in check_app(folder, project_registry).diagnostics
        if d.file == "rules/wrong.yaml"
    }
    assert found == {
        ("X103", 6, 6, "unknown name 'record'"),
        ("X103", 6, 42, "unknown field 'nam' in user"),
        ("X103", 8, 51, "unknown name 'name'"),
    }


SECOND_APP = """
app: second
title: Second
locales: [en]
roles:
  staff: {label: Staff}
"""

SECOND_NOTE = """
entity: note
label: Note
fields:
  text: {type: text}
permissions:
  staff: {create: true, read: all}
"""

SECOND_RULE = """
automation: greet
label: greet
triggers:
  - {type: membership, change: joined}
actions:
  - {type: create, entity: note, values: {text: "=concat('hello ', event.member.username)"}}
"""


def test_every_app_over_the_database_hears_a_change(
    build: Build,
    database_url: str,
    tmp_path: Path,
    clock: FixedClock,
    project_registry: Registry,
) -> None:
    engine = build(log=LOG)
    folder = tmp_path / "second"
    for name, text in {
        "app.yaml": SECOND_APP,
        "entities/note.yaml": SECOND_NOTE,
        "rules/greet.yaml": SECOND_RULE,
    }.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text.lstrip(), encoding="utf-8")
    second = Engine.load(
        folder, database_url=database_url, clock=clock, project_root=tmp_path,
        registry=project_registry, password_iterations=TEST_ITERATIONS, people=engine.people,
    )  # fmt: skip
    try:
        second.migrate()
        assert second.people is engine.people
        engine.people.set_team("ann", team(engine, "East"))
        with second.db.begin(readonly=True) as connection:
            table = second.tables.entity("note")
            texts = list(connection.scalars(sa.select(table.c.text)))
        assert texts == ["hello ann"]
        assert log(engine)[3:] == ["left ann Sales", "joined ann East"]
    finally:
        second.close()
    engine.people.set_team("bob", engine.people.team_by_name("East").id)  # second is closed
    assert log(engine)[5:] == ["left bob Sales", "joined bob East"]


def test_a_shared_people_service_must_be_over_the_same_database(
    build: Build, tmp_path: Path, project_registry: Registry, write_app_folder: AppWriter
) -> None:
    engine = build()
    other = f"sqlite:///{(tmp_path / 'other.db').as_posix()}"
    with pytest.raises(ValueError, match="shared PeopleService"):
        Engine.load(
            write_app_folder(files()), database_url=other, project_root=tmp_path,
            registry=project_registry, people=engine.people,
        )  # fmt: skip
