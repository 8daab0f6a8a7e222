"""`MigrationPlan`: the steps that bring a database to an app's spec, in the order they are
applied, and the snapshot recorded afterwards. `describe()` is what `migrate --dry-run`
prints: one line per step, `+` additive, `~` rename (data kept), `!` destructive (refused
unless allowed) or blocked (refused until the data is fixed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.storage.migration_steps import Step, StepKind

__all__ = ["MigrationPlan"]


@dataclass(frozen=True)
class MigrationPlan:
    """What `apply_migration` would do to one app's tables."""

    app: str
    dialect: str
    steps: tuple[Step, ...]
    snapshot: Mapping[str, Any]
    snapshot_changed: bool
    stamp: str

    @property
    def is_empty(self) -> bool:
        """True when the database already matches the spec (nothing to apply)."""
        return not self.steps and not self.snapshot_changed

    def of_kind(self, kind: StepKind) -> tuple[Step, ...]:
        """The steps of one kind, in order."""
        return tuple(step for step in self.steps if step.kind is kind)

    @property
    def destructive(self) -> tuple[Step, ...]:
        """Steps that would lose data if the old data were not set aside."""
        return self.of_kind(StepKind.DESTRUCTIVE)

    @property
    def blocked(self) -> tuple[Step, ...]:
        """Steps that cannot be applied until the data is fixed."""
        return self.of_kind(StepKind.BLOCKED)

    def refused(self, *, allow_destructive: bool = False) -> tuple[Step, ...]:
        """The steps that stop the plan from being applied."""
        if allow_destructive:
            return self.blocked
        return tuple(s for s in self.steps if s.kind in (StepKind.DESTRUCTIVE, StepKind.BLOCKED))

    def describe(self) -> str:
        """The plan in words, one line per step."""
        header = f"Migration plan for app '{self.app}' ({self.dialect}):"
        if not self.steps:
            tail = "the database matches the spec; nothing to change."
            if self.snapshot_changed:
                tail = "no table changes; the schema snapshot will be recorded."
            return f"{header} {tail}"
        lines = [header, *(step.line() for step in self.steps)]
        counts = [
            f"{len(self.of_kind(kind))} {word}"
            for kind, word in (
                (StepKind.ADDITIVE, "additive"),
                (StepKind.RENAME, "rename"),
                (StepKind.DESTRUCTIVE, "destructive"),
                (StepKind.BLOCKED, "blocked"),
            )
            if self.of_kind(kind)
        ]
        lines.append(f"{len(self.steps)} step(s): {', '.join(counts)}.")
        return "\n".join(lines)
