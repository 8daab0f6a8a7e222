"""What happened to a record, as the rule index and the runner see it.

The record service and the workflow service describe each change as a `ChangeEvent` inside
their transaction; the runner finds the automations whose triggers watch it (`RuleIndex`)
and runs them there. Values are the service's own (Decimal, date, aware datetime, str,
int ids, lists for subforms and multi-selects).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["ChangeEvent", "EventKind"]


class EventKind(StrEnum):
    """The kinds of change a trigger can watch."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    TRANSITIONED = "transitioned"
    APPROVAL = "approval"


@dataclass(frozen=True)
class ChangeEvent:
    """One change of one record: `new` and `old` values (old is empty on create, new on
    delete is the last values), the fields whose value changed, and for workflow events the
    action, the states and the approval event (`submitted`, `approved`, `rejected`,
    `sent_back`, `overdue`) of the step `state`."""

    kind: EventKind
    entity: str
    record_id: int
    version: int
    actor: str
    new: Mapping[str, Any]
    old: Mapping[str, Any] = field(default_factory=dict)
    changed: frozenset[str] = frozenset()
    action: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    approval: str | None = None
    state: str | None = None
    bulk: bool = False  # one of many records created at once (an import)

    def describe(self) -> dict[str, Any]:
        """The event as a trace stores it (JSON-ready: values are left out, the changed
        fields' old and new values are kept by the runner)."""
        found: dict[str, Any] = {"kind": self.kind.value, "entity": self.entity}
        found |= {"record_id": self.record_id, "version": self.version, "actor": self.actor}
        if self.changed:
            found["changed"] = sorted(self.changed)
        for key in ("action", "from_state", "to_state", "approval", "state"):
            value = getattr(self, key)
            if value is not None:
                found[key] = value
        return found
