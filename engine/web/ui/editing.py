"""Create and edit pages: the generated form, filled from the spec, posted back to the
record service. A refused save shows every problem under its field with what the user
typed kept; a stale edit (`Conflict`) says so and offers to reload, keeping the input; a
rule that failed during the save (`AutomationFailed`: nothing was saved) is shown as a
problem of the whole form, with the rule and its YAML place."""

from __future__ import annotations

import json
from typing import Any, BinaryIO, cast
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from engine.errors import AutomationFailed, Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.record import Record, record_json
from engine.spec.model import EntitySpec
from engine.web.i18n import translate
from engine.web.ui.blueprint import bp, entity_or_404, form_layout, page
from engine.web.ui.form_view import editable_fields, prepare_choices, sections_of
from engine.web.ui.forms import (
    KEEP_SUFFIX,
    FormLayout,
    create_defaults,
    form_data,
    initial_data,
)

__all__ = ["create_record", "edit_record"]


def _uploads(
    spec: EntitySpec, editable: set[str], errors: dict[str, list[str]]
) -> dict[str, list[int]]:
    """Store the files sent with the form; their ids go into the attachment fields."""
    current = page()
    uploaded: dict[str, list[int]] = {}
    for name, field in spec.fields.items():
        if field.type != "attachment" or name not in editable:
            continue
        for upload in request.files.getlist(name):
            if not upload or not upload.filename:
                continue
            try:
                stored = current.engine.files.upload(
                    current.actor,
                    spec.name,
                    name,
                    upload.filename,
                    cast(BinaryIO, upload.stream),
                    upload.mimetype,
                )
            except ValidationFailed as problem:
                for key, messages in problem.fields.items():
                    errors.setdefault(key, []).extend(messages)
                continue
            uploaded.setdefault(name, []).append(stored.id)
    return uploaded


def _posted() -> CombinedMultiDict[str, Any]:
    """The posted fields and files together, as the form classes read them."""
    sources: list[MultiDict[str, Any]] = [request.form, request.files]
    return CombinedMultiDict(sources)


def _kept(spec: EntitySpec) -> dict[str, list[int]]:
    kept: dict[str, list[int]] = {}
    for name, field in spec.fields.items():
        if field.type == "attachment":
            ids = request.form.getlist(f"{name}{KEEP_SUFFIX}")
            kept[name] = [int(i) for i in ids if i.isdigit()]
    return kept


def _render(
    spec: EntitySpec,
    layout: FormLayout,
    form: Any,
    record: Record | None,
    editable: set[str],
    errors: dict[str, list[str]],
    *,
    conflict: bool = False,
    status: int = 200,
    version: int | None = None,
) -> Any:
    prepare_choices(spec, form)
    sections = sections_of(spec, layout, form=form, record=record, editable=editable, errors=errors)
    context = record_json(spec, record) if record is not None else {}
    page_html = render_template(
        "ui/form.html", entity=spec, layout=layout, form=form, record=record,
        sections=sections, errors=errors, conflict=conflict,
        version=version if version is not None else (record.version if record else None),
        general_errors=errors.get("__all__", []),
        context_json=json.dumps(context, default=str, ensure_ascii=False),
        rules_json=json.dumps([s.visible_if for s in sections], ensure_ascii=False),
    )  # fmt: skip
    return page_html, status


def _failed_rule(problem: AutomationFailed) -> dict[str, list[str]]:
    """A failed rule as the form's general problem (nothing was saved)."""
    return {"__all__": [translate("automation.save_failed", message=str(problem))]}


@bp.route("/e/<entity>/new", methods=["GET", "POST"])
def create_record(entity: str) -> Any:
    """The create form of the entity (`?form=` picks another create form)."""
    spec = entity_or_404(entity)
    current = page()
    if not current.engine.permissions.can_create(current.actor, entity):
        abort(403)
    layout = form_layout(spec, "create", request.args.get("form"))
    editable = editable_fields(spec, None)
    if request.method == "GET":
        timezone = ZoneInfo(current.engine.app.timezone or "UTC")
        defaults = create_defaults(spec, current.actor.username, timezone)
        return _render(spec, layout, layout.form_class(data=defaults), None, editable, {})
    form = layout.form_class(_posted())
    errors: dict[str, list[str]] = {}
    uploaded = _uploads(spec, editable, errors)
    values = form_data(
        spec, form, editable, creating=True, kept_files=_kept(spec), uploaded=uploaded
    )
    try:
        if errors:
            raise ValidationFailed(errors)
        record = current.engine.records.create(current.actor, entity, values)
    except ValidationFailed as problem:
        merged = {**problem.fields, **{k: v for k, v in errors.items() if k not in problem.fields}}
        return _render(spec, layout, form, None, editable, merged, status=422)
    except AutomationFailed as problem:
        return _render(spec, layout, form, None, editable, _failed_rule(problem), status=422)
    except Forbidden:
        abort(403)
    flash(translate("record.created"), "success")
    return redirect(url_for("ui.show_record", entity=entity, record_id=record.id))


@bp.route("/e/<entity>/<int:record_id>/edit", methods=["GET", "POST"])
def edit_record(entity: str, record_id: int) -> Any:
    """The edit form of a record, guarded by the version it was read at."""
    spec = entity_or_404(entity)
    current = page()
    try:
        record = current.engine.records.get(current.actor, entity, record_id)
    except NotFound:
        abort(404)
    layout = form_layout(spec, "edit", request.args.get("form"))
    editable = editable_fields(spec, record)
    if request.method == "GET":
        timezone = ZoneInfo(current.engine.app.timezone or "UTC")
        form = layout.form_class(data=initial_data(spec, record.values, timezone))
        return _render(spec, layout, form, record, editable, {})
    form = layout.form_class(_posted())
    version_text = request.form.get("_version", "")
    version = int(version_text) if version_text.isdigit() else None
    errors: dict[str, list[str]] = {}
    uploaded = _uploads(spec, editable, errors)
    values = form_data(
        spec, form, editable, creating=False, kept_files=_kept(spec), uploaded=uploaded
    )
    try:
        if errors:
            raise ValidationFailed(errors)
        current.engine.records.update(current.actor, entity, record_id, values, version=version)
    except ValidationFailed as problem:
        merged = {**problem.fields, **{k: v for k, v in errors.items() if k not in problem.fields}}
        return _render(spec, layout, form, record, editable, merged, status=422)
    except AutomationFailed as problem:
        return _render(spec, layout, form, record, editable, _failed_rule(problem), status=422)
    except Conflict:
        return _render(
            spec, layout, form, record, editable, {}, conflict=True, status=409, version=version
        )
    except Forbidden:
        abort(403)
    flash(translate("record.saved"), "success")
    return redirect(url_for("ui.show_record", entity=entity, record_id=record_id))
