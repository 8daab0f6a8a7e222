"""When an approval step is complete, and who acts next — pure functions over its tasks.

A step has one task per approver. Base tasks (`origin` approver) complete the step by the
step's mode: any (或签, one approval), all (会签, every one), n_of_m (`count` of them) or
percentage (`percent` of them, rounded up). Approvers added by 加签 (`add_before`,
`add_after`) must always approve as well. Tasks act in sequence order: only the lowest
sequence number that still has open tasks may act (manager chains; an approver added before
oneself); a transferred task hands its place to the new assignee's task.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ADDED_ORIGINS",
    "CLOSED_TASK_STATUSES",
    "OPEN_TASK_STATUSES",
    "TaskView",
    "acting_seq",
    "approvals_needed",
    "base_satisfied",
    "step_complete",
]

OPEN_TASK_STATUSES = frozenset({"pending", "waiting"})
"""Tasks still to act: `pending` may act now, `waiting` after the tasks before it."""
CLOSED_TASK_STATUSES = frozenset({"transferred", "cancelled"})
"""Tasks that no longer count (handed on, or closed when the step ended)."""
ADDED_ORIGINS = frozenset({"add_before", "add_after"})


@dataclass(frozen=True)
class TaskView:
    """One approval task as the step logic sees it."""

    id: int
    assignee: str
    seq: int
    origin: str
    status: str

    @property
    def open(self) -> bool:
        """Still has to act."""
        return self.status in OPEN_TASK_STATUSES

    @property
    def counts(self) -> bool:
        """Takes part in the step's completion (not handed on or closed)."""
        return self.status not in CLOSED_TASK_STATUSES


def approvals_needed(mode: str, count: int | None, percent: float | None, total: int) -> int:
    """How many of `total` base approvers must approve under `mode` (at least one)."""
    if total <= 0:
        return 0
    if mode == "all":
        return total
    if mode == "n_of_m":
        return max(1, min(count or 1, total))
    if mode == "percentage":
        return max(1, min(total, math.ceil(total * (percent or 100) / 100 - 1e-9)))
    return 1


def base_satisfied(
    mode: str, count: int | None, percent: float | None, tasks: Iterable[TaskView]
) -> bool:
    """True when the step's own approvers' approvals satisfy its mode."""
    base = [task for task in tasks if task.counts and task.origin not in ADDED_ORIGINS]
    approved = sum(1 for task in base if task.status == "approved")
    return approved >= approvals_needed(mode, count, percent, len(base))


def step_complete(
    mode: str, count: int | None, percent: float | None, tasks: Iterable[TaskView]
) -> bool:
    """True when the step's approvals satisfy its mode and every added approver approved."""
    listed = list(tasks)
    added = [task for task in listed if task.counts and task.origin in ADDED_ORIGINS]
    if any(task.status != "approved" for task in added):
        return False
    return base_satisfied(mode, count, percent, listed)


def acting_seq(tasks: Sequence[TaskView]) -> int | None:
    """The sequence number whose open tasks may act now (None when none is open)."""
    open_seqs = [task.seq for task in tasks if task.open]
    return min(open_seqs) if open_seqs else None
