"""Workflows: states, approval steps, transitions and the state map used by migrations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from engine.spec.document import Loc
from engine.spec.model_action import ActionSpec, ApproverSpec
from engine.spec.model_values import ExprSpec, Label, ValueSpec

__all__ = [
    "APPROVAL_ACTIONS",
    "ApprovalSpec",
    "DueSpec",
    "StateSpec",
    "TransitionSpec",
    "WorkflowSpec",
]

APPROVAL_ACTIONS = ("approve", "reject", "send_back", "recall", "transfer", "add_approver")
"""Approval actions keep these names; `transfer` and `add_approver` never change state."""


@dataclass(frozen=True)
class DueSpec:
    """When an approval step is due: `after` a delay, or a date `field` plus `offset`."""

    after: timedelta | None
    field: str | None
    offset: timedelta | None
    loc: Loc


@dataclass(frozen=True)
class ApprovalSpec:
    """An approval step: who approves and when the step is complete."""

    approvers: tuple[ApproverSpec, ...]
    mode: str  # any | all | n_of_m | percentage
    count: int | None
    percent: float | None
    allow_self_approval: bool
    skip_if_approved: bool
    allow: tuple[str, ...]
    due: DueSpec | None
    on_overdue: str | None
    loc: Loc


@dataclass(frozen=True)
class StateSpec:
    """One workflow state."""

    name: str
    label: Label
    color: str | None
    initial: bool
    final: bool
    editable: tuple[str, ...] | None  # None: the default rule; ("*",): every field
    editable_by: tuple[str, ...]
    approval: ApprovalSpec | None
    cc: tuple[ApproverSpec, ...]
    on_enter: tuple[ActionSpec, ...]
    loc: Loc

    def editable_fields(self, all_fields: Iterable[str]) -> tuple[str, ...]:
        """Fields editable here: as listed; `"*"` = all; unset = all unless approval."""
        names = tuple(all_fields)
        if self.editable is None:
            return () if self.approval is not None else names
        if "*" in self.editable:
            return names
        return self.editable


@dataclass(frozen=True)
class TransitionSpec:
    """One transition of an action name (a name may have several, tried in order)."""

    name: str
    index: int  # position in the name's list (0 when written as a single mapping)
    from_states: tuple[str, ...]  # ("*",) = from any state
    to: tuple[str, ...]  # several: the actor chooses (send_back)
    label: Label
    roles: tuple[str, ...]
    guard: ExprSpec | None  # the `if:` key
    comment: str  # required | optional | none
    requires: tuple[str, ...]
    set: Mapping[str, ValueSpec]
    confirm: Label | None
    style: str
    loc: Loc

    @property
    def from_any(self) -> bool:
        """True when written `from: "*"`."""
        return "*" in self.from_states

    def leaves(self, state: str) -> bool:
        """True when this transition may be taken from `state`."""
        return self.from_any or state in self.from_states


@dataclass(frozen=True)
class WorkflowSpec:
    """An entity's workflow: the state column, states, transitions by action name."""

    field: str
    label: Label
    states: Mapping[str, StateSpec]
    transitions: Mapping[str, tuple[TransitionSpec, ...]]
    state_map: Mapping[str, str]
    loc: Loc

    @property
    def initial_states(self) -> tuple[StateSpec, ...]:
        """States marked `initial` (a valid workflow has exactly one)."""
        return tuple(s for s in self.states.values() if s.initial)

    @property
    def initial_state(self) -> str | None:
        """The initial state's name, when there is exactly one."""
        initial = self.initial_states
        return initial[0].name if len(initial) == 1 else None

    def all_transitions(self) -> tuple[TransitionSpec, ...]:
        """Every transition, in declaration order."""
        return tuple(t for group in self.transitions.values() for t in group)

    def transitions_from(self, state: str) -> tuple[TransitionSpec, ...]:
        """Every transition that may be taken from `state`."""
        return tuple(t for t in self.all_transitions() if t.leaves(state))
