"""People and records for the workflow tests of the sales template: a company team headed
by two sales directors' team (`director`, `director_2`), East and West teams (managers
`manager_east`, `manager_west`; reps `rep_east_1`, `rep_east_2`, `rep_west_1`), two finance
users and an admin. Helpers create customers, deals and contracts through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.runtime.engine import Engine
from engine.runtime.record import Record
from engine.runtime.workflow_service import ActionRequest

APP = "sales_crm"


def add_sales_people(engine: Engine, *, directors: int = 2, finance: int = 2) -> None:
    """The people described in the module docstring."""
    people = engine.people
    people.create_user("admin", is_admin=True, locale="en")
    people.create_user("director", locale="en")
    sales = people.create_team("Sales", manager="director")
    people.set_team("director", sales.id)
    people.grant_role(APP, "director", "sales_director")
    for number in range(2, directors + 1):
        name = f"director_{number}"
        people.create_user(name, locale="en", team_id=sales.id)
        people.grant_role(APP, name, "sales_director")
    for region in ("east", "west"):
        manager = f"manager_{region}"
        people.create_user(manager, locale="en")
        team = people.create_team(region.title(), parent_id=sales.id, manager=manager)
        people.set_team(manager, team.id)
        people.grant_role(APP, manager, "sales_manager")
        for number in (1, 2):
            rep = f"rep_{region}_{number}"
            people.create_user(rep, locale="en", team_id=team.id)
            people.grant_role(APP, rep, "sales_rep")
    for number in range(1, finance + 1):
        name = "finance" if number == 1 else f"finance_{number}"
        people.create_user(name, locale="en")
        people.grant_role(APP, name, "finance")


def new_contract(engine: Engine, owner: str, amount: str = "100000", **values: Any) -> Record:
    """A draft contract of `owner` for a new customer."""
    actor = engine.actor(owner)
    customer = engine.records.create(
        actor, "customer", {"name": f"Customer of {owner} {amount}", "owner": owner}
    )
    fields = {"title": f"Contract {amount}", "customer": customer.id, "owner": owner}
    fields |= {"amount": Decimal(amount)} | values
    return engine.records.create(actor, "contract", fields)


def act(engine: Engine, username: str, record: Record | int, action: str, **request: Any) -> Record:
    """`username` takes `action` on the contract (or another entity with `entity=`)."""
    entity = request.pop("entity", "contract")
    record_id = record if isinstance(record, int) else record.id
    return engine.workflows.act(
        engine.actor(username), entity, record_id, action, ActionRequest(**request)
    )


def state(engine: Engine, record: Record | int, entity: str = "contract") -> str:
    """The record's workflow state, read as the system."""
    from engine.runtime.actor import Actor

    record_id = record if isinstance(record, int) else record.id
    field = engine.app.entities[entity].workflow.field  # type: ignore[union-attr]
    return str(engine.records.get(Actor.system(), entity, record_id)[field])
