"""The rule index: which automations a change can fire, found by (trigger type, entity) in
one dictionary lookup, and whether each trigger's own filters hold for the change.

An app with hundreds of rules costs a record change only the lookup of its own entity's
triggers: rules on other entities or other kinds of change are never looked at
(bench/bench_automation.py measures it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from engine.automation.events import ChangeEvent, EventKind
from engine.spec.model_automation import AutomationSpec, TriggerSpec
from engine.spec.model_values import ValueSpec

__all__ = [
    "EVENT_TRIGGERS",
    "RuleIndex",
    "Watch",
    "crossed",
    "membership_matches",
    "same_value",
    "trigger_matches",
]

EVENT_TRIGGERS: Mapping[EventKind, tuple[str, ...]] = MappingProxyType(
    {
        EventKind.CREATED: ("record_created",),
        EventKind.UPDATED: ("record_updated", "threshold"),
        EventKind.DELETED: ("record_deleted",),
        EventKind.TRANSITIONED: ("transitioned",),
        EventKind.APPROVAL: ("approval",),
    }
)
"""The trigger types each kind of change is looked up under."""


@dataclass(frozen=True)
class Watch:
    """One trigger of one automation, as the index keeps it."""

    automation: AutomationSpec
    index: int
    trigger: TriggerSpec


class RuleIndex:
    """The enabled automations' triggers by (trigger type, entity)."""

    def __init__(self, automations: Iterable[AutomationSpec]) -> None:
        found: dict[tuple[str, str | None], list[Watch]] = {}
        self.automations: dict[str, AutomationSpec] = {}
        for automation in automations:
            self.automations[automation.name] = automation
            if not automation.enabled:
                continue
            for index, trigger in enumerate(automation.triggers):
                key = (trigger.type, trigger.entity)
                found.setdefault(key, []).append(Watch(automation, index, trigger))
        self._watches = {key: tuple(value) for key, value in found.items()}

    def watching(self, event: ChangeEvent) -> tuple[Watch, ...]:
        """The triggers that watch this kind of change of this entity (filters not yet
        applied), in automation then trigger order."""
        types = EVENT_TRIGGERS[event.kind]
        if len(types) == 1:
            return self._watches.get((types[0], event.entity), ())
        found: list[Watch] = []
        for trigger_type in types:
            found.extend(self._watches.get((trigger_type, event.entity), ()))
        return tuple(found)

    def of_type(self, trigger_type: str) -> tuple[Watch, ...]:
        """Every enabled trigger of a type (schedules, date triggers, manual buttons)."""
        return tuple(
            watch
            for (kind, _), watches in self._watches.items()
            if kind == trigger_type
            for watch in watches
        )


Evaluate = Callable[[ValueSpec], Any]


def trigger_matches(trigger: TriggerSpec, event: ChangeEvent, evaluate: Evaluate) -> bool:
    """True when the trigger's own filters hold for the change (`changed`, `from`/`to`,
    workflow action and states, approval event, threshold crossing). `evaluate` gives the
    value of an `=expression` option over the changed record."""
    if trigger.type == "record_updated":
        changed = trigger.option("changed")
        if changed and not event.changed.intersection(changed):
            return False
        before = trigger.value_maps.get("from", {})
        after = trigger.value_maps.get("to", {})
        return all(
            same_value(event.old.get(name), evaluate(value)) for name, value in before.items()
        ) and all(same_value(event.new.get(name), evaluate(value)) for name, value in after.items())
    if trigger.type == "transitioned":
        action = trigger.option("action")
        return (
            (action is None or action == event.action)
            and _among(event.from_state, trigger.option("from"))
            and _among(event.to_state, trigger.option("to"))
        )
    if trigger.type == "approval":
        state = trigger.option("state")
        return trigger.option("event") == event.approval and (state is None or state == event.state)
    if trigger.type == "threshold":
        field = str(trigger.option("field"))
        if field not in event.changed:
            return False
        value = trigger.parameters.get("value")
        limit = evaluate(value) if value is not None else trigger.option("value")
        direction = str(trigger.option("direction", "up"))
        return crossed(event.old.get(field), event.new.get(field), limit, direction)
    return True


def membership_matches(trigger: TriggerSpec, change: str) -> bool:
    """True when a `membership` trigger's `change` (`joined`, `left`, `any`: the default)
    lets a user's joining or leaving (`change`) through. Its `team` filter needs the team
    tree: the runner applies it."""
    wanted = trigger.option("change", "any")
    return wanted in ("any", None) or wanted == change


def _among(value: str | None, wanted: Any) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return value == wanted
    return value in tuple(wanted)


def crossed(old: Any, new: Any, limit: Any, direction: str = "up") -> bool:
    """True when a value crosses `limit`: upwards, old below and new at or above it;
    downwards, old at or above and new below. A blank value counts as below."""
    bound = _number(limit)
    if bound is None:
        return False
    before, after = _number(old), _number(new)
    above_before = before is not None and before >= bound
    above_after = after is not None and after >= bound
    if direction == "down":
        return above_before and not above_after
    return above_after and not above_before


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def same_value(actual: Any, wanted: Any) -> bool:
    """A stored value equals a YAML literal: numbers by value (1 == 1.0 == Decimal('1')),
    dates by their ISO text, everything else as is."""
    if actual is None or wanted is None:
        return actual is None and wanted is None
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return actual is wanted
    left, right = _number(actual), _number(wanted)
    if left is not None and right is not None and not isinstance(actual, str | date):
        return left == right
    if isinstance(actual, date | datetime):
        return actual.isoformat() == str(wanted) or actual == wanted
    return bool(actual == wanted)
