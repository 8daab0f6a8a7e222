"""Manual automations on the record page: the buttons of the automations the reader may
start on a record (`engine.automations.manual_buttons`), and pressing one
(`POST /records/<entity>/<id>/automations/<name>`, CSRF-checked): the automation runs in a
transaction of its own and the page comes back with what happened — done, skipped (with
the condition that did not hold) or the error and its YAML place.

A rule that fails during any other change made from the UI (a workflow action, a board
move) rolls that change back; `automation_failed` answers it with the rule's message — JSON
for the board's script, else a flash on the record page — rather than a server error. The
create and edit forms catch it themselves to keep what the user typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for

from engine.errors import AutomationFailed, Forbidden, NotFound
from engine.spec.model import EntitySpec, label_text
from engine.spec.model_automation import AutomationSpec
from engine.web.i18n import translate
from engine.web.ui.blueprint import bp, entity_or_404, page

__all__ = ["automation_buttons", "automation_failed", "run_automation", "skipped_because"]


def automation_buttons(spec: EntitySpec, *, may_update: bool = True) -> list[dict[str, str]]:
    """The manual automations of `spec` the reader may start: name and button text. A
    button without `roles` is for those who may update the record (`may_update`)."""
    current = page()
    automations = current.engine.app.automations
    return [
        {
            "name": button.automation,
            "label": label_text(button.label, current.locale, button.automation),
        }
        for button in current.engine.automations.manual_buttons(current.actor, spec.name)
        if may_update or _has_roles(automations[button.automation], spec.name)
    ]


def _has_roles(automation: AutomationSpec, entity: str) -> bool:
    """True when the automation's button on `entity` names the roles that may press it."""
    return any(
        trigger.type == "manual" and trigger.entity == entity and trigger.option("roles")
        for trigger in automation.triggers
    )


def skipped_because(conditions: Any) -> str:
    """The condition of a skipped run that did not hold (`amount > 0`), or ""."""
    for condition in conditions or []:
        if isinstance(condition, Mapping) and condition.get("value") is not True:
            return str(condition.get("expr") or "")
    return ""


def _button_label(spec: EntitySpec, name: str) -> str:
    for button in automation_buttons(spec):
        if button["name"] == name:
            return button["label"]
    return name


@bp.route("/records/<entity>/<int:record_id>/automations/<name>", methods=["POST"])
def run_automation(entity: str, record_id: int, name: str) -> Any:
    """Run the manual automation `name` on the record; back to the record page."""
    spec = entity_or_404(entity)
    current = page()
    back = redirect(url_for("ui.show_record", entity=entity, record_id=record_id))
    shown = _button_label(spec, name)
    try:
        outcome = current.engine.automations.run_manual(current.actor, entity, record_id, name)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except AutomationFailed as failure:
        place = f" ({failure.where})" if failure.where else ""
        message = translate("automation.failed", name=shown, message=failure.reason)
        flash(message + place, "error")
        return back
    if outcome.status == "skipped" and outcome.run_id is not None:
        run = current.engine.automations.run(outcome.run_id)
        condition = skipped_because(run.conditions)
        flash(translate("automation.skipped", name=shown, condition=condition), "warning")
    elif outcome.status == "done":
        flash(translate("automation.done", name=shown), "success")
    else:
        flash(translate("automation.stopped", name=shown, status=outcome.status), "warning")
    return back


@bp.errorhandler(AutomationFailed)
def automation_failed(failure: AutomationFailed) -> Any:
    """A change refused because a rule failed: say why, nothing was saved (422 as JSON)."""
    message = translate("automation.save_failed", message=str(failure))
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": False, "message": message}), 422
    flash(message, "error")
    args = request.view_args or {}
    entity, record_id = args.get("entity"), args.get("record_id")
    if isinstance(entity, str) and isinstance(record_id, int):
        return redirect(url_for("ui.show_record", entity=entity, record_id=record_id))
    return redirect(url_for("ui.home"))
