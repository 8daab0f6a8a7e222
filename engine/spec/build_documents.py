"""Building the documents beside entities: automations, decision tables, dashboards and
scenario suites."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.spec.build_action import build_actions, build_typed_keys
from engine.spec.build_node import YamlNode
from engine.spec.model_automation import AutomationSpec, TriggerSpec
from engine.spec.model_dashboard import DashboardSpec, GroupBySpec, WidgetSpec
from engine.spec.model_suite import ScenarioSpec, StepSpec, SuiteSpec
from engine.spec.model_table import CellSpec, DecisionTableSpec, TableColumnSpec, TableRuleSpec
from engine.spec.model_values import ExprSpec, ValueSpec, frozen_map
from engine.spec.registry import Registry

__all__ = ["build_automation", "build_dashboard", "build_suite", "build_table"]

_SUITE_COMMON = frozenset({"type"})


def build_automation(name: str, node: YamlNode, registry: Registry) -> AutomationSpec:
    """An automation document (`automation: name`)."""
    triggers = tuple(
        _trigger(item, registry)
        for _, item in node.child("triggers").elements()
        if isinstance(item.data, Mapping)
    )
    conditions = tuple(
        ExprSpec(item.data, item.loc)
        for _, item in node.child("conditions").elements()
        if isinstance(item.data, str)
    )
    return AutomationSpec(
        name=name,
        label=node.label("label"),
        description=node.label("description"),
        enabled=node.flag("enabled", True),
        mode=node.text("mode", "queued") or "queued",
        on_import=node.flag("on_import", True),
        triggers=triggers,
        conditions=conditions,
        actions=build_actions(node.child("actions"), registry),
        loc=node.loc,
    )


def _trigger(node: YamlNode, registry: Registry) -> TriggerSpec:
    type_name = node.text("type", "") or ""
    declared = registry.trigger_types.get(type_name)
    expression_keys = declared.expression_options if declared else ()
    value_keys = declared.value_options if declared else ()
    expressions, parameters, value_maps = build_typed_keys(node, expression_keys, value_keys)
    options: dict[str, Any] = {key: item.frozen() for key, item in node.items() if key != "type"}
    return TriggerSpec(
        type=type_name,
        options=frozen_map(options),
        expressions=expressions,
        parameters=parameters,
        value_maps=value_maps,
        loc=node.loc,
    )


def build_table(name: str, node: YamlNode) -> DecisionTableSpec:
    """A decision table document (`table: name`)."""
    return DecisionTableSpec(
        name=name,
        label=node.label("label"),
        hit_policy=node.text("hit_policy", "first") or "first",
        inputs=_columns(node.child("inputs")),
        outputs=_columns(node.child("outputs")),
        rules=tuple(_rule(item) for _, item in node.child("rules").elements()),
        loc=node.loc,
    )


def _columns(node: YamlNode) -> tuple[TableColumnSpec, ...]:
    return tuple(
        TableColumnSpec(
            item.text("name", "") or "",
            item.text("type", "any") or "any",
            item.label("label"),
            item.loc,
        )
        for _, item in node.elements()
        if isinstance(item.get("name"), str)
    )


def _rule(node: YamlNode) -> TableRuleSpec:
    when = {}
    for name, cell in node.child("when").items():
        expr = None
        if isinstance(cell.data, str) and cell.data.startswith("="):
            expr = ExprSpec(cell.data[1:], cell.loc, offset=1)
        when[name] = CellSpec(cell.frozen(), expr, cell.loc)
    return TableRuleSpec(frozen_map(when), node.values("then"), node.loc)


def build_dashboard(name: str, node: YamlNode) -> DashboardSpec:
    """A dashboard document (`dashboard: name`)."""
    widgets = tuple(
        _widget(index, item)
        for index, item in node.child("widgets").elements()
        if isinstance(item.data, Mapping)
    )
    return DashboardSpec(name, node.label("label"), node.names("roles"), widgets, node.loc)


def _widget(index: int, node: YamlNode) -> WidgetSpec:
    group = node.child("group_by")
    group_by = None
    if isinstance(group.data, str):
        group_by = GroupBySpec(group.data, None, group.loc)
    elif isinstance(group.data, Mapping) and isinstance(group.get("field"), str):
        group_by = GroupBySpec(group.get("field"), group.text("bucket"), group.loc)
    options = {key: item.frozen() for key, item in node.items()}
    return WidgetSpec(
        id=node.text("id", f"widget_{index}") or f"widget_{index}",
        type=node.text("type", "") or "",
        title=node.label("title"),
        entity=node.text("entity"),
        aggregate=node.text("aggregate", "count") or "count",
        field=node.text("field"),
        filter=node.expr("filter"),
        group_by=group_by,
        columns=node.names("columns"),
        sort=node.text("sort"),
        limit=node.integer("limit"),
        width=node.integer("width"),
        options=frozen_map(options),
        loc=node.loc,
    )


def build_suite(name: str, node: YamlNode) -> SuiteSpec:
    """A scenario suite document (`suite: name`)."""
    scenarios = tuple(
        ScenarioSpec(
            name=item.text("name", f"scenario {index + 1}") or "",
            clock=item.text("clock"),
            steps=tuple(
                _step(step)
                for _, step in item.child("steps").elements()
                if isinstance(step.data, Mapping)
            ),
            loc=item.loc,
        )
        for index, item in node.child("scenarios").elements()
        if isinstance(item.data, Mapping)
    )
    return SuiteSpec(name, node.label("label"), scenarios, node.loc)


def _step(node: YamlNode) -> StepSpec:
    values: Mapping[str, ValueSpec] = node.values("values")
    return StepSpec(
        type=node.text("type", "") or "",
        user=node.text("user"),
        entity=node.text("entity"),
        record=node.text("record"),
        action=node.text("action"),
        values=values,
        where=node.expr("where"),
        count=node.integer("count"),
        alias=node.text("as"),
        by=node.duration("by"),
        contains=node.text("contains"),
        code=node.text("code"),
        comment=node.text("comment"),
        options=frozen_map({k: v.frozen() for k, v in node.items() if k not in _SUITE_COMMON}),
        loc=node.loc,
    )
