"""One `transitions` machine per workflow definition serves every record: acting on many
records leaves the machine with no model and no per-record state (TESTING.md: a machine or
model per record costs ~88 KB each).

"No per-record state" is checked on the whole object graph reachable from each
`WorkflowMachine` (its `transitions.Machine`, states, events, transitions, conditions, move
tables …): it is counted after a warm-up and again after acting on many more records, and
must be the same object for object. Functions, classes and modules are not followed (they
lead to the whole program); bound methods and every container are.
"""

from __future__ import annotations

import gc
import sys
import types
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from runtime_support import SALES_APP, START, TEST_ITERATIONS
from workflow_support import act, add_sales_people, new_contract, state

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry
from engine.workflow import machine as machine_module
from engine.workflow.machine import WorkflowMachine

_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType)


def graph(root: object) -> tuple[Counter[str], int]:
    """Objects reachable from `root` by type name, and their total size in bytes."""
    seen: set[int] = set()
    counts: Counter[str] = Counter()
    size = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _OPAQUE):
            continue
        seen.add(id(obj))
        counts[type(obj).__qualname__] += 1
        size += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return counts, size


class KeptModel:
    """What a machine keeping a model per record would hold."""


def live_subjects() -> int:
    """Throw-away models the machine module made that are still alive."""
    gc.collect()
    return sum(isinstance(obj, machine_module._Subject) for obj in gc.get_objects())


@pytest.fixture
def sales(database_url: str, project_registry: Registry, tmp_path: Path) -> Iterator[Engine]:
    engine = Engine.load(
        SALES_APP,
        database_url=database_url,
        clock=FixedClock(START),
        project_root=tmp_path,
        registry=project_registry,
        password_iterations=TEST_ITERATIONS,
    )
    engine.migrate()
    add_sales_people(engine)
    yield engine
    engine.close()


def machines(engine: Engine) -> dict[str, WorkflowMachine]:
    return {name: wf.machine for name, wf in engine.workflows.workflows.items()}


def work(engine: Engine, first: int, rounds: int) -> None:
    """Deals through the pipeline and contracts through approval, `rounds` of each."""
    rep = engine.actor("rep_east_1")
    customer = engine.records.create(rep, "customer", {"name": f"Many {first}",
                                                       "owner": "rep_east_1"})  # fmt: skip
    for number in range(first, first + rounds):
        deal = engine.records.create(
            rep, "deal", {"name": f"D{number}", "customer": customer.id, "amount": Decimal(10)}
        )
        engine.workflows.actions(rep, "deal", deal.id)
        act(engine, "rep_east_1", deal, "contact", entity="deal")
        act(engine, "rep_east_1", deal, "qualify", entity="deal")
        if number % 2:
            act(engine, "rep_east_1", deal, "lose", entity="deal", values={"lost_reason": "price"})
        contract = new_contract(engine, "rep_east_1", str(1000 + number))
        act(engine, "rep_east_1", contract, "submit")
        engine.workflows.actions(engine.actor("manager_east"), "contract", contract.id)
        if number % 3 == 0:
            act(engine, "manager_east", contract, "send_back", comment="fix it")
        else:
            act(engine, "manager_east", contract, "approve")
            act(engine, "finance", contract, "approve")
            assert state(engine, contract) == "approved"


def test_acting_on_many_records_keeps_no_model_and_no_per_record_state(sales: Engine) -> None:
    found = machines(sales)
    assert {"deal", "contract"} <= set(found)
    work(sales, 0, 3)  # warm-up: whatever is built lazily on first use
    before = {name: graph(machine) for name, machine in found.items()}

    work(sales, 100, 25)

    for name, machine in found.items():
        assert machine.machine.models == [], name
        assert graph(machine) == before[name], name
    assert live_subjects() == 0


def test_the_graph_walk_sees_a_model_kept_per_record(sales: Engine) -> None:
    """The check above can fail: a model added to the machine shows in the graph."""
    machine = machines(sales)["deal"]
    before = graph(machine)
    kept = KeptModel()
    machine.machine.add_model(kept)
    try:
        counts, size = graph(machine)
        assert counts != before[0] and size > before[1]
        assert counts["KeptModel"] == 1
    finally:
        machine.machine.remove_model(kept)


def test_firing_directly_leaves_nothing_behind(sales: Engine) -> None:
    """`fire` itself, thousands of times from every state, without the database."""
    machine = machines(sales)["contract"]
    before = graph(machine)
    taken = 0
    for _ in range(500):
        for source in machine.spec.states:
            for action in machine.actions_from(source):
                taken += machine.fire(source, action, lambda move: True) is not None
    assert taken > 500
    assert machine.machine.models == []
    assert graph(machine) == before
    assert live_subjects() == 0
