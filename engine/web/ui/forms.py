"""Generated forms: one WTForms class per entity form (built once, when the UI blueprint is
registered), the layout of its sections, and the conversions between record values, what
the browser sends and what the record service reads.

WTForms does the form plumbing — reading the posted data, keeping what the user typed,
rendering inputs — and no validation of its own: the record service validates (one set of
rules for the UI, the API and imports) and its `ValidationFailed.fields` are shown under
the fields. Values are sent to the service as text, which it parses (`parse_input`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from wtforms import Field, Form
from wtforms.fields import (
    BooleanField,
    FieldList,
    FormField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from engine.spec.model import EntitySpec, FieldSpec, FormSpec, Label, SectionSpec
from engine.web.ui.visibility import compile_browser_condition

__all__ = [
    "COMPUTED_TYPES",
    "EntityForm",
    "FormLayout",
    "LayoutSection",
    "build_form_classes",
    "create_defaults",
    "form_data",
    "initial_data",
]

COMPUTED_TYPES = frozenset({"formula", "rollup", "sequence", "state"})
KEEP_SUFFIX = "__keep"
_INPUT_TYPES = {"email": "email", "phone": "tel", "url": "url", "date": "date"}
_DECIMAL_TYPES = frozenset({"number", "money", "percent"})


@dataclass(frozen=True)
class LayoutSection:
    """A section of a form: its title, columns, fields and browser visibility rule."""

    title: Label
    columns: int
    fields: tuple[str, ...]
    visible_if: Any | None


@dataclass(frozen=True)
class FormLayout:
    """A built form: the WTForms class, its sections, and per-field browser rules."""

    entity: str
    name: str
    label: Label
    modes: tuple[str, ...]
    sections: tuple[LayoutSection, ...]
    form_class: type[Form]
    visible_if: Mapping[str, Any]


class EntityForm(Form):
    """Base of the generated forms (no CSRF here: the auth blueprint checks it)."""


def _input_field(field: FieldSpec) -> Field | None:
    """The unbound WTForms field for one entity (or subform) field, None for none."""
    kind = field.type
    if kind in COMPUTED_TYPES:
        return None
    if kind == "long_text":
        return TextAreaField(render_kw={"rows": 4})
    if kind == "boolean":
        return BooleanField(false_values=("false", "", "0"))
    if kind == "select":
        return SelectField(choices=[], validate_choice=False)
    if kind == "multi_select":
        return SelectMultipleField(
            choices=[], validate_choice=False,
            widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        )  # fmt: skip
    if kind == "team":
        return SelectField(choices=[], validate_choice=False)
    if kind == "attachment":
        return MultipleFileField()
    if kind == "subform":
        return FieldList(FormField(_row_class(field)), min_entries=0)
    render: dict[str, Any] = {}
    if kind in _DECIMAL_TYPES:
        render = {"inputmode": "decimal", "autocomplete": "off"}
    elif kind == "integer":
        render = {"inputmode": "numeric", "autocomplete": "off"}
    elif kind == "datetime":
        render = {"type": "datetime-local"}
    elif kind in _INPUT_TYPES:
        render = {"type": _INPUT_TYPES[kind]}
    return StringField(render_kw=render or None)


def _row_class(field: FieldSpec) -> type[Form]:
    """The row form of a subform (its editable sub-fields)."""
    attrs: dict[str, Any] = {}
    for name, sub in field.subfields.items():
        made = _input_field(sub)
        if made is not None:
            attrs[name] = made
    return type(f"{field.name.title()}Row", (Form,), attrs)


def _sections(entity: EntitySpec, form: FormSpec | None) -> tuple[SectionSpec | None, ...]:
    if form is not None and form.sections:
        return form.sections
    return (None,)


def _layout_sections(entity: EntitySpec, form: FormSpec | None) -> tuple[LayoutSection, ...]:
    built = []
    for section in _sections(entity, form):
        if section is None:
            names = tuple(n for n, f in entity.fields.items() if not f.implicit)
            built.append(LayoutSection({}, 2, names, None))
            continue
        rule = section.visible_if
        condition = compile_browser_condition(rule.text) if rule is not None else None
        built.append(LayoutSection(section.title, section.columns, section.fields, condition))
    return tuple(built)


def build_form_class(entity: EntitySpec, form: FormSpec | None) -> FormLayout:
    """The form class and layout of one entity form (or of all fields, when None)."""
    sections = _layout_sections(entity, form)
    attrs: dict[str, Any] = {}
    rules: dict[str, Any] = {}
    for section in sections:
        for name in section.fields:
            field = entity.fields.get(name)
            if field is None:
                continue
            made = _input_field(field)
            if made is not None:
                attrs[name] = made
            if field.visible_if is not None:
                condition = compile_browser_condition(field.visible_if.text)
                if condition is not None:
                    rules[name] = condition
    name = form.name if form is not None else "default"
    form_class = type(f"{entity.name.title()}{name.title()}Form", (EntityForm,), attrs)
    return FormLayout(
        entity=entity.name,
        name=name,
        label=form.label if form is not None else entity.label,
        modes=form.modes if form is not None else ("create", "edit", "view"),
        sections=sections,
        form_class=form_class,
        visible_if=rules,
    )


def build_form_classes(entities: Mapping[str, EntitySpec]) -> dict[tuple[str, str], FormLayout]:
    """Every form of every entity, keyed by (entity, form name)."""
    built: dict[tuple[str, str], FormLayout] = {}
    for entity in entities.values():
        forms: list[FormSpec | None] = [*entity.forms.values()] or [None]
        for form in forms:
            layout = build_form_class(entity, form)
            built[(entity.name, layout.name)] = layout
    return built


# -- values ↔ form data ---------------------------------------------------------------------


def input_text(field: FieldSpec, value: Any, timezone: tzinfo) -> Any:
    """A typed value as the form shows it for editing."""
    if value is None:
        return "" if field.type not in ("multi_select", "boolean") else None
    if field.type == "percent" and isinstance(value, Decimal):
        return f"{format((value * 100).normalize(), 'f')}%"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(timezone).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if field.type == "subform":
        return [
            {
                name: input_text(sub, row.get(name), timezone)
                for name, sub in field.subfields.items()
            }
            for row in value
        ]
    if isinstance(value, bool | list):
        return value
    return str(value)


def initial_data(entity: EntitySpec, values: Mapping[str, Any], timezone: tzinfo) -> dict[str, Any]:
    """A record's values as the `data` of its edit form."""
    data: dict[str, Any] = {}
    for name, field in entity.fields.items():
        if name in values and field.type not in COMPUTED_TYPES and field.type != "attachment":
            data[name] = input_text(field, values[name], timezone)
    return data


