"""One `transitions` machine per workflow definition, shared by every record."""

from __future__ import annotations

from engine.runtime.engine import Engine
from engine.workflow import build_machines


def test_the_contract_machine(sales_engine: Engine) -> None:
    machine = build_machines(sales_engine.app)["contract"]
    assert machine.machine.auto_transitions is False
    assert machine.machine.models == []
    assert machine.actions_from("draft") == ("submit",)
    assert machine.actions_from("review") == ("approve", "reject", "send_back", "recall")
    assert machine.actions_from("approved") == ("cancel",)
    assert machine.actions_from("cancelled") == ()
    assert [m.target for m in machine.moves("review", "approve")] == ["director", "finance"]
    assert [m.target for m in machine.moves("finance", "send_back")] == [
        "draft",
        "review",
        "director",
    ]
    assert machine.reachable() == set(sales_engine.app.entities["contract"].workflow.states)


def test_fire_takes_the_first_move_whose_condition_holds(sales_engine: Engine) -> None:
    machine = build_machines(sales_engine.app)["contract"]
    move = machine.fire("review", "approve", lambda m: m.target != "director")
    assert move is not None and move.target == "finance"
    move = machine.fire("review", "approve", lambda m: True)
    assert move is not None and move.target == "director"
    assert machine.fire("review", "approve", lambda m: False) is None
    assert machine.fire("draft", "approve", lambda m: True) is None
    assert machine.fire("draft", "nonsense", lambda m: True) is None
    assert machine.machine.models == []


def test_deal_pipeline_from_any_open_stage(sales_engine: Engine) -> None:
    machine = build_machines(sales_engine.app)["deal"]
    assert set(machine.actions_from("won")) == set()
    assert "lose" in machine.actions_from("negotiation")
    assert machine.actions_from("lost") == ("reopen",)
