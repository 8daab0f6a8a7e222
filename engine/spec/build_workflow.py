"""Building an entity's workflow: states, approval steps, transitions, state map."""

from __future__ import annotations

from collections.abc import Mapping

from engine.spec.build_action import build_actions, build_approvers
from engine.spec.build_node import YamlNode
from engine.spec.model_values import frozen_map
from engine.spec.model_workflow import (
    ApprovalSpec,
    DueSpec,
    StateSpec,
    TransitionSpec,
    WorkflowSpec,
)
from engine.spec.registry import Registry

__all__ = ["DEFAULT_STATE_FIELD", "build_workflow"]

DEFAULT_STATE_FIELD = "status"


def build_workflow(node: YamlNode, registry: Registry) -> WorkflowSpec:
    """The workflow under an entity's `workflow:` key."""
    states = {
        name: _state(name, item, registry)
        for name, item in node.child("states").items()
        if isinstance(item.data, Mapping | None)
    }
    transitions = {
        name: _transitions(name, item) for name, item in node.child("transitions").items()
    }
    state_map = {
        old: new.data for old, new in node.child("state_map").items() if isinstance(new.data, str)
    }
    return WorkflowSpec(
        field=node.text("field", DEFAULT_STATE_FIELD) or DEFAULT_STATE_FIELD,
        label=node.label("label"),
        states=frozen_map(states),
        transitions=frozen_map(transitions),
        state_map=frozen_map(state_map),
        loc=node.loc,
    )


def _state(name: str, node: YamlNode, registry: Registry) -> StateSpec:
    approval = node.child("approval")
    editable = node.names("editable") if node.has("editable") else None
    return StateSpec(
        name=name,
        label=node.label("label"),
        color=node.text("color"),
        initial=node.flag("initial"),
        final=node.flag("final"),
        editable=editable,
        editable_by=node.names("editable_by"),
        approval=_approval(approval) if isinstance(approval.data, Mapping) else None,
        cc=build_approvers(node.child("cc")),
        on_enter=build_actions(node.child("on_enter"), registry),
        loc=node.loc,
    )


def _approval(node: YamlNode) -> ApprovalSpec:
    due = node.child("due")
    return ApprovalSpec(
        approvers=build_approvers(node.child("approvers")),
        mode=node.text("mode", "any") or "any",
        count=node.integer("count"),
        percent=node.number("percent"),
        allow_self_approval=node.flag("allow_self_approval"),
        skip_if_approved=node.flag("skip_if_approved"),
        allow=node.names("allow"),
        due=_due(due) if isinstance(due.data, Mapping) else None,
        on_overdue=node.text("on_overdue"),
        loc=node.loc,
    )


def _due(node: YamlNode) -> DueSpec:
    return DueSpec(
        after=node.duration("after"),
        field=node.text("field"),
        offset=node.duration("offset"),
        loc=node.loc,
    )


def _transitions(name: str, node: YamlNode) -> tuple[TransitionSpec, ...]:
    if isinstance(node.data, Mapping):
        return (_transition(name, 0, node),)
    return tuple(
        _transition(name, index, item)
        for index, item in node.elements()
        if isinstance(item.data, Mapping)
    )


def _transition(name: str, index: int, node: YamlNode) -> TransitionSpec:
    return TransitionSpec(
        name=name,
        index=index,
        from_states=node.names("from"),
        to=node.names("to"),
        label=node.label("label"),
        roles=node.names("roles"),
        guard=node.expr("if"),
        comment=node.text("comment", "optional") or "optional",
        requires=node.names("requires"),
        set=node.values("set"),
        confirm=node.optional_label("confirm"),
        style=node.text("style", "default") or "default",
        loc=node.loc,
    )
