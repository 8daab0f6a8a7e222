"""Workflow routes: `/{app}/{entity}/{id}/actions` (what the caller may do now),
`/actions/{action}` (do it), `/{id}/approvals` (the approval trail) and `/inbox` (what waits
for the caller, what they submitted, their notifications) — thin calls into
`engine.workflows`.

Only entities with a workflow have these routes (404 otherwise). An action's `values` are
sent in the same JSON forms as a PATCH body and read by the same record service, and its
`_version` (or `If-Match`) is optional: without one the action is judged against the
record as it is when the action runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, request

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.values import MAX_ID
from engine.runtime.workflow_service import (
    ActionRequest,
    AvailableAction,
    InboxItem,
    StepTrail,
)
from engine.spec.model import EntitySpec
from engine.spec.model_values import Label, label_text
from engine.web.api.blueprint import APP_CONVERTER, bp
from engine.web.api.encoding import json_response, read_json_object, record_payload
from engine.web.api.errors import ApiError
from engine.web.api.identity import current_actor
from engine.web.state import web_state
from engine.workflow.step_store import Notification, StepRow, TaskRow

__all__ = ["ACTION_KEYS", "POSITIONS"]

RECORD = f"/<{APP_CONVERTER}:app>/<entity>/<int:record_id>"
ACTION_KEYS = frozenset({"comment", "values", "to_user", "to_state", "position", "_version"})
POSITIONS = ("before", "after")


def _target(app: str, entity: str, record_id: int) -> tuple[Engine, EntitySpec, Actor]:
    """The engine and the workflow entity named by the path (404 when unknown or without a
    workflow, or when the id cannot exist), and the caller."""
    actor = current_actor()
    engine = web_state().engine
    spec = engine.app.entities.get(entity) if app == engine.app.id else None
    if spec is None or spec.workflow is None:
        raise ApiError(404, f"there is no workflow entity '{app}/{entity}'")
    if not 1 <= record_id <= MAX_ID:
        raise ApiError(404, f"there is no {entity} with id {record_id}")
    return engine, spec, actor


def _language(engine: Engine, actor: Actor) -> str:
    """The language labels are shown in: the caller's, else the app's (`zh-CN` → `zh`)."""
    return engine.runtime.locale_of(actor.locale).split("-")[0]


@bp.get(f"{RECORD}/actions")
def list_actions(app: str, entity: str, record_id: int) -> Response:
    """The workflow actions the caller may take on the record now."""
    engine, _, actor = _target(app, entity, record_id)
    language = _language(engine, actor)
    actions = engine.workflows.actions(actor, entity, record_id)
    return json_response({"items": [_action_item(a, language) for a in actions]})


@bp.post(f"{RECORD}/actions/<action>")
def take_action(app: str, entity: str, record_id: int, action: str) -> Response:
    """Take one action: 200 with the record afterwards (as `GET` returns it)."""
    engine, spec, actor = _target(app, entity, record_id)
    action_request = _action_request(_body())
    record = engine.workflows.act(actor, entity, record_id, action, action_request)
    response = json_response(record_payload(spec, record))
    response.set_etag(str(record.version))
    return response


@bp.get(f"{RECORD}/approvals")
def approval_trail(app: str, entity: str, record_id: int) -> Response:
    """The record's approval steps with their tasks, oldest first."""
    engine, _, actor = _target(app, entity, record_id)
    trail = engine.workflows.trail(actor, entity, record_id)
    return json_response({"items": [_step_item(step) for step in trail]})


@bp.get("/inbox")
def inbox() -> Response:
    """What waits for the caller, what they submitted and their notifications."""
    actor = current_actor()
    engine = web_state().engine
    found = engine.workflows.inbox(actor)
    app_id = engine.app.id
    return json_response(
        {
            "pending": [_inbox_item(app_id, item) for item in found.pending],
            "submitted": [_inbox_item(app_id, item) for item in found.submitted],
            "notifications": [_notification(app_id, note) for note in found.notifications],
        }
    )


@bp.post("/inbox/read")
def mark_inbox_read() -> Response:
    """Mark the caller's notifications read; how many were unread."""
    actor = current_actor()
    marked = web_state().engine.workflows.mark_read(actor)
    return json_response({"marked": marked})


