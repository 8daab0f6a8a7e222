"""Automations: triggers, conditions and actions over business records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from engine.spec.document import Loc
from engine.spec.durations import is_duration, parse_duration
from engine.spec.model_action import ActionSpec
from engine.spec.model_values import ExprSpec, Label, ValueSpec

__all__ = ["AutomationSpec", "TriggerSpec"]


@dataclass(frozen=True)
class TriggerSpec:
    """One trigger: its `type`, its keys as written (`options`), and, by the trigger type's
    declaration, its expression keys, scalar value keys and maps of values (`from`/`to` of
    `record_updated`), parsed."""

    type: str
    options: Mapping[str, Any]
    expressions: Mapping[str, ExprSpec]
    parameters: Mapping[str, ValueSpec]
    value_maps: Mapping[str, Mapping[str, ValueSpec]]
    loc: Loc

    def option(self, key: str, default: Any = None) -> Any:
        """A key of the trigger as written, or `default`."""
        return self.options.get(key, default)

    @property
    def entity(self) -> str | None:
        """The entity the trigger watches (none for `schedule`)."""
        value = self.options.get("entity")
        return value if isinstance(value, str) else None

    @property
    def offset(self) -> timedelta | None:
        """The `offset` duration of a `date` trigger, parsed (None when absent)."""
        value = self.options.get("offset")
        return parse_duration(value) if isinstance(value, str) and is_duration(value) else None

    @property
    def watches_updates(self) -> bool:
        """True when the triggering change has an old record (`old.` is in scope)."""
        return self.type in ("record_updated", "transitioned", "approval", "threshold")


@dataclass(frozen=True)
class AutomationSpec:
    """An automation: when any trigger fires and every condition holds, run the actions."""

    name: str
    label: Label
    description: Label
    enabled: bool
    mode: str  # single | queued | parallel
    triggers: tuple[TriggerSpec, ...]
    conditions: tuple[ExprSpec, ...]
    actions: tuple[ActionSpec, ...]
    loc: Loc
    on_import: bool = True  # also for records created in bulk (create_many_in)

    @property
    def file(self) -> str:
        """The file the automation was loaded from."""
        return self.loc.file
