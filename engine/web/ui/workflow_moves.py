"""Moving a card across a board whose columns are workflow states: the card moves only by
taking the workflow action that leads from its state to the column's, as the record page's
button would — never by writing the state field.

`move_through_workflow` finds, among the actions the reader may take now
(`WorkflowService.actions`), the one whose targets include the new state, and takes it
with the card's version. When no action leads there, several do, or the action asks for
something a drop cannot give (a required comment, a user, required fields still blank, a
confirmation), it does nothing and says why, with a link to the record page that opens the
action's dialog.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.record import Record
from engine.runtime.values import is_blank
from engine.runtime.workflow_service import ActionRequest, AvailableAction
from engine.spec.model import label_text
from engine.web.i18n import translate
from engine.web.ui.blueprint import page
from engine.web.ui.workflow_panel import state_label

__all__ = ["WorkflowMove", "move_through_workflow"]


@dataclass(frozen=True)
class WorkflowMove:
    """What became of a card moved from one state column to another.

    `status`: 200 moved; 400 the entity has no workflow; 403 no action the reader may take
    leads there; 404 no such record for them; 409 the card is no longer where it was (or
    the record changed), or several actions lead there (`choices`); 422 the action needs
    input a drop cannot give (`needs`: "comment", "to_user", "confirm" or field names —
    `url` opens its dialog on the record page)."""

    status: int
    message: str
    action: str | None = None
    record: Record | None = None
    choices: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    url: str | None = None

    @property
    def moved(self) -> bool:
        return self.status == 200


def _needs(action: AvailableAction, record: Record, confirmed: bool) -> tuple[str, ...]:
    """What the action asks for that a drop does not carry."""
    needs = []
    if action.comment == "required":
        needs.append("comment")
    if action.needs_user:
        needs.append("to_user")
    needs += [name for name in action.requires if is_blank(record.values.get(name))]
    if action.confirm and not confirmed:
        needs.append("confirm")
    return tuple(needs)


def move_through_workflow(
    entity: str,
    record_id: int,
    from_state: str,
    to_state: str,
    *,
    version: int | None,
    confirmed: bool = False,
) -> WorkflowMove:
    """Move the card `record_id` of `entity` from the column `from_state` to `to_state` by
    the workflow action that leads there (see the module docstring); `confirmed` says the
    user already agreed to the action's confirmation question."""
    current = page()
    engine, actor, locale = current.engine, current.actor, current.locale
    spec = engine.app.entities.get(entity)
    workflow = spec.workflow if spec is not None else None
    if spec is None or workflow is None:
        return WorkflowMove(400, translate("workflow.move.no_workflow"))
    try:
        record = engine.records.get(actor, entity, record_id)
    except NotFound:
        return WorkflowMove(404, translate("workflow.move.not_found"))
    source = state_label(workflow, from_state, locale)
    target = state_label(workflow, to_state, locale)
    now = str(record.values.get(workflow.field))
    if now != from_state:
        moved_on = state_label(workflow, now, locale)
        return WorkflowMove(409, translate("workflow.move.moved_on", state=moved_on), record=record)
    leading = [
        a for a in engine.workflows.actions(actor, entity, record_id) if to_state in a.targets
    ]
    if not leading:
        exists = any(to_state in t.to for t in workflow.transitions_from(from_state))
        key = "workflow.move.not_yours" if exists else "workflow.move.no_action"
        return WorkflowMove(403 if exists else 409, translate(key, source=source, target=target))
    if len(leading) > 1:
        names = tuple(a.name for a in leading)
        texts = ", ".join(label_text(a.label, locale, a.name) for a in leading)
        message = translate("workflow.move.several", target=target, actions=texts)
        return WorkflowMove(409, message, choices=names, record=record)
    action = leading[0]
    title = label_text(action.label, locale, action.name)
    needs = _needs(action, record, confirmed)
    if needs:
        url = url_for("ui.show_record", entity=entity, record_id=record_id, act=action.name)
        confirm = label_text(action.confirm, locale) if action.confirm else ""
        message = (
            confirm if needs == ("confirm",) else translate("workflow.move.needs", action=title)
        )
        return WorkflowMove(422, message, action.name, record, needs=needs, url=url)
    request = ActionRequest(version=version, to_state=to_state if len(action.targets) > 1 else None)
    try:
        done = engine.workflows.act(actor, entity, record_id, action.name, request)
    except NotFound:
        return WorkflowMove(404, translate("workflow.move.not_found"), action.name)
    except Forbidden as problem:
        return WorkflowMove(403, str(problem), action.name)
    except Conflict as problem:
        stale = version is not None and problem.current_version != version
        message = translate("workflow.stale") if stale else str(problem)
        return WorkflowMove(409, message, action.name)
    except ValidationFailed as problem:
        texts = " ".join(t for messages in problem.fields.values() for t in messages)
        url = url_for("ui.show_record", entity=entity, record_id=record_id, act=action.name)
        return WorkflowMove(422, texts, action.name, needs=tuple(problem.fields), url=url)
    if str(done.values.get(workflow.field)) != to_state:  # one approval of several
        return WorkflowMove(
            200, translate("workflow.move.recorded", action=title), action.name, done
        )
    return WorkflowMove(200, translate("workflow.done", action=title), action.name, done)
