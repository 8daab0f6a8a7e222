"""Actions that generate plans, end to end on SQLite and PostgreSQL: `for_each` over
calendar periods, the members of a team and teams; `create` with `where` (create if
missing, so a rule that builds a plan can run again); `allocate` weights that read the
child, the triggering record and outer names. Each test pins what the rule wrote and what
its trace says."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from plan_app import AppWriter, Build, plan_builder, rows
from runtime_support import EngineFactory

from engine.errors import AutomationFailed
from engine.runtime.engine import Engine


@pytest.fixture
def build(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Build:
    """The plan app with the rules a test gives."""
    return plan_builder(make_engine, write_app_folder, database_url)


def plan(engine: Engine, **fields: Any) -> int:
    """Create a plan as ann; its id."""
    return engine.records.create(engine.actor("ann"), "plan", {"name": "P"} | fields).id


def press(engine: Engine, plan_id: int, rule: str, action: int = 0) -> dict[str, Any]:
    """Run a manual rule on a plan as ann; the trace of one of its actions."""
    outcome = engine.automations.run_manual(engine.actor("ann"), "plan", plan_id, rule)
    [run] = [r for r in engine.automations.runs(automation=rule) if r.id == outcome.run_id]
    assert run.status == "done", run.error
    return dict(run.actions[action])


# -- periods ----------------------------------------------------------------------------------

WEEKS = """
triggers:
  - {type: manual, entity: plan}
actions:
  - type: for_each
    periods: {start: "=start", end: "=end", every: week}
    as: p
    actions:
      - type: create
        entity: slot
        where: "plan == record and start == p.start"
        values:
          plan: "=record"
          name: "=concat(record.name, ' ', p.type)"
          start: "=p.start"
          end: "=p.end"
          idx: "=p.index"
          kind: "=p.type"
"""


def slot_spans(engine: Engine) -> list[tuple[str, str, int, str]]:
    return [
        (f"{s['start']:%m-%d}", f"{s['end']:%m-%d}", s["idx"], s["kind"])
        for s in rows(engine, "slot")
    ]


def test_for_each_week_of_a_month_creates_one_clipped_slot_per_week_once(build: Build) -> None:
    engine = build(weeks=WEEKS)
    target = plan(engine, start=date(2026, 3, 1), end=date(2026, 3, 31))
    first = press(engine, target, "weeks")
    expected = [
        ("03-01", "03-01", 1, "week"),  # Sunday 1 March: its week began in February
        ("03-02", "03-08", 2, "week"),
        ("03-09", "03-15", 3, "week"),
        ("03-16", "03-22", 4, "week"),
        ("03-23", "03-29", 5, "week"),
        ("03-30", "03-31", 6, "week"),
    ]
    assert slot_spans(engine) == expected
    assert {s["name"] for s in rows(engine, "slot")} == {"P week"}
    assert all(s["plan"] == target for s in rows(engine, "slot"))

    assert (first["source"], first["items"]) == ("periods", 6)
    assert first["results"][0]["item"] == {
        "start": "2026-03-01",
        "end": "2026-03-01",
        "index": 1,
        "type": "week",
    }
    ids = [s["id"] for s in rows(engine, "slot")]
    made = [item["results"][0]["created"]["id"] for item in first["results"]]
    assert made == ids

    again = press(engine, target, "weeks")  # the plan is already there: nothing is added
    assert slot_spans(engine) == expected
    assert [item["results"][0] for item in again["results"]] == [
        {"existing": slot_id} for slot_id in ids
    ]


def test_weeks_follow_the_apps_week_start(build: Build) -> None:
    engine = build(week_start="sunday", weeks=WEEKS)
    target = plan(engine, start=date(2026, 3, 1), end=date(2026, 3, 31))
    press(engine, target, "weeks")
    assert [(start, end) for start, end, _, _ in slot_spans(engine)] == [
        ("03-01", "03-07"),
        ("03-08", "03-14"),
        ("03-15", "03-21"),
        ("03-22", "03-28"),
        ("03-29", "03-31"),
    ]


QUARTERS = """
triggers:
  - {type: record_created, entity: plan}
