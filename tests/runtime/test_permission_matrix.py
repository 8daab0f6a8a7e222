"""The sales template's permissions, through the record service: every role × entity ×
action × whose record (own, same team, a sub-team, another team).

The expected grants below are the sales template's `permissions:` restated by hand (with
inheritance: a manager has everything a rep has, a director everything a manager has).
A record outside the read scope is NotFound for every action — a user never learns it
exists; one that can be read but not changed is Forbidden.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import SALES_APP, START, TEST_ITERATIONS

from engine.errors import Forbidden, FormworkError, NotFound
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry

CLASSES = ("own", "same_team", "sub_team", "other_team")
ROLES = ("sales_rep", "sales_manager", "sales_director", "finance", "admin")
ENTITIES = ("customer", "contact", "follow_up", "deal", "contract", "target", "bonus")

# Which of the four records a scope covers.
SCOPE: Mapping[str, frozenset[str]] = {
    "none": frozenset(),
    "own": frozenset({"own"}),
    "mine": frozenset({"own"}),  # an =expression that, for these records, means "mine"
    "subteams": frozenset({"own", "same_team", "sub_team"}),
    "all": frozenset(CLASSES),
}

# role → entity → (create, read, update, delete)
GRANTS: Mapping[str, Mapping[str, tuple[bool, str, str, str]]] = {
    "sales_rep": {
        "customer": (True, "own", "own", "none"),
        "contact": (True, "mine", "mine", "own"),
        "follow_up": (True, "own", "own", "own"),
        "deal": (True, "own", "own", "none"),
        "contract": (True, "own", "own", "none"),
        "target": (False, "mine", "none", "none"),
        "bonus": (False, "own", "own", "none"),
    },
    "sales_manager": {
        "customer": (True, "subteams", "subteams", "subteams"),
        "contact": (True, "subteams", "subteams", "subteams"),
        "follow_up": (True, "subteams", "subteams", "subteams"),
        "deal": (True, "subteams", "subteams", "subteams"),
        "contract": (True, "subteams", "subteams", "none"),
        "target": (True, "subteams", "subteams", "subteams"),
        "bonus": (False, "subteams", "subteams", "none"),
    },
    "sales_director": {
        "customer": (True, "all", "all", "all"),
        "contact": (True, "all", "all", "all"),
        "follow_up": (True, "all", "all", "all"),
        "deal": (True, "all", "all", "all"),
        "contract": (True, "all", "all", "none"),
        "target": (True, "all", "all", "all"),
        "bonus": (True, "all", "all", "none"),
    },
    "finance": {
        "customer": (False, "all", "none", "none"),
        "contact": (False, "none", "none", "none"),
        "follow_up": (False, "none", "none", "none"),
        "deal": (False, "none", "none", "none"),
        "contract": (False, "all", "all", "none"),  # notes only, and the `cancel` action
        "target": (False, "all", "none", "none"),
        "bonus": (False, "all", "all", "none"),
    },
    "admin": {entity: (True, "all", "all", "all") for entity in ENTITIES},
}

# The acting user of each role, and the owners of the four records it is tested against.
ACTORS: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "sales_rep": ("rep_east_1", {"own": "rep_east_1", "same_team": "rep_east_2",
                                 "sub_team": "rep_east_a", "other_team": "rep_west_1"}),
    "sales_manager": ("manager_east", {"own": "manager_east", "same_team": "rep_east_1",
                                       "sub_team": "rep_east_a", "other_team": "rep_west_1"}),
    "sales_director": ("director", {"own": "director", "same_team": "hq_2",
                                    "sub_team": "rep_east_a", "other_team": "rep_partner"}),
    "finance": ("finance", {"own": "finance", "same_team": "finance_2",
                            "sub_team": "fin_sub", "other_team": "rep_west_1"}),
    "admin": ("admin", {"own": "admin", "same_team": "hq_2",
                        "sub_team": "rep_east_a", "other_team": "rep_partner"}),
}  # fmt: skip

# name, parent, head, members (username → roles)
TEAMS = (
    ("HQ", None, "director", {"director": ["sales_director"], "hq_2": ["sales_rep"]}),
    ("East", "HQ", "manager_east", {"manager_east": ["sales_manager"],
                                    "rep_east_1": ["sales_rep"], "rep_east_2": ["sales_rep"]}),
    ("East A", "East", None, {"rep_east_a": ["sales_rep"]}),
    ("West", "HQ", "manager_west", {"manager_west": ["sales_manager"],
                                    "rep_west_1": ["sales_rep"]}),
    ("Finance", "HQ", "finance", {"finance": ["finance"], "finance_2": ["finance"]}),
    ("Payables", "Finance", None, {"fin_sub": ["finance"]}),
    ("Partners", None, None, {"rep_partner": ["sales_rep"]}),
)  # fmt: skip

# A field each entity's updates change (editable in the record's initial state).
EDITED = {"customer": "address", "contact": "title", "follow_up": "summary", "deal": "next_step",
          "contract": "notes", "target": "name", "bonus": "notes"}  # fmt: skip


def values_for(
    entity: str, owner: str, anchors: Mapping[str, Mapping[str, int]], tag: str
) -> dict[str, Any]:
    """Valid values of a new `entity` record owned by `owner`."""
    customer = anchors["customer"][owner]
    month = {"period_type": "month", "period_start": "2026-03-01", "period_end": "2026-03-31"}
    by_entity: dict[str, dict[str, Any]] = {
        "customer": {"name": f"{tag} {owner}", "owner": owner},
        "contact": {"customer": customer, "name": tag, "phone": "13800000000", "owner": owner},
        "follow_up": {"customer": customer, "summary": tag, "owner": owner},
        "deal": {"customer": customer, "name": tag, "amount": 1000, "owner": owner},
        "contract": {"customer": customer, "title": tag, "amount": 1000, "owner": owner},
        "target": {"name": tag, "scope": "user", "user": owner, "amount": 1000, "owner": owner,
                   **month},
        "bonus": {"user": owner, "target": anchors["target"].get(owner), "amount": 100,
                  "owner": owner},
    }  # fmt: skip
    return by_entity[entity]


@dataclass
class Matrix:
    """The sales template with its people and, per role × entity, four records."""

    engine: Engine
    records: dict[tuple[str, str], dict[str, int]]  # (role, entity) → class → record id
    anchors: dict[str, dict[str, int]]

    def actor(self, role: str) -> Actor:
        return self.engine.actor(ACTORS[role][0])


def _people(engine: Engine) -> None:
    people = engine.people
    ids: dict[str, int] = {}
    for name, parent, head, members in TEAMS:
        for username, roles in members.items():
            people.create_user(username, locale="en")
            for role in roles:
                people.grant_role("sales_crm", username, role)
        team = people.create_team(name, parent_id=ids.get(parent or ""), manager=head)
        ids[name] = team.id
        for username in members:
            people.set_team(username, team.id)
    people.create_user("admin", is_admin=True, locale="en")


def _build(engine: Engine) -> Matrix:
    _people(engine)
    system = Actor.system(locale="en")
    create = engine.records.create
    owners = sorted({owner for _, owners in ACTORS.values() for owner in owners.values()})
    anchors: dict[str, dict[str, int]] = {"customer": {}, "target": {}}
    for owner in owners:
        anchors["customer"][owner] = create(
            system, "customer", {"name": f"anchor {owner}", "owner": owner}
        ).id
        anchors["target"][owner] = create(
            system, "target", values_for("target", owner, anchors, "anchor")
        ).id
    records: dict[tuple[str, str], dict[str, int]] = {}
    for role, (_, classes) in ACTORS.items():
        for entity in ENTITIES:
            records[(role, entity)] = {
                kind: create(
                    system, entity, values_for(entity, owner, anchors, f"{role} {kind}")
                ).id
                for kind, owner in classes.items()
            }
    return Matrix(engine, records, anchors)


@pytest.fixture(scope="module")
def matrix(
    module_database_url: str, project_registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    engine = Engine.load(
        SALES_APP,
        database_url=module_database_url,
        clock=FixedClock(START),
        project_root=tmp_path_factory.mktemp("matrix"),
        registry=project_registry,
        password_iterations=TEST_ITERATIONS,
    )
    engine.migrate()
    yield _build(engine)
    engine.close()


def outcome(call: Any) -> str:
    """`ok`, `not_found` or `forbidden`."""
    try:
        call()
    except NotFound:
        return "not_found"
    except Forbidden:
        return "forbidden"
    return "ok"


def expected_outcome(readable: bool, allowed: bool) -> str:
    if not readable:
        return "not_found"
    return "ok" if allowed else "forbidden"


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("role", ROLES)
def test_role_on_entity(matrix: Matrix, role: str, entity: str) -> None:
    engine, actor = matrix.engine, matrix.actor(role)
    records = matrix.records[(role, entity)]
    may_create, read, update, delete = GRANTS[role][entity]
    admin = Actor.system()
    got: dict[tuple[str, str], str] = {}
    want: dict[tuple[str, str], str] = {}
    for kind, record_id in records.items():
        readable = kind in SCOPE[read]
        got[("read", kind)] = outcome(partial(engine.records.get, actor, entity, record_id))
        want[("read", kind)] = "ok" if readable else "not_found"
        version = engine.records.get(admin, entity, record_id).version
        change = {EDITED[entity]: f"changed by {role}"}
        update_it = partial(engine.records.update, actor, entity, record_id, change)
        got[("update", kind)] = outcome(partial(update_it, version=version))
        want[("update", kind)] = expected_outcome(readable, kind in SCOPE[update])
        got[("delete", kind)] = outcome(partial(engine.records.delete, actor, entity, record_id))
        want[("delete", kind)] = expected_outcome(readable, kind in SCOPE[delete])
        if got[("delete", kind)] == "ok":
            engine.records.restore(admin, entity, record_id)
    assert got == want
    if read == "none":
        assert outcome(lambda: engine.records.list(actor, entity)) == "forbidden"
    else:
        listed = {r.id for r in engine.records.list(actor, entity, limit=500).records}
        assert {k for k, i in records.items() if i in listed} == set(SCOPE[read])
    owner = ACTORS[role][0]
    try:
        created = engine.records.create(
            actor, entity, values_for(entity, owner, matrix.anchors, f"new {role}")
        )
        assert created.created_by == owner
        assert may_create
    except Forbidden:
        assert not may_create


def test_a_rep_cannot_reach_other_records_by_guessing_ids(matrix: Matrix) -> None:
    engine, rep = matrix.engine, matrix.actor("sales_rep")
    for entity in ENTITIES:
        table = engine.tables.entity(entity)
        with engine.db.begin() as connection:
            highest = int(connection.scalar(sa.select(sa.func.max(table.c.id))) or 0)
        readable = set()
        for record_id in range(1, highest + 3):
            try:
                record = engine.records.get(rep, entity, record_id)
            except NotFound:
                continue
            except FormworkError as error:  # pragma: no cover - reported by the assert
                raise AssertionError(f"{entity} #{record_id}: {error!r}") from error
            readable.add(record.id)
        owned = {"target": "user", "bonus": "owner"}.get(entity, "owner")
        for record_id in readable:
            values = engine.records.get(Actor.system(), entity, record_id).values
            mine = values.get(owned) == "rep_east_1"
            via_customer = (
                entity == "contact" and _customer_owner(engine, values["customer"]) == "rep_east_1"
            )
            assert mine or via_customer, (entity, record_id)
        assert readable, entity


def _customer_owner(engine: Engine, customer_id: int) -> str:
    return str(engine.records.get(Actor.system(), "customer", customer_id)["owner"])


def test_finance_never_sees_the_sales_notes_of_customers(matrix: Matrix) -> None:
    engine = matrix.engine
    finance = matrix.actor("finance")
    record_id = matrix.records[("finance", "customer")]["other_team"]
    record = engine.records.get(finance, "customer", record_id)
    assert "notes" not in record.values and "next_follow_up" not in record.values
    assert record["name"] == "finance other_team rep_west_1"
    listed = engine.records.list(finance, "customer", limit=5).records
    assert all("notes" not in r.values for r in listed)
