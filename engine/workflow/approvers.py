"""Who approves a step, or is copied: approver sources resolved to usernames.

Sources: every user with a `role`; the user in a `user_field`; the `manager` of a user
field's user (default `owner`); the `manager_chain` up to `levels` managers, who approve one
after the other; named `users`; or an `expression` giving a username or a list of them.
The people behind them come from a `Directory` the runtime provides. Inactive users are
left out; a user named by several sources gets one task, in the earliest place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from engine.spec.model_action import ApproverSpec
from engine.spec.model_values import ExprSpec

__all__ = ["SEQ_STEP", "Directory", "ResolvedApprover", "resolve_approvers", "sequential"]

SEQ_STEP = 10
"""Sequence numbers are spaced so approvers can be added before one another."""


class Directory(Protocol):
    """The people the workflow needs to know about."""

    def role_members(self, role: str) -> Sequence[str]:
        """Active users holding `role` in the app, sorted."""
        ...

    def manager_of(self, username: str) -> str | None:
        """The user's manager (the head of their team, or up the tree), if any."""
        ...

    def is_active(self, username: str) -> bool:
        """True for an existing, active user."""
        ...


@dataclass(frozen=True)
class ResolvedApprover:
    """One approver of a step and the order they act in."""

    username: str
    seq: int


def sequential(sources: Iterable[ApproverSpec]) -> bool:
    """True when the sources form a chain that must approve in order (manager_chain)."""
    return any(source.type == "manager_chain" for source in sources)


def resolve_approvers(
    sources: Sequence[ApproverSpec],
    values: Mapping[str, Any],
    directory: Directory,
    evaluate: Callable[[ExprSpec], Any],
) -> list[ResolvedApprover]:
    """The users behind `sources` for a record with `values`, in acting order."""
    found: dict[str, int] = {}

    def add(username: Any, seq: int) -> None:
        if not isinstance(username, str) or not username:
            return
        if username in found or not directory.is_active(username):
            return
        found[username] = seq

    for source in sources:
        for username, seq in _users_of(source, values, directory, evaluate):
            add(username, seq)
    ordered = sorted(found.items(), key=lambda item: item[1])
    return [ResolvedApprover(username, seq) for username, seq in ordered]


def _users_of(
    source: ApproverSpec,
    values: Mapping[str, Any],
    directory: Directory,
    evaluate: Callable[[ExprSpec], Any],
) -> list[tuple[Any, int]]:
    if source.type == "role" and source.role is not None:
        return [(name, SEQ_STEP) for name in directory.role_members(source.role)]
    if source.type == "user_field" and source.field is not None:
        return [(values.get(source.field), SEQ_STEP)]
    if source.type == "users":
        return [(name, SEQ_STEP) for name in source.users]
    if source.type == "expression" and source.expr is not None:
        result = evaluate(source.expr)
        names = result if isinstance(result, list | tuple) else [result]
        return [(name, SEQ_STEP) for name in names]
    if source.type in ("manager", "manager_chain"):
        user = values.get(source.user_field or "owner")
        levels = (source.levels or 1) if source.type == "manager_chain" else 1
        chain: list[tuple[Any, int]] = []
        current = user if isinstance(user, str) else None
        for level in range(1, levels + 1):
            if current is None:
                break
            current = directory.manager_of(current)
            if current is None or current == user:
                break
            chain.append((current, SEQ_STEP * level))
        return chain
    return []
