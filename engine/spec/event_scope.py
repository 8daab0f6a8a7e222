"""The `event.` names of automations fired by a change that has no record: a `membership`
trigger's `event.member` (the user, with the user members `name`, `team`, `manager`, …),
`event.team` (the team, with `name`, `manager`, `parent`, …) and `event.change` ('joined'
or 'left'). Such an automation is checked (and compiled) once without a record: bare names
and `record.` are unknown there."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.expr import MemberWords, Scope, Symbol, ValueType, team_symbol, user_symbol
from engine.spec.model import AutomationSpec

__all__ = ["EVENT", "MEMBERSHIP", "automation_variants", "event_scope", "has_event_trigger"]

EVENT = "event"
MEMBERSHIP = "membership"
_EVENT_TRIGGERS = frozenset({MEMBERSHIP})


def _membership_members() -> Mapping[str, Symbol]:
    return MappingProxyType(
        {
            "member": user_symbol("member", description="the user who joined or left"),
            "team": team_symbol("team", description="the team joined or left"),
            "change": Symbol("change", ValueType.TEXT, description="'joined' or 'left'"),
        }
    )


def has_event_trigger(automation: AutomationSpec) -> bool:
    """True when one of the automation's triggers fires with `event.` names."""
    return any(trigger.type in _EVENT_TRIGGERS for trigger in automation.triggers)


def event_scope(automation: AutomationSpec) -> Scope:
    """`event` when one of the automation's triggers gives it (else nothing)."""
    if not has_event_trigger(automation):
        return MappingProxyType({})
    symbol = Symbol(
        EVENT,
        ValueType.ANY,
        _membership_members,
        "the membership change",
        MemberWords("name", "of `event` (member, team, change)"),
    )
    return MappingProxyType({EVENT: symbol})


def automation_variants(automation: AutomationSpec, watched: list[str | None]) -> list[str | None]:
    """The triggering entities an automation is checked and compiled for: those its
    triggers watch, and no entity (None) as well when a trigger of it has no record."""
    if not watched:
        return [None]
    if has_event_trigger(automation) and None not in watched:
        return [*watched, None]
    return watched