# -- reading the request -------------------------------------------------------------------


def _body() -> dict[str, Any]:
    """The JSON object of the request; an empty body is an empty object (most actions
    need nothing), anything else that is not a JSON object is a 400."""
    if not request.get_data(cache=True).strip():
        return {}
    body = read_json_object()
    if body is None:
        raise ApiError(400, "send the action as a JSON object (Content-Type: application/json)")
    return body


def _action_request(body: Mapping[str, Any]) -> ActionRequest:
    unknown = sorted(set(body) - ACTION_KEYS)
    if unknown:
        allowed = ", ".join(sorted(ACTION_KEYS))
        raise ApiError(400, f"unknown key(s) {', '.join(unknown)}; an action takes {allowed}")
    values = body.get("values")
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ApiError(400, "'values' must be a JSON object of field values")
    position = _text(body, "position") or "after"
    if position not in POSITIONS:
        raise ApiError(400, "'position' must be 'before' or 'after'")
    return ActionRequest(
        comment=_text(body, "comment"),
        values=values,
        to_state=_text(body, "to_state"),
        to_user=_text(body, "to_user"),
        position=position,
        version=_version(body),
    )


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"'{key}' must be a string")
    return value


def _version(body: Mapping[str, Any]) -> int | None:
    """The version the client read, when it sends one: body `_version`, else `If-Match`."""
    from_body = body.get("_version")
    if from_body is not None:
        if isinstance(from_body, bool) or not isinstance(from_body, int):
            raise ApiError(400, "'_version' must be the record's version, an integer")
        return from_body
    tag = request.headers.get("If-Match", "").strip()
    if not tag:
        return None
    tag = tag.removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ApiError(400, 'If-Match must hold the record\'s version, e.g. If-Match: "3"')
    return int(tag)


# -- writing the response ------------------------------------------------------------------


def _action_item(action: AvailableAction, language: str) -> dict[str, Any]:
    return {
        "name": action.name,
        "label": label_text(action.label, language, action.name),
        "labels": dict(action.label),
        "style": action.style,
        "comment": action.comment,
        "targets": list(action.targets),
        "needs_user": action.needs_user,
        "requires": list(action.requires),
        "confirm": _optional_text(action.confirm, language),
        "confirms": dict(action.confirm) if action.confirm is not None else None,
    }


def _optional_text(label: Label | None, language: str) -> str | None:
    return label_text(label, language) if label is not None else None


def _step_fields(step: StepRow) -> dict[str, Any]:
    return {
        "step_id": step.id,
        "step": step.state,
        "run": step.run,
        "from_state": step.from_state,
        "submitter": step.submitter,
        "entered_at": step.entered_at.isoformat(),
        "due_at": step.due_at.isoformat() if step.due_at is not None else None,
        "step_status": step.status,
        "closed_at": step.closed_at.isoformat() if step.closed_at is not None else None,
    }


def _task_item(task: TaskRow) -> dict[str, Any]:
    return {
        "id": task.id,
        "assignee": task.assignee,
        "status": task.status,
        "seq": task.seq,
        "origin": task.origin,
        "added_by": task.added_by,
        "created_at": task.created_at.isoformat(),
        "acted_at": task.acted_at.isoformat() if task.acted_at is not None else None,
        "comment": task.comment,
    }


def _step_item(trail: StepTrail) -> dict[str, Any]:
    return {**_step_fields(trail.step), "tasks": [_task_item(t) for t in trail.tasks]}


def _inbox_item(app_id: str, item: InboxItem) -> dict[str, Any]:
    return {
        "app": app_id,
        "entity": item.entity,
        "record_id": item.record_id,
        "title": item.title,
        "state": item.state,
        **_step_fields(item.step),
        "overdue": item.overdue,
        "task": _task_item(item.task) if item.task is not None else None,
    }


def _notification(app_id: str, note: Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "app": app_id,
        "entity": note.entity,
        "record_id": note.record_id,
        "kind": note.kind,
        "state": note.state,
        "by": note.by,
        "comment": note.comment,
        "title": note.title,
        "body": note.body,
        "created_at": note.created_at.isoformat(),
        "read": note.read_at is not None,
        "read_at": note.read_at.isoformat() if note.read_at is not None else None,
    }
