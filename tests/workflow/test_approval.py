"""Completion of an approval step by mode, and who acts next."""

from __future__ import annotations

import pytest

from engine.workflow.approval import (
    TaskView,
    acting_seq,
    approvals_needed,
    base_satisfied,
    step_complete,
)


def tasks(*statuses: str, origin: str = "approver", seq: int = 10) -> list[TaskView]:
    return [TaskView(i, f"u{i}", seq, origin, s) for i, s in enumerate(statuses)]


@pytest.mark.parametrize(
    ("mode", "count", "percent", "total", "needed"),
    [
        ("any", None, None, 3, 1),
        ("all", None, None, 3, 3),
        ("n_of_m", 2, None, 3, 2),
        ("n_of_m", 5, None, 3, 3),  # never more than there are approvers
        ("percentage", None, 50, 3, 2),  # 1.5 rounds up
        ("percentage", None, 50, 4, 2),
        ("percentage", None, 100, 4, 4),
        ("percentage", None, 1, 4, 1),
        ("any", None, None, 0, 0),
    ],
)
def test_approvals_needed(
    mode: str, count: int | None, percent: float | None, total: int, needed: int
) -> None:
    assert approvals_needed(mode, count, percent, total) == needed


def test_any_completes_on_the_first_approval() -> None:
    assert not step_complete("any", None, None, tasks("pending", "pending"))
    assert step_complete("any", None, None, tasks("approved", "pending"))


def test_all_needs_every_approver() -> None:
    assert not step_complete("all", None, None, tasks("approved", "pending", "approved"))
    assert step_complete("all", None, None, tasks("approved", "approved", "approved"))


def test_n_of_m_and_percentage() -> None:
    assert not step_complete("n_of_m", 2, None, tasks("approved", "pending", "pending"))
    assert step_complete("n_of_m", 2, None, tasks("approved", "approved", "pending"))
    assert not step_complete("percentage", None, 60, tasks("approved", "pending", "pending"))
    assert step_complete("percentage", None, 60, tasks("approved", "approved", "pending"))


def test_transferred_tasks_do_not_count_and_added_approvers_must_approve() -> None:
    listed = [
        TaskView(1, "a", 10, "approver", "transferred"),
        TaskView(2, "b", 10, "approver", "approved"),
    ]
    assert step_complete("all", None, None, listed)
    added = [*listed, TaskView(3, "c", 11, "add_after", "waiting")]
    assert base_satisfied("all", None, None, added)
    assert not step_complete("all", None, None, added)
    done = [*listed, TaskView(3, "c", 11, "add_after", "approved")]
    assert step_complete("all", None, None, done)


def test_acting_seq_is_the_lowest_open_sequence() -> None:
    listed = [
        TaskView(1, "a", 10, "approver", "approved"),
        TaskView(2, "b", 20, "approver", "waiting"),
        TaskView(3, "c", 30, "approver", "waiting"),
    ]
    assert acting_seq(listed) == 20
    assert acting_seq(tasks("approved", "cancelled")) is None
