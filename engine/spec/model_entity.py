"""Entities: fields, options, validations, indexes, permissions, forms and views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from engine.spec.document import Loc
from engine.spec.model_values import ExprSpec, Label, ValueSpec
from engine.spec.model_workflow import WorkflowSpec

__all__ = [
    "RESERVED_FIELD_NAMES",
    "RESERVED_ROW_NAMES",
    "SYSTEM_FIELDS",
    "EntitySpec",
    "FieldSpec",
    "FormSpec",
    "IndexSpec",
    "OptionSpec",
    "PermissionSpec",
    "RolePermissionSpec",
    "RollupSpec",
    "ScopeKind",
    "ScopeSpec",
    "SectionSpec",
    "SortSpec",
    "ValidationSpec",
    "ViewSpec",
]

SYSTEM_FIELDS: Mapping[str, str] = {
    "id": "integer",
    "created_at": "datetime",
    "created_by": "user",
    "updated_at": "datetime",
    "updated_by": "user",
    "version": "integer",
}
"""Columns every entity table has (name → field type); views and filters may use them."""

RESERVED_FIELD_NAMES: tuple[str, ...] = (*SYSTEM_FIELDS, "deleted_at")
"""Names no field may have: the columns of every entity table (`deleted_at` marks a soft
delete; the engine hides deleted records, so expressions never read it)."""

RESERVED_ROW_NAMES: tuple[str, ...] = ("id", "parent_id", "sort_order")
"""Names no field of a subform may have: the columns of every subform row."""


@dataclass(frozen=True)
class OptionSpec:
    """One choice of a select / multi_select field."""

    value: str
    label: Label
    color: str | None
    loc: Loc


@dataclass(frozen=True)
class ValidationSpec:
    """A rule that must hold (record-level or on one field), with its message."""

    rule: ExprSpec
    message: Label
    fields: tuple[str, ...]
    loc: Loc


@dataclass(frozen=True)
class RollupSpec:
    """The parts of a rollup field: which source records, which aggregate of which field."""

    source: str | None
    link: str | None
    match: ExprSpec | None
    aggregate: str
    field: str | None
    where: ExprSpec | None


@dataclass(frozen=True)
class FieldSpec:
    """A field: the keys common to all types as attributes, the type's own keys in `options`.

    `expressions` holds the options the field type declares as expressions (formula `expr`,
    rollup `match`/`where`, link `filter`, …), `parameters` those it declares as values
    (literal or `=expression`: date `min`/`max`); `implicit` marks the workflow state field the
    builder added because the entity did not declare it.
    """

    name: str
    type: str
    label: Label
    help: Label
    placeholder: Label
    required: bool
    required_if: ExprSpec | None
    visible_if: ExprSpec | None
    readonly: bool
    default: ValueSpec | None
    unique: bool
    index: bool
    renamed_from: str | None
    validations: tuple[ValidationSpec, ...]
    options: Mapping[str, Any]
    expressions: Mapping[str, ExprSpec]
    parameters: Mapping[str, ValueSpec]
    choices: tuple[OptionSpec, ...]
    subfields: Mapping[str, FieldSpec]
    rollup: RollupSpec | None
    implicit: bool
    loc: Loc

    def option(self, key: str, default: Any = None) -> Any:
        """A type-specific key as written, or `default`."""
        return self.options.get(key, default)

    @property
    def link_target(self) -> str | None:
        """The entity a `link` field points to."""
        target = self.options.get("to") if self.type == "link" else None
        return target if isinstance(target, str) else None

    @property
    def on_delete(self) -> str:
        """What deleting the linked record does (`restrict` unless the link says otherwise)."""
        return str(self.options.get("on_delete", "restrict"))

    @property
    def link_filter(self) -> ExprSpec | None:
        """The `filter` of a link field (over the target; `this.` is this record)."""
        return self.expressions.get("filter") if self.type == "link" else None

    @property
    def formula_expr(self) -> ExprSpec | None:
        """The `expr` of a formula field."""
        return self.expressions.get("expr") if self.type == "formula" else None

    @property
    def result_type(self) -> str | None:
        """The declared `result` type of a formula or rollup."""
        result = self.options.get("result")
        return result if isinstance(result, str) else None

    @property
    def choice_values(self) -> tuple[str, ...]:
        """The stored values of a select / multi_select field's options."""
        return tuple(option.value for option in self.choices)


