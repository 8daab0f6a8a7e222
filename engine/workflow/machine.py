"""`WorkflowMachine`: one `transitions.Machine` per workflow definition.

The machine is built once when the app loads, with `auto_transitions=False` (only the
transitions the YAML declares exist) and no model. Its only callbacks are the condition
objects built here from the spec — never names or dotted paths from YAML. To take an
action, `fire` hands the machine a throw-away subject holding the record's current state and
lets `transitions` pick and execute the first transition whose conditions hold; the
conditions ask the caller's `allow` predicate (the guard expression, the chosen target).
Nothing is registered with the machine, so one machine serves every record and every thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from transitions import Machine
from transitions.core import EventData

from engine.spec.model import AppSpec
from engine.spec.model_workflow import TransitionSpec, WorkflowSpec

__all__ = ["Move", "WorkflowMachine", "build_machines"]

_ALLOW = "allow"


@dataclass(frozen=True)
class Move:
    """One way of taking an action from a state: the declared transition and its target."""

    transition: TransitionSpec
    source: str
    target: str

    @property
    def action(self) -> str:
        """The action's name (`submit`, `approve`, …)."""
        return self.transition.name


class _Condition:
    """The condition of one move: asks the caller's predicate (passed with the event)."""

    def __init__(self, move: Move) -> None:
        self.move = move

    def __call__(self, event: EventData) -> bool:
        allow: Callable[[Move], bool] = event.kwargs[_ALLOW]
        return bool(allow(self.move))


class _Subject:
    """The model `transitions` moves for one call: just the state, then thrown away."""

    def __init__(self, state: str) -> None:
        self.state = state


class WorkflowMachine:
    """The state machine of one workflow definition."""

    def __init__(self, entity: str, spec: WorkflowSpec) -> None:
        self.entity = entity
        self.spec = spec
        states = list(spec.states)
        self.machine = Machine(
            model=None,
            states=states,
            initial=spec.initial_state or states[0],
            auto_transitions=False,
            send_event=True,
            name=f"{entity}.{spec.field}",
        )
        moves: dict[tuple[str, str], list[Move]] = {}
        live = [name for name, state in spec.states.items() if not state.final]
        for transition in spec.all_transitions():
            sources = live if transition.from_any else transition.from_states
            for source in sources:
                if source not in spec.states:
                    continue
                for target in transition.to:
                    if target not in spec.states:
                        continue
                    move = Move(transition, source, target)
                    self.machine.add_transition(
                        transition.name, source, target, conditions=[_Condition(move)]
                    )
                    moves.setdefault((source, transition.name), []).append(move)
        self._moves = MappingProxyType({key: tuple(value) for key, value in moves.items()})

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action name the workflow declares."""
        return tuple(self.spec.transitions)

    def moves(self, state: str, action: str) -> tuple[Move, ...]:
        """The moves `action` may make from `state`, in declaration order."""
        return self._moves.get((state, action), ())

    def actions_from(self, state: str) -> tuple[str, ...]:
        """The actions that have a transition leaving `state`."""
        return tuple(name for name in self.spec.transitions if (state, name) in self._moves)

    def fire(self, state: str, action: str, allow: Callable[[Move], bool]) -> Move | None:
        """Take `action` from `state`: the first declared move whose conditions (`allow`)
        hold, as `transitions` executes it; None when none does."""
        event = self.machine.events.get(action)
        if event is None or state not in self.spec.states:
            return None
        subject = _Subject(state)
        taken: list[Move] = []

        def recording(move: Move) -> bool:
            if allow(move):
                taken.append(move)
                return True
            return False

        data = EventData(
            self.machine.get_state(state), event, self.machine, subject, args=(),
            kwargs={_ALLOW: recording},
        )  # fmt: skip
        for transition in event.transitions.get(state, []):
            if transition.execute(data):
                move = taken[-1]
                if subject.state != move.target:  # pragma: no cover - transitions' contract
                    raise RuntimeError(f"the machine ended in {subject.state}, not {move.target}")
                return move
        return None

    def reachable(self) -> frozenset[str]:
        """States reachable from the initial state."""
        start = self.spec.initial_state
        if start is None:
            return frozenset()
        seen = {start}
        queue = [start]
        while queue:
            state = queue.pop()
            for (source, _), moves in self._moves.items():
                if source != state:
                    continue
                for move in moves:
                    if move.target not in seen:
                        seen.add(move.target)
                        queue.append(move.target)
        return frozenset(seen)


def build_machines(app: AppSpec) -> Mapping[str, WorkflowMachine]:
    """One machine per entity that has a workflow."""
    found: dict[str, Any] = {}
    for name, entity in app.entities.items():
        if entity.workflow is not None and entity.workflow.states:
            found[name] = WorkflowMachine(name, entity.workflow)
    return MappingProxyType(found)
