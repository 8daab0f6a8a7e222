"""The inbox page (`/inbox`): what waits for me (approval tasks, oldest first, overdue
ones marked), what I submitted (with where each stands now), and my notifications (CC,
reminders, outcomes, sent back, and automations' messages with their title and body) with
"mark read". Also the navigation's pending count.

Everything comes from `WorkflowService.inbox`, which reads the approval tables (the
records' own read rules still apply when a row is opened)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for

from engine.runtime.workflow_service import InboxItem
from engine.spec.model import label_text
from engine.web.auth import current_actor
from engine.web.i18n import translate
from engine.web.state import web_state
from engine.web.ui.blueprint import bp, page
from engine.web.ui.workflow_panel import state_label

__all__ = ["inbox", "mark_inbox_read", "pending_count", "unread_count"]


def pending_count() -> int:
    """How many approval tasks wait for the logged-in user (0 when nobody is)."""
    actor = current_actor()
    if actor is None or actor.username is None:
        return 0
    return web_state().engine.workflows.pending_count(actor)


def unread_count() -> int:
    """How many of the logged-in user's notifications are unread (0 when nobody is)."""
    actor = current_actor()
    if actor is None or actor.username is None:
        return 0
    return web_state().engine.workflows.unread_count(actor)


@bp.app_context_processor
def _inbox_globals() -> dict[str, Any]:
    """`inbox_pending()` and `inbox_unread()` for the navigation's badge (called only where
    the layout shows it)."""
    return {"inbox_pending": pending_count, "inbox_unread": unread_count}


def _entity_label(entity: str) -> str:
    current = page()
    spec = current.engine.app.entities.get(entity)
    return label_text(spec.label, current.locale, entity) if spec is not None else entity


def _state(entity: str, state: str | None) -> dict[str, str]:
    """A state's label and colour (the raw name when the workflow does not know it)."""
    current = page()
    spec = current.engine.app.entities.get(entity)
    workflow = spec.workflow if spec is not None else None
    if workflow is None or state is None:
        return {"text": state or "", "color": "gray"}
    found = workflow.states.get(state)
    color = (found.color if found is not None else None) or "gray"
    return {"text": state_label(workflow, state, current.locale), "color": color}


def _row(item: InboxItem) -> dict[str, Any]:
    presenter = page().presenter
    step = item.step
    since = item.task.created_at if item.task is not None else step.entered_at
    return {
        "url": url_for("ui.show_record", entity=item.entity, record_id=item.record_id),
        "title": item.title,
        "entity": _entity_label(item.entity),
        "step": _state(item.entity, step.state),
        "state": _state(item.entity, item.state),
        "submitter": presenter.user_name(step.submitter) if step.submitter else "",
        "since": presenter.moment(since),
        "due": presenter.moment(step.due_at) if step.due_at else "",
        "overdue": item.overdue,
        "open": step.status == "open",
    }


def _kind(kind: str) -> str:
    """A notification kind in words (`outcome:<state>` says the outcome)."""
    key = "inbox.kind.outcome" if kind.startswith("outcome:") else f"inbox.kind.{kind}"
    text = translate(key)
    return kind if text == key else text


@bp.route("/inbox")
def inbox() -> Any:
    """My approvals, my submissions and my notifications."""
    current = page()
    found = current.engine.workflows.inbox(current.actor)
    presenter = current.presenter
    notes = []
    for note in found.notifications:
        url = (
            url_for("ui.show_record", entity=note.entity, record_id=note.record_id)
            if note.entity and note.record_id is not None
            else None
        )
        title = ""
        if note.entity and note.record_id is not None:
            title = presenter.link_title(note.entity, note.record_id)
        notes.append(
            {
                "kind": _kind(note.kind),
                "kind_code": note.kind.split(":")[0],
                "url": url,
                "title": title,
                "entity": _entity_label(note.entity) if note.entity else "",
                "state": _state(note.entity, note.state) if note.entity else None,
                "by": presenter.user_name(note.by) if note.by else "",
                "comment": note.comment or "",
                "message_title": note.title or "",
                "message_body": note.body or "",
                "at": presenter.moment(note.created_at),
                "unread": note.read_at is None,
            }
        )
    return render_template(
        "ui/inbox.html",
        pending=[_row(item) for item in found.pending],
        submitted=[_row(item) for item in found.submitted],
        notes=notes,
        unread=sum(1 for n in notes if n["unread"]),
    )


@bp.route("/inbox/read", methods=["POST"])
def mark_inbox_read() -> Any:
    """Mark all my notifications read."""
    current = page()
    count = current.engine.workflows.mark_read(current.actor)
    flash(translate("inbox.marked_read", count=count), "success")
    return redirect(url_for("ui.inbox"))
