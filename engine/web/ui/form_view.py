"""What the form and record templates render: for each section of a form, its fields with
their label, help, widget kind, bound WTForms field (when the reader may edit it), the
value as text (when they may only read it), errors and browser visibility rule.

Field rights come from the permissions (`edit` / `read` / `none`), the spec (`readonly`,
computed types) and, on edit, the workflow state's `editable` list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request, url_for
from wtforms import FieldList, Form

from engine.runtime.record import Record
from engine.spec.model import EntitySpec, FieldSpec, label_text
from engine.web.ui.blueprint import page
from engine.web.ui.forms import COMPUTED_TYPES, FormLayout, LayoutSection
from engine.web.ui.lookup import this_fields

__all__ = ["FieldView", "SectionView", "editable_fields", "prepare_choices", "sections_of"]

_WIDGETS = {
    "select": "select",
    "multi_select": "multi",
    "boolean": "checkbox",
    "user": "picker",
    "link": "picker",
    "team": "select",
    "attachment": "attachment",
    "subform": "subform",
    "long_text": "textarea",
}


@dataclass
class FieldView:
    """One field as a template renders it."""

    name: str
    spec: FieldSpec
    title: str
    help: str
    widget: str
    editable: bool
    bound: Any = None
    text: str = ""
    value: Any = None
    errors: list[str] = field(default_factory=list)
    visible_if: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def attrs(self) -> dict[str, str]:
        """HTML attributes of the field's input: placeholder and error wiring."""
        attrs: dict[str, str] = {}
        placeholder = (
            label_text(self.spec.placeholder, page().locale) if self.spec.placeholder else ""
        )
        if placeholder:
            attrs["placeholder"] = placeholder
        if self.errors:
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{self.name}-errors"
        if self.spec.required:
            attrs["aria-required"] = "true"
        return attrs


@dataclass
class SectionView:
    """One form section."""

    title: str
    columns: int
    fields: list[FieldView]
    visible_if: Any


def editable_fields(entity: EntitySpec, record: Record | None) -> set[str]:
    """The fields the reader may change now (create when `record` is None)."""
    current = page()
    permissions = current.engine.permissions
    allowed = {
        name
        for name, spec in entity.fields.items()
        if spec.type not in COMPUTED_TYPES
        and not spec.readonly
        and permissions.field_access(current.actor, entity.name, name) == "edit"
    }
    workflow = entity.workflow
    if record is not None and workflow is not None:
        state = workflow.states.get(str(record.values.get(workflow.field)))
        if state is not None:
            allowed &= set(state.editable_fields(entity.fields))
    return allowed


def prepare_choices(entity: EntitySpec, form: Form) -> None:
    """Fill the choices of select, multi-select and team fields in the reader's language."""
    current = page()
    for name, bound in form._fields.items():
        spec = entity.fields.get(name)
        if spec is None:
            continue
        _choices(spec, bound, current.locale)
        if spec.type == "subform" and isinstance(bound, FieldList):
            for entry in bound:
                for sub_name, sub in entry.form._fields.items():
                    _choices(spec.subfields[sub_name], sub, current.locale)


def _choices(spec: FieldSpec, bound: Any, locale: str) -> None:
    if spec.type in ("select", "multi_select"):
        options = [(o.value, label_text(o.label, locale, o.value)) for o in spec.choices]
        bound.choices = options if spec.type == "multi_select" else [("", "—"), *options]
    elif spec.type == "team":
        teams = page().engine.people.list_teams()
        bound.choices = [("", "—"), *((str(t.id), t.name) for t in teams)]


def _widget(spec: FieldSpec) -> str:
    widget = _WIDGETS.get(spec.type, "input")
    if (
        widget == "select"
        and spec.type == "select"
        and spec.option("display") in ("radio", "segmented")
    ):
        return "radio"
    return widget


def _picker(entity: EntitySpec, spec: FieldSpec, value: Any) -> dict[str, Any]:
    presenter = page().presenter
    text = ""
    if isinstance(value, str) and value.strip():
        if spec.type == "user":
            text = presenter.user_name(value.strip())
        elif value.strip().isdigit() and spec.link_target:
            text = presenter.link_title(spec.link_target, int(value))
    record_id = (request.view_args or {}).get("record_id")
    lookup = url_for("ui.lookup", entity=entity.name, field=spec.name, record=record_id)
    # the form fields a link filter reads as `this.…`: the picker sends their current values
    return {"lookup": lookup, "text": text, "this": ",".join(this_fields(spec))}


def sections_of(
    entity: EntitySpec,
    layout: FormLayout,
    *,
    form: Form | None,
    record: Record | None,
    editable: set[str],
    errors: Mapping[str, list[str]],
) -> list[SectionView]:
    """The sections of `layout` as the reader sees them (fields they may not read left out;
    on create, computed fields too)."""
    current = page()
    permissions = current.engine.permissions
    built = []
    for section in layout.sections:
        fields = []
        for name in section.fields:
            spec = entity.fields.get(name)
            if spec is None or permissions.field_access(current.actor, entity.name, name) == "none":
                continue
            can_edit = form is not None and name in editable and name in form._fields
            if not can_edit and record is None:
                continue
            fields.append(_field_view(entity, spec, layout, form, record, can_edit, errors))
        if fields:
            built.append(_section(section, fields))
    return built


def _section(section: LayoutSection, fields: list[FieldView]) -> SectionView:
    title = label_text(section.title, page().locale) if section.title else ""
    return SectionView(title, max(1, min(section.columns, 3)), fields, section.visible_if)


def _field_view(
    entity: EntitySpec,
    spec: FieldSpec,
    layout: FormLayout,
    form: Form | None,
    record: Record | None,
    can_edit: bool,
    errors: Mapping[str, list[str]],
) -> FieldView:
    current = page()
    view = FieldView(
        name=spec.name,
        spec=spec,
        title=label_text(spec.label, current.locale, spec.name),
        help=label_text(spec.help, current.locale) if spec.help else "",
        widget=_widget(spec),
        editable=can_edit,
        errors=list(errors.get(spec.name, [])),
        visible_if=layout.visible_if.get(spec.name),
    )
    value = record.values.get(spec.name) if record is not None else None
    view.value = value
    if can_edit and form is not None:
        view.bound = form._fields[spec.name]
        if view.widget == "picker":
            view.extra = _picker(entity, spec, view.bound.data)
        if spec.type == "percent":
            view.extra = {"suffix": "%"}
        if spec.type == "attachment":
            view.extra = {"files": list(value or [])}
    else:
        view.text = current.presenter.text(spec, value, entity)
    view.errors += _row_errors(spec, errors)
    return view


def _row_errors(spec: FieldSpec, errors: Mapping[str, list[str]]) -> list[str]:
    """Subform row problems (`lines.2.qty`) as "row 3 · Quantity: …" lines."""
    if spec.type != "subform":
        return []
    locale = page().locale
    found = []
    for key, messages in errors.items():
        parts = key.split(".")
        if len(parts) >= 2 and parts[0] == spec.name and parts[1].isdigit():
            sub = spec.subfields.get(parts[2]) if len(parts) > 2 else None
            where = f"#{int(parts[1]) + 1}"
            if sub is not None:
                where += f" · {label_text(sub.label, locale, sub.name)}"
            found += [f"{where}: {m}" for m in messages]
    return found
