"""A record's page: its fields by form section, subform rows as a table, attachments as
links, the history timeline (who — or which automation, for whom — when, old → new per
field, and what a workflow action did), the workflow panel (`workflow_panel`), the buttons
of manual automations (`automation_buttons`) and soft delete / restore. Also the download of
attachments the reader may see."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for

from engine.errors import Conflict, Forbidden, NotFound
from engine.runtime.history import HistoryEntry
from engine.runtime.record import Record, record_json
from engine.spec.model import EntitySpec, label_text
from engine.web.i18n import translate
from engine.web.ui.automation_buttons import automation_buttons
from engine.web.ui.blueprint import bp, entity_or_404, form_layout, page
from engine.web.ui.display import record_title
from engine.web.ui.form_view import sections_of
from engine.web.ui.workflow_panel import FailedAction, state_label, workflow_panel

__all__ = ["delete_record", "download_file", "render_record", "restore_record", "show_record"]


def _may(entity: str, record_id: int, action: str) -> bool:
    """True when the reader may `action` (update / delete) the record."""
    current = page()
    service = current.engine.records
    try:
        with current.engine.db.begin(readonly=True) as connection:
            service.require_action(connection, current.actor, entity, record_id, action)
    except Forbidden:
        return False
    return True


def _deleted_record(entity: str, record_id: int) -> Record:
    """A soft-deleted record the reader may see (NotFound otherwise)."""
    current = page()
    service = current.engine.records
    with current.engine.db.begin(readonly=True) as connection:
        service.require_row(connection, current.actor, entity, record_id, "read", deleted=True)
        return service.read_in(connection, current.actor, entity, record_id)


def _workflow_details(spec: EntitySpec, details: Any) -> list[dict[str, str]]:
    """A workflow entry's details as label / text pairs: the action, the step it was taken
    in, the step it led to, and who a task went to (transfer, add approver)."""
    workflow = spec.workflow
    if workflow is None or not details:
        return []
    current = page()
    locale = current.locale
    shown = []
    action = details.get("action")
    if action:
        transitions = workflow.transitions.get(str(action), ())
        text = (
            label_text(transitions[0].label, locale, str(action))
            if transitions
            else translate(f"workflow.action.{action}")
        )
        shown.append({"label": translate("workflow.detail.action"), "text": text})
    for key in ("step", "to"):
        if details.get(key):
            text = state_label(workflow, str(details[key]), locale)
            shown.append({"label": translate(f"workflow.detail.{key}"), "text": text})
    if details.get("to_user"):
        who = current.presenter.user_name(str(details["to_user"]))
        position = details.get("position")
        if position in ("before", "after"):
            who += f" ({translate(f'workflow.position.{position}')})"
        shown.append({"label": translate("workflow.detail.to_user"), "text": who})
    return shown


def _author(entry: HistoryEntry) -> str:
    """Who made a change: a person, "by automation <name>" (for the person whose change
    started it), or the system."""
    presenter = page().presenter
    automation = entry.details.get("automation") if entry.details else None
    if automation:
        text = translate("history.by_automation", name=str(automation))
        starter = entry.details.get("for") or entry.by
        if starter:
            text += " · " + translate("history.for", who=presenter.user_name(str(starter)))
        return text
    return presenter.user_name(entry.by) if entry.by else translate("history.system")


def _timeline(spec: EntitySpec, entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    current = page()
    presenter = current.presenter
    timeline = []
    for entry in reversed(entries):
        changes = []
        for name, pair in entry.changes.items():
            field = spec.fields.get(name)
            title = label_text(field.label, current.locale, name) if field else name
            old, new = ([*pair, None, None])[:2]
            changes.append(
                {
                    "field": title,
                    "old": presenter.text(field, old, spec),
                    "new": presenter.text(field, new, spec),
                }
            )
        timeline.append(
            {
                "kind": translate(f"history.{entry.kind}"),
                "by": _author(entry),
                "automation": bool(entry.details and entry.details.get("automation")),
                "at": presenter.moment(entry.at),
                "comment": entry.comment,
                "changes": changes,
                "details": _workflow_details(spec, entry.details),
            }
        )
    return timeline


@bp.route("/e/<entity>/<int:record_id>")
def show_record(entity: str, record_id: int) -> Any:
    """The record page (a deleted record shows with a banner and a restore button)."""
    return render_record(entity_or_404(entity), record_id)


def render_record(spec: EntitySpec, record_id: int, *, failed: FailedAction | None = None) -> Any:
    """The record page; after a refused workflow action, with the problem shown, the
    action's dialog open with what the user sent, and the action's status code."""
    entity = spec.name
    current = page()
    try:
        record = current.engine.records.get(current.actor, entity, record_id)
    except NotFound:
        try:
            record = _deleted_record(entity, record_id)
        except NotFound:
            abort(404)
    layout = form_layout(spec, "view", request.args.get("form"))
    sections = sections_of(spec, layout, form=None, record=record, editable=set(), errors={})
    history = current.engine.records.history(current.actor, entity, record_id)
    deleted = record.deleted_at is not None
    state = None
    if spec.state_field is not None and spec.state_field.name in record.values:
        value = record.values[spec.state_field.name]
        presenter = current.presenter
        state = {
            "text": presenter.text(spec.state_field, value, spec),
            "color": presenter.option_color(spec.state_field, value, spec) or "gray",
        }
    can_edit = not deleted and _may(entity, record_id, "update")
    html = render_template(
        "ui/record.html", entity=spec, record=record, sections=sections,
        title=record_title(spec, record.values, record.id), deleted=deleted, state=state,
        timeline=_timeline(spec, history), workflow=workflow_panel(spec, record, failed),
        automations=[] if deleted else automation_buttons(spec, may_update=can_edit),
        can_edit=can_edit,
        can_delete=_may(entity, record_id, "delete"),
        created_by=(
            current.presenter.user_name(record.created_by)
            if record.created_by
            else translate("history.system")
        ),
        created_at=current.presenter.moment(record.created_at),
        context_json=json.dumps(record_json(spec, record), default=str, ensure_ascii=False),
        present=lambda field, value: current.presenter.text(field, value, spec),
        color_of=lambda field, value: current.presenter.option_color(field, value, spec),
    )  # fmt: skip
    return html, failed.status if failed is not None else 200


@bp.route("/e/<entity>/<int:record_id>/delete", methods=["POST"])
def delete_record(entity: str, record_id: int) -> Any:
    """Soft-delete the record (restorable from its page)."""
    entity_or_404(entity)
    current = page()
    version_text = request.form.get("_version", "")
    version = int(version_text) if version_text.isdigit() else None
    try:
        current.engine.records.delete(current.actor, entity, record_id, version=version)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except Conflict as problem:
        flash(str(problem), "error")
        return redirect(url_for("ui.show_record", entity=entity, record_id=record_id))
    flash(translate("record.deleted"), "success")
    return redirect(url_for("ui.show_record", entity=entity, record_id=record_id))


@bp.route("/e/<entity>/<int:record_id>/restore", methods=["POST"])
def restore_record(entity: str, record_id: int) -> Any:
    """Bring a deleted record back."""
    entity_or_404(entity)
    current = page()
    try:
        current.engine.records.restore(current.actor, entity, record_id)
    except NotFound:
        abort(404)
    except (Forbidden, Conflict) as problem:
        flash(str(problem), "error")
        return redirect(url_for("ui.show_record", entity=entity, record_id=record_id))
    flash(translate("record.restored"), "success")
    return redirect(url_for("ui.show_record", entity=entity, record_id=record_id))


@bp.route("/files/<int:file_id>")
def download_file(file_id: int) -> Any:
    """An attachment's contents, when the reader may see its record and field."""
    current = page()
    try:
        stored, stream = current.engine.files.open(current.actor, file_id)
    except NotFound:
        abort(404)
    return send_file(
        stream, mimetype=stored.mime or "application/octet-stream",
        download_name=stored.name, as_attachment=False,
    )  # fmt: skip