actions:
  - type: for_each
    periods: {start: "=start", end: "2026-12-31", every: quarter}
    as: q
    actions:
      - {type: create, entity: slot, values: {name: Q, plan: "=record", start: "=q.start",
         end: "=q.end", idx: "=q.index"}}
"""


def test_a_rule_on_create_lays_out_quarters_from_a_date_to_a_literal_end(build: Build) -> None:
    engine = build(quarters=QUARTERS)
    plan(engine, start=date(2026, 2, 10))
    assert slot_spans(engine) == [
        ("02-10", "03-31", 1, None),
        ("04-01", "06-30", 2, None),
        ("07-01", "09-30", 3, None),
        ("10-01", "12-31", 4, None),
    ]
    plan(engine)  # no start: a plan without dates has no periods yet
    assert len(rows(engine, "slot")) == 4


# -- members ----------------------------------------------------------------------------------

MEMBERS = """
triggers:
  - {type: manual, entity: plan}
actions:
  - type: for_each
    members: {team: "=team", roles: [rep]}
    as: m
    actions:
      - type: create
        entity: slot
        where: "plan == record and user == m"
        values: {name: "=m.name", plan: "=record", user: "=m", boss: "=m.manager", team: "=m.team"}
      - type: notify
        to: [{type: expression, expr: m}]
        title: "{{ m.name }}, your part of {{ record.name }} (head: {{ m.manager }})"
"""


def test_for_each_member_creates_a_slot_per_active_rep_of_the_team(build: Build) -> None:
    engine = build(members=MEMBERS)
    teams = engine.people.list_teams()
    east = next(team.id for team in teams if team.name == "East")
    target = plan(engine, team=east)
    traced = press(engine, target, "members")
    # cat left, dan is no rep, eve is a manager, nia's main team is below East
    made = [(s["user"], s["name"], s["boss"], s["team"]) for s in rows(engine, "slot")]
    assert made == [("ann", "Ann", "eve", east), ("bob", "Bob", "eve", east)]
    assert (traced["source"], traced["items"]) == ("members", 2)
    assert [item["item"] for item in traced["results"]] == ["ann", "bob"]
    inbox = engine.workflows.inbox(engine.actor("bob")).notifications
    assert [n.title for n in inbox if n.kind == "automation"] == ["Bob, your part of P (head: eve)"]

    engine.people.create_user("amy", name="Amy", team_id=east)
    engine.people.grant_role(engine.app.id, "amy", "rep")
    again = press(engine, target, "members")  # someone joined: only she is added
    assert [s["user"] for s in rows(engine, "slot")] == ["ann", "bob", "amy"]
    assert [(item["item"], list(item["results"][0])) for item in again["results"]] == [
        ("amy", ["created"]),
        ("ann", ["existing"]),
        ("bob", ["existing"]),
    ]


EVERYONE = """
triggers:
  - {type: manual, entity: plan}
actions:
  - type: for_each
    members: {team: "=team"}
    as: m
    actions:
      - {type: create, entity: slot, values: {name: "=m.username", plan: "=record", user: "=m",
         boss: "=m.manager"}}
"""


def test_without_roles_every_active_member_counts_and_a_blank_team_has_none(
    build: Build,
) -> None:
    engine = build(everyone=EVERYONE)
    east = next(team.id for team in engine.people.list_teams() if team.name == "East")
    press(engine, plan(engine, team=east), "everyone")
    # eve heads East herself: her manager is the head of the team above
    made = [(s["user"], s["boss"]) for s in rows(engine, "slot")]
    assert made == [("ann", "eve"), ("bob", "eve"), ("dan", "eve"), ("eve", "ceo")]
    traced = press(engine, plan(engine), "everyone")
    assert (traced["items"], traced["results"]) == (0, [])


# -- teams ------------------------------------------------------------------------------------


def teams_rule(options: str) -> str:
    return f"""
triggers:
  - {{type: manual, entity: plan}}
actions:
  - type: for_each
    teams: {options}
    as: t
    actions:
      - type: create
        entity: slot
        where: "plan == record and team == t"
        values: {{name: "=t.name", plan: "=record", team: "=t", boss: "=t.manager"}}
