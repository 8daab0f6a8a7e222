"""Building actions and approver sources (shared by workflows and automations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.spec.build_node import YamlNode
from engine.spec.model_action import ActionSpec, ApproverSpec
from engine.spec.model_values import ExprSpec, ValueSpec, frozen_map
from engine.spec.registry import Registry

__all__ = ["build_action", "build_actions", "build_approvers", "build_typed_keys"]

NOTIFY_RECIPIENTS = "to"


def build_approvers(node: YamlNode) -> tuple[ApproverSpec, ...]:
    """A list of approver sources (approvers, cc, notify recipients)."""
    return tuple(_approver(item) for _, item in node.elements() if isinstance(item.data, Mapping))


def _approver(node: YamlNode) -> ApproverSpec:
    return ApproverSpec(
        type=node.text("type", "") or "",
        role=node.text("role"),
        field=node.text("field"),
        of=node.text("of"),
        levels=node.integer("levels"),
        users=node.names("users"),
        expr=node.expr("expr"),
        loc=node.loc,
    )


def build_typed_keys(
    node: YamlNode, expression_keys: tuple[str, ...], value_keys: tuple[str, ...]
) -> tuple[Mapping[str, ExprSpec], Mapping[str, ValueSpec], Mapping[str, Mapping[str, ValueSpec]]]:
    """A typed node's declared expression keys, scalar value keys and maps of values."""
    expressions: dict[str, ExprSpec] = {}
    for key in expression_keys:
        expr = node.expr(key)
        if expr is not None:
            expressions[key] = expr
    parameters: dict[str, ValueSpec] = {}
    value_maps: dict[str, Mapping[str, ValueSpec]] = {}
    for key in value_keys:
        if isinstance(node.get(key), Mapping):
            value_maps[key] = node.values(key)
        elif node.has(key):
            value = node.value(key)
            assert value is not None  # has(key) guarantees a value
            parameters[key] = value
    return frozen_map(expressions), frozen_map(parameters), frozen_map(value_maps)


def build_action(node: YamlNode, registry: Registry) -> ActionSpec:
    """One action; the keys its registered type declares are parsed, the rest kept raw."""
    type_name = node.text("type", "") or ""
    declared = registry.action_types.get(type_name)
    expression_keys = declared.expression_options if declared else ()
    value_keys = declared.value_options if declared else ()
    nested_keys = declared.nested_actions if declared else ()
    expressions, parameters, value_maps = build_typed_keys(node, expression_keys, value_keys)
    nested = {key: build_actions(node.child(key), registry) for key in nested_keys if node.has(key)}
    recipients: tuple[ApproverSpec, ...] = ()
    if type_name == "notify":
        recipients = build_approvers(node.child(NOTIFY_RECIPIENTS))
    options: dict[str, Any] = {key: child.frozen() for key, child in node.items() if key != "type"}
    return ActionSpec(
        type=type_name,
        options=frozen_map(options),
        expressions=expressions,
        parameters=parameters,
        value_maps=value_maps,
        nested=frozen_map(nested),
        recipients=recipients,
        loc=node.loc,
    )


def build_actions(node: YamlNode, registry: Registry) -> tuple[ActionSpec, ...]:
    """A list of actions (mappings only; anything else was reported by the schema)."""
    return tuple(
        build_action(item, registry)
        for _, item in node.elements()
        if isinstance(item.data, Mapping)
    )
