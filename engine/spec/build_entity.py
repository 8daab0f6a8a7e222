"""Building an entity document: fields (with their type's own keys), validations, indexes,
permissions, workflow, forms and views. The implicit workflow state field is added here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from engine.spec.build_action import build_typed_keys
from engine.spec.build_node import YamlNode
from engine.spec.build_workflow import build_workflow
from engine.spec.model_entity import (
    EntitySpec,
    FieldSpec,
    FormSpec,
    IndexSpec,
    OptionSpec,
    PermissionSpec,
    RolePermissionSpec,
    RollupSpec,
    ScopeKind,
    ScopeSpec,
    SectionSpec,
    SortSpec,
    ValidationSpec,
    ViewSpec,
)
from engine.spec.model_values import EMPTY_LABEL, ExprSpec, frozen_map
from engine.spec.model_workflow import WorkflowSpec
from engine.spec.registry import Registry

__all__ = ["COMMON_FIELD_KEYS", "build_entity", "build_field", "build_validations"]

COMMON_FIELD_KEYS = frozenset(
    {
        "type",
        "label",
        "help",
        "placeholder",
        "required",
        "required_if",
        "visible_if",
        "readonly",
        "default",
        "unique",
        "index",
        "renamed_from",
        "validations",
    }
)
"""Keys every field type has; the rest are the type's own `options`."""

FORM_MODES = ("create", "edit", "view")
_SCOPES = {kind.value: kind for kind in ScopeKind if kind is not ScopeKind.EXPRESSION}


def build_entity(name: str, node: YamlNode, registry: Registry) -> EntitySpec:
    """An entity document (`entity: name`)."""
    fields = {
        field_name: build_field(field_name, item, registry)
        for field_name, item in node.child("fields").items()
        if isinstance(item.data, Mapping)
    }
    workflow_node = node.child("workflow")
    workflow = (
        build_workflow(workflow_node, registry) if isinstance(workflow_node.data, Mapping) else None
    )
    if workflow is not None and workflow.field not in fields:
        fields[workflow.field] = _implicit_state_field(workflow)
    unbuilt = frozenset(name for name, _ in node.child("fields").items()) - set(fields)
    return EntitySpec(
        name=name,
        label=node.label("label"),
        plural=node.label("plural"),
        description=node.label("description"),
        icon=node.text("icon"),
        title_field=node.text("title_field"),
        renamed_from=node.text("renamed_from"),
        fields=frozen_map(fields),
        validations=build_validations(node.child("validations")),
        indexes=tuple(_index(item) for _, item in node.child("indexes").elements()),
        permissions=_permissions(node.child("permissions")),
        workflow=workflow,
        forms=frozen_map({n: _form(n, item) for n, item in node.child("forms").items()}),
        views=frozen_map({n: _view(n, item) for n, item in node.child("views").items()}),
        loc=node.loc,
        unbuilt_fields=unbuilt,
    )


def build_field(name: str, node: YamlNode, registry: Registry) -> FieldSpec:
    """One field; the keys its registered type declares as expressions/values are parsed."""
    type_name = node.text("type", "") or ""
    declared = registry.field_types.get(type_name)
    expression_keys = declared.expression_options if declared else ()
    value_keys = declared.value_options if declared else ()
    expressions, parameters, _ = build_typed_keys(node, expression_keys, value_keys)
    options = {key: item.frozen() for key, item in node.items() if key not in COMMON_FIELD_KEYS}
    subfields: Mapping[str, FieldSpec] = MappingProxyType({})
    if type_name == "subform":
        subfields = frozen_map(
            {
                sub: build_field(sub, item, registry)
                for sub, item in node.child("fields").items()
                if isinstance(item.data, Mapping)
            }
        )
    return FieldSpec(
        name=name,
        type=type_name,
        label=node.label("label"),
        help=node.label("help"),
        placeholder=node.label("placeholder"),
        required=node.flag("required"),
        required_if=node.expr("required_if"),
        visible_if=node.expr("visible_if"),
        readonly=node.flag("readonly"),
        default=node.value("default"),
        unique=node.flag("unique"),
        index=node.flag("index"),
        renamed_from=node.text("renamed_from"),
        validations=build_validations(node.child("validations")),
        options=frozen_map(options),
        expressions=expressions,
        parameters=parameters,
        choices=_choices(node.child("options")) if type_name in ("select", "multi_select") else (),
        subfields=subfields,
        rollup=_rollup(node, expressions) if type_name == "rollup" else None,
        implicit=False,
        loc=node.loc,
    )