"""


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # Company and Annex have no member of their own: they get no slot
        ("{}", [("East", "eve"), ("East North", None), ("West", "wes")]),
        ("{roles: [rep]}", [("East", "eve"), ("East North", None), ("West", "wes")]),
        ("{roles: [manager]}", [("East", "eve")]),
        ('{roles: [rep], under: "=team"}', [("East", "eve"), ("East North", None)]),
    ],
)
def test_for_each_team_creates_a_slot_per_staffed_team_by_name(
    build: Build, options: str, expected: list[tuple[str, str | None]]
) -> None:
    engine = build(teams=teams_rule(options))
    ids = {team.name: team.id for team in engine.people.list_teams()}
    target = plan(engine, team=ids["East"])
    traced = press(engine, target, "teams")
    made = [(s["name"], s["boss"], s["team"]) for s in rows(engine, "slot")]
    assert made == [(name, boss, ids[name]) for name, boss in expected]
    assert traced["source"] == "teams"
    assert [item["item"] for item in traced["results"]] == [ids[name] for name, _ in expected]
    press(engine, target, "teams")
    assert len(rows(engine, "slot")) == len(expected)


def test_under_a_team_without_members_below_gives_nothing(build: Build) -> None:
    engine = build(teams=teams_rule('{under: "=team"}'))
    ids = {team.name: team.id for team in engine.people.list_teams()}
    assert press(engine, plan(engine, team=ids["Annex"]), "teams")["items"] == 0
    assert press(engine, plan(engine), "teams")["items"] == 0  # a blank `under`: no team
    assert rows(engine, "slot") == []


# -- create with where ------------------------------------------------------------------------

ONCE = """
triggers:
  - {type: record_updated, entity: plan, changed: [amount]}
actions:
  - type: create
    entity: slot
    where: "plan == record and name == concat('total of ', record.name)"
    values: {name: "=concat('total of ', record.name)", plan: "=record", share: "=amount"}
    as: total
  - {type: set, values: {note: "=concat('slot ', total.name)"}}
"""


def test_create_with_where_creates_once_and_binds_the_existing_record_after(
    build: Build,
) -> None:
    engine = build(once=ONCE)
    mine, other = plan(engine), plan(engine, name="Q")
    for amount in (5, 6, 7):
        engine.records.update(
            engine.actor("ann"), "plan", mine, {"amount": Decimal(amount)}, version=None
        )
    engine.records.update(engine.actor("ann"), "plan", other, {"amount": Decimal(1)}, version=None)
    made = [(s["name"], s["plan"], s["share"]) for s in rows(engine, "slot")]
    assert made == [("total of P", mine, Decimal(5)), ("total of Q", other, Decimal(1))]
    first, second, third, _ = sorted(engine.automations.runs(automation="once"), key=lambda r: r.id)
    slot = rows(engine, "slot")[0]["id"]
    assert first.actions[0]["created"] == {"entity": "slot", "id": slot}
    assert second.actions[0]["existing"] == slot and "created" not in second.actions[0]
    assert third.actions[0]["existing"] == slot
    # `as:` names the record found, so the actions after it read it as they would a new one
    assert engine.records.get(engine.actor("ann"), "plan", mine)["note"] == "slot total of P"


def test_without_where_create_always_creates(build: Build) -> None:
    engine = build(
        always="""
triggers:
  - {type: manual, entity: plan}
actions:
  - {type: create, entity: slot, values: {name: x, plan: "=record"}}
"""
    )
    target = plan(engine)
    press(engine, target, "always")
    press(engine, target, "always")
    assert len(rows(engine, "slot")) == 2


CHILD_PLANS = """
triggers:
  - {type: manual, entity: plan}
actions:
  - {type: create, entity: plan, values: {name: published child, status: published}}
  - {type: create, entity: plan, values: {name: closed child, status: closed}}
  - {type: create, entity: plan, values: {name: draft child, status: draft}}