class ScopeKind(StrEnum):
    """Which rows a permission covers; the order is from narrowest to widest."""

    NONE = "none"
    OWN = "own"
    TEAM = "team"
    SUBTEAMS = "subteams"
    ALL = "all"
    EXPRESSION = "expression"


@dataclass(frozen=True)
class ScopeSpec:
    """A row scope: a kind, plus the expression when the kind is `expression`."""

    kind: ScopeKind
    expr: ExprSpec | None = None

    @property
    def rank(self) -> int:
        """Width for "the wider scope wins"; an expression ranks between own and team."""
        order = {
            ScopeKind.NONE: 0,
            ScopeKind.OWN: 1,
            ScopeKind.EXPRESSION: 2,
            ScopeKind.TEAM: 3,
            ScopeKind.SUBTEAMS: 4,
            ScopeKind.ALL: 5,
        }
        return order[self.kind]


NO_ACCESS = ScopeSpec(ScopeKind.NONE)


@dataclass(frozen=True)
class RolePermissionSpec:
    """What one role may do on an entity, and its per-field access (edit | read | none)."""

    role: str
    create: bool
    read: ScopeSpec
    update: ScopeSpec
    delete: ScopeSpec
    export: ScopeSpec
    fields: Mapping[str, str]
    loc: Loc


@dataclass(frozen=True)
class PermissionSpec:
    """An entity's permissions by role (a role not listed may do nothing)."""

    roles: Mapping[str, RolePermissionSpec]
    loc: Loc


@dataclass(frozen=True)
class IndexSpec:
    """An extra index."""

    fields: tuple[str, ...]
    unique: bool
    loc: Loc


@dataclass(frozen=True)
class SectionSpec:
    """A form section."""

    title: Label
    columns: int
    fields: tuple[str, ...]
    visible_if: ExprSpec | None
    loc: Loc


@dataclass(frozen=True)
class FormSpec:
    """A form, used for the modes in `modes` (create / edit / view)."""

    name: str
    label: Label
    modes: tuple[str, ...]
    sections: tuple[SectionSpec, ...]
    loc: Loc


@dataclass(frozen=True)
class SortSpec:
    """One sort key of a view (`-field` is descending)."""

    field: str
    descending: bool
    loc: Loc


@dataclass(frozen=True)
class ViewSpec:
    """A list view: table, kanban or calendar; the keys a type does not use are empty."""

    name: str
    type: str
    label: Label
    columns: tuple[str, ...]
    filter: ExprSpec | None
    sort: tuple[SortSpec, ...]
    page_size: int | None
    default: bool
    group_by: str | None
    card: tuple[str, ...]
    date_field: str | None
    title_field: str | None
    loc: Loc


@dataclass(frozen=True)
class EntitySpec:
    """An entity (one table): its fields in declaration order and everything built on them."""

    name: str
    label: Label
    plural: Label
    description: Label
    icon: str | None
    title_field: str | None
    renamed_from: str | None
    fields: Mapping[str, FieldSpec]
    validations: tuple[ValidationSpec, ...]
    indexes: tuple[IndexSpec, ...]
    permissions: PermissionSpec
    workflow: WorkflowSpec | None
    forms: Mapping[str, FormSpec]
    views: Mapping[str, ViewSpec]
    loc: Loc
    unbuilt_fields: frozenset[str] = frozenset()
    """Fields that are declared but could not be built (their definition is not a mapping,
    or the schema rejected it): references to them are not reported as unknown."""

    @property
    def file(self) -> str:
        """The file the entity was loaded from (relative to the app folder)."""
        return self.loc.file

    @property
    def fields_known(self) -> bool:
        """False when no field could be read at all (`fields:` missing or misspelt; the
        schema says so): names used with the entity are then not checked against nothing."""
        return bool(self.unbuilt_fields) or any(not f.implicit for f in self.fields.values())

    @property
    def state_field(self) -> FieldSpec | None:
        """The workflow's state field, when the entity has a workflow."""
        if self.workflow is None:
            return None
        return self.fields.get(self.workflow.field)
