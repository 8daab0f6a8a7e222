"""Taking a workflow action from the record page (`POST /e/<entity>/<id>/act/<action>`,
CSRF-checked, guarded by the record version the page showed), and the user picker's
matches for transfer / add approver (`GET /workflow/users?q=`).

A refused action re-renders the record page with the problem and the action's dialog open
holding what the user typed: 403 (not yours to take), 409 (someone acted first, or not
possible in this state), 422 (a missing comment, field, user or step, per field)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.workflow_service import ActionRequest
from engine.spec.model import EntitySpec, label_text
from engine.web.i18n import translate
from engine.web.ui.blueprint import bp, entity_or_404, page
from engine.web.ui.forms import form_data
from engine.web.ui.record_page import render_record
from engine.web.ui.workflow_panel import FailedAction, action_form

__all__ = ["MATCHES", "take_action", "workflow_users"]

MATCHES = 20


def _required_fields(spec: EntitySpec, action: str, state: str) -> list[str]:
    """The fields the action's transitions from `state` require."""
    workflow = spec.workflow
    assert workflow is not None
    names: list[str] = []
    for transition in workflow.transitions.get(action, ()):
        if transition.leaves(state):
            names += [n for n in transition.requires if n in spec.fields and n not in names]
    return names


def _sent_values(spec: EntitySpec, action: str, state: str, record: Any) -> dict[str, Any]:
    """The required fields' values the dialog sent (fields it did not send are left out,
    so the service reports them as missing when the record lacks them)."""
    prefix = f"{action}-"
    posted = {key[len(prefix) :].split("-")[0] for key in request.form if key.startswith(prefix)}
    names = [n for n in _required_fields(spec, action, state) if n in posted]
    if not names:
        return {}
    form = action_form(spec, action, request.form, record)
    values = form_data(spec, form, set(names), creating=False, kept_files={}, uploaded={})
    return {name: values.get(name) for name in names}


def _action_label(spec: EntitySpec, action: str) -> str:
    workflow = spec.workflow
    transitions = workflow.transitions.get(action, ()) if workflow is not None else ()
    if transitions:
        return label_text(transitions[0].label, page().locale, action)
    return translate(f"workflow.action.{action}")


@bp.route("/e/<entity>/<int:record_id>/act/<action>", methods=["POST"])
def take_action(entity: str, record_id: int, action: str) -> Any:
    """Take `action` on the record (`comment`, `to_state`, `to_user`, `position`, the
    required fields prefixed `<action>-`, `_version`)."""
    spec = entity_or_404(entity)
    if spec.workflow is None:
        abort(404)
    current = page()
    try:
        record = current.engine.records.get(current.actor, entity, record_id)
    except NotFound:
        abort(404)
    form = request.form
    version_text = form.get("_version", "")
    version = int(version_text) if version_text.isdigit() else None
    state = str(record.values.get(spec.workflow.field))
    position = form.get("position", "after")
    action_request = ActionRequest(
        comment=form.get("comment", "").strip() or None,
        values=_sent_values(spec, action, state, record),
        to_state=form.get("to_state") or None,
        to_user=(form.get("to_user") or form.get("to_user_text") or "").strip() or None,
        position=position if position in ("before", "after") else "after",
        version=version,
    )
    try:
        current.engine.workflows.act(current.actor, entity, record_id, action, action_request)
    except NotFound:
        abort(404)
    except Forbidden as problem:
        failed = FailedAction(action, form.copy(), {}, str(problem), 403)
        return render_record(spec, record_id, failed=failed)
    except Conflict as problem:
        stale = version is not None and problem.current_version != version
        message = translate("workflow.stale") if stale else str(problem)
        failed = FailedAction(action, form.copy(), {}, message, 409)
        return render_record(spec, record_id, failed=failed)
    except ValidationFailed as problem:
        failed = FailedAction(action, form.copy(), dict(problem.fields), None, 422)
        return render_record(spec, record_id, failed=failed)
    flash(translate("workflow.done", action=_action_label(spec, action)), "success")
    try:
        current.engine.records.get(current.actor, entity, record_id)
    except NotFound:  # the action took the record out of the reader's sight
        return redirect(url_for("ui.inbox"))
    return redirect(url_for("ui.show_record", entity=entity, record_id=record_id))


@bp.route("/workflow/users")
def workflow_users() -> Any:
    """Active users matching `q` (name or username), for the transfer / add approver
    picker; the service still checks the chosen user may take the task."""
    current = page()
    needle = request.args.get("q", "").strip()[:100].casefold()
    matches = []
    for user in current.engine.people.list_users():
        if not user.active or user.username == current.actor.username:
            continue
        name = user.name or user.username
        if needle in user.username.casefold() or needle in name.casefold():
            matches.append({"value": user.username, "label": f"{name} ({user.username})"})
        if len(matches) >= MATCHES:
            break
    return jsonify(matches)