def _implicit_state_field(workflow: WorkflowSpec) -> FieldSpec:
    empty: Mapping[str, Any] = MappingProxyType({})
    return FieldSpec(
        name=workflow.field,
        type="state",
        label=workflow.label,
        help=EMPTY_LABEL,
        placeholder=EMPTY_LABEL,
        required=True,
        required_if=None,
        visible_if=None,
        readonly=True,
        default=None,
        unique=False,
        index=True,
        renamed_from=None,
        validations=(),
        options=empty,
        expressions=empty,
        parameters=empty,
        choices=(),
        subfields=empty,
        rollup=None,
        implicit=True,
        loc=workflow.loc,
    )


def _choices(node: YamlNode) -> tuple[OptionSpec, ...]:
    choices = []
    for _, item in node.elements():
        if isinstance(item.data, str):
            choices.append(OptionSpec(item.data, EMPTY_LABEL, None, item.loc))
        elif isinstance(item.data, Mapping) and item.get("value") is not None:
            value = str(item.get("value"))
            choices.append(OptionSpec(value, item.label("label"), item.text("color"), item.loc))
    return tuple(choices)


def _rollup(node: YamlNode, expressions: Mapping[str, ExprSpec]) -> RollupSpec:
    return RollupSpec(
        source=node.text("source"),
        link=node.text("link"),
        match=expressions.get("match") or node.expr("match"),
        aggregate=node.text("aggregate", "count") or "count",
        field=node.text("field"),
        where=expressions.get("where") or node.expr("where"),
    )


def build_validations(node: YamlNode) -> tuple[ValidationSpec, ...]:
    """A list of `{rule, message, fields}` validations."""
    found = []
    for _, item in node.elements():
        rule = item.expr("rule")
        if rule is not None:
            found.append(
                ValidationSpec(rule, item.label("message"), item.names("fields"), item.loc)
            )
    return tuple(found)


def _index(node: YamlNode) -> IndexSpec:
    if isinstance(node.data, list):
        names = tuple(item for item in node.data if isinstance(item, str))
        return IndexSpec(names, False, node.loc)
    return IndexSpec(node.names("fields"), node.flag("unique"), node.loc)


def _scope(node: YamlNode, key: str) -> ScopeSpec:
    value = node.get(key)
    if isinstance(value, str) and value.startswith("="):
        return ScopeSpec(ScopeKind.EXPRESSION, ExprSpec(value[1:], node.at(key), offset=1))
    if isinstance(value, str) and value in _SCOPES:
        return ScopeSpec(_SCOPES[value])
    return ScopeSpec(ScopeKind.NONE)


def _permissions(node: YamlNode) -> PermissionSpec:
    roles = {}
    for role, item in node.items():
        fields = {f: v.data for f, v in item.child("fields").items() if isinstance(v.data, str)}
        roles[role] = RolePermissionSpec(
            role=role,
            create=item.flag("create"),
            read=_scope(item, "read"),
            update=_scope(item, "update"),
            delete=_scope(item, "delete"),
            export=_scope(item, "export"),
            fields=frozen_map(fields),
            loc=item.loc,
        )
    return PermissionSpec(frozen_map(roles), node.loc)


def _form(name: str, node: YamlNode) -> FormSpec:
    sections = tuple(
        SectionSpec(
            title=item.label("title"),
            columns=item.integer("columns", 1) or 1,
            fields=item.names("fields"),
            visible_if=item.expr("visible_if"),
            loc=item.loc,
        )
        for _, item in node.child("sections").elements()
    )
    modes = node.names("for") or FORM_MODES
    return FormSpec(name, node.label("label"), modes, sections, node.loc)


def _sort(node: YamlNode) -> tuple[SortSpec, ...]:
    keys = []
    for _, item in node.elements():
        if isinstance(item.data, str) and item.data:
            descending = item.data.startswith("-")
            keys.append(SortSpec(item.data.lstrip("-+"), descending, item.loc))
    return tuple(keys)


def _view(name: str, node: YamlNode) -> ViewSpec:
    return ViewSpec(
        name=name,
        type=node.text("type", "table") or "table",
        label=node.label("label"),
        columns=node.names("columns"),
        filter=node.expr("filter"),
        sort=_sort(node.child("sort")),
        page_size=node.integer("page_size"),
        default=node.flag("default"),
        group_by=node.text("group_by"),
        card=node.names("card"),
        date_field=node.text("date_field"),
        title_field=node.text("title_field"),
        loc=node.loc,
    )