def create_defaults(entity: EntitySpec, username: str | None, timezone: tzinfo) -> dict[str, Any]:
    """What a new form shows before the user types: literal defaults, and the user
    themselves in user fields that default to `me()` (the service applies defaults
    anyway; this only shows them)."""
    data: dict[str, Any] = {}
    for name, field in entity.fields.items():
        default = field.default
        if default is None or field.type in COMPUTED_TYPES:
            continue
        if default.expr is not None:
            if field.type == "user" and default.expr.text.strip() == "me()" and username:
                data[name] = username
            continue
        literal = default.literal
        if field.type in ("percent", "number", "money") and isinstance(literal, int | float):
            literal = Decimal(str(literal))
        data[name] = input_text(field, literal, timezone)
    return data


def _service_text(field: FieldSpec, raw: Any) -> Any:
    """What the form sent for a field, as the record service reads it."""
    if field.type == "boolean":
        return "true" if raw else "false"
    if isinstance(raw, str):
        text = raw.strip()
        if field.type == "percent" and text and not text.endswith("%"):
            return f"{text}%"
        return text
    return raw


def _rows(field: FieldSpec, entries: FieldList[Any]) -> list[dict[str, Any]]:
    """Subform rows sent by the form; rows left completely blank are dropped."""
    rows = []
    for entry in entries:
        row = {
            name: _service_text(field.subfields[name], sub.data)
            for name, sub in entry.form._fields.items()
        }
        if any(value not in ("", None, "false") for value in row.values()):
            rows.append({k: v for k, v in row.items() if v != ""})
    return rows


def form_data(
    entity: EntitySpec,
    form: Form,
    editable: set[str],
    *,
    creating: bool,
    kept_files: Mapping[str, list[int]],
    uploaded: Mapping[str, list[int]],
) -> dict[str, Any]:
    """The values to send to the record service: the editable fields of the form (blank
    ones are left out on create, so defaults apply, and mean "clear" on edit)."""
    values: dict[str, Any] = {}
    for name, bound in form._fields.items():
        field = entity.fields[name]
        if name not in editable:
            continue
        if field.type == "attachment":
            values[name] = [*kept_files.get(name, []), *uploaded.get(name, [])]
            continue
        if field.type == "subform" and isinstance(bound, FieldList):
            values[name] = _rows(field, bound)
            continue
        value = _service_text(field, bound.data)
        if creating and value in ("", None, []):
            continue
        values[name] = value if value != "" else None
    return values