"""


def test_create_reaches_a_state_value_through_the_workflow(build: Build) -> None:
    engine = build(children=CHILD_PLANS)
    press(engine, plan(engine), "children")
    made = {p["name"]: (p["id"], p["status"]) for p in rows(engine, "plan")}
    assert {name: status for name, (_, status) in made.items()} == {
        "P": "draft",
        "published child": "published",
        "closed child": "closed",
        "draft child": "draft",
    }

    def moves(name: str) -> list[Any]:
        found = engine.records.history(engine.actor("ann"), "plan", made[name][0])
        return [h.details.get("action") for h in found if h.kind == "transition"]

    assert moves("published child") == ["publish"]  # the action leading there
    assert moves("closed child") == [None]  # none leads there from draft: moved directly
    assert moves("draft child") == []


# -- allocate weights -------------------------------------------------------------------------

MONTHS_THEN_SPLIT = """
triggers:
  - {type: manual, entity: plan}
actions:
  - type: for_each
    periods: {start: "=start", end: "=end", every: month}
    as: p
    actions:
      - type: create
        entity: slot
        where: "plan == record and start == p.start"
        values: {name: "=p.type", plan: "=record", start: "=p.start", end: "=p.end",
                 weight: "=p.index"}
  - type: allocate
    total: "=amount"
    entity: slot
    where: "plan == record"
    weight: "weight if record.split == 'weighted' else 1"
    field: share
"""


@pytest.mark.parametrize(
    ("split", "shares"),
    [("weighted", ["100", "200", "300"]), ("equal", ["200", "200", "200"])],
)
def test_allocate_weight_reads_the_triggering_record(
    build: Build, split: str, shares: list[str]
) -> None:
    engine = build(split=MONTHS_THEN_SPLIT)
    target = plan(
        engine, start=date(2026, 1, 1), end=date(2026, 3, 31), amount=Decimal(600), split=split
    )
    press(engine, target, "split")
    assert [s["share"] for s in rows(engine, "slot")] == [Decimal(s) for s in shares]


OUTER_NAMES = """
triggers:
  - {type: manual, entity: plan}
actions:
  - type: create
    entity: slot
    where: "plan == record and name == 'base'"
    values: {name: base, plan: "=record", weight: 2}
    as: base
  - type: for_each
    periods: {start: "=start", end: "=end", every: month}
    as: p
    actions:
      - type: allocate
        total: "=record.amount"
        entity: slot
        where: "plan == record and name != 'base'"
        weight: "weight + base.weight * p.index"
        field: share
"""


def test_allocate_weight_reads_outer_names(build: Build) -> None:
    engine = build(outer=OUTER_NAMES)
    target = plan(engine, start=date(2026, 1, 1), end=date(2026, 2, 28), amount=Decimal(90))
    for weight in (0, 1):
        engine.records.create(
            engine.actor("ann"), "slot", {"name": "s", "plan": target, "weight": weight}
        )
    traced = press(engine, target, "outer", action=1)
    january, february = (item["results"][0]["parts"] for item in traced["results"])
    # January: weights 0+2·1 and 1+2·1 (2 : 3); February: 0+2·2 and 1+2·2 (4 : 5)
    assert sorted(Decimal(v) for v in january.values()) == [36, 54]
    assert sorted(Decimal(v) for v in february.values()) == [40, 50]
    assert [s["share"] for s in rows(engine, "slot") if s["name"] == "s"] == [40, 50]


# -- failures ---------------------------------------------------------------------------------

ENDLESS = """
triggers:
  - {type: manual, entity: plan}
actions:
  - type: for_each
    periods: {start: "=start", end: "=end", every: week}
    actions:
      - {type: create, entity: slot, values: {name: w, plan: "=record"}}
"""


def test_a_range_of_too_many_periods_fails_the_run_and_writes_nothing(build: Build) -> None:
    engine = build(endless=ENDLESS)
    target = plan(engine, start=date(2000, 1, 1), end=date(2030, 1, 1))
    with pytest.raises(AutomationFailed, match="more than 1000 periods of a week"):
        engine.automations.run_manual(engine.actor("ann"), "plan", target, "endless")
    assert rows(engine, "slot") == []
