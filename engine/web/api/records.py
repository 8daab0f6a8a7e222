"""Record routes: `/{app}/{entity}` (list, create) and `/{app}/{entity}/{id}` (read, update,
delete), `/{id}/restore`, `/{id}/history` — thin calls into the record service.

Updates need the version the client read: `_version` in the body or an `If-Match` header
(`"3"`); without either the API answers 428 (version_required), so a client can never
overwrite a change it did not see. Responses carry the record's version as an `ETag`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.history import HistoryEntry
from engine.runtime.record import Record
from engine.runtime.values import MAX_ID
from engine.spec.model import EntitySpec
from engine.web.api.blueprint import APP_CONVERTER, bp
from engine.web.api.encoding import json_response, read_json_object, record_payload
from engine.web.api.errors import ApiError
from engine.web.api.identity import current_actor
from engine.web.api.listing import list_arguments
from engine.web.state import web_state

__all__ = ["SYSTEM_KEYS", "VERSION_KEY"]

VERSION_KEY = "_version"
SYSTEM_KEYS = frozenset(
    {"id", "version", "created_at", "created_by", "updated_at", "updated_by", "deleted_at"}
)
COLLECTION = f"/<{APP_CONVERTER}:app>/<entity>"
RECORD = f"{COLLECTION}/<int:record_id>"


def _target(app: str, entity: str) -> tuple[Engine, EntitySpec, Actor]:
    """The engine and entity named by the path (404 when unknown), and the caller."""
    actor = current_actor()
    engine = web_state().engine
    spec = engine.app.entities.get(entity) if app == engine.app.id else None
    if spec is None:
        raise ApiError(404, f"there is no entity '{app}/{entity}'")
    return engine, spec, actor


def _check_id(entity: str, record_id: int) -> None:
    if not 1 <= record_id <= MAX_ID:
        raise ApiError(404, f"there is no {entity} with id {record_id}")


def _values(spec: EntitySpec, body: dict[str, Any] | None) -> dict[str, Any]:
    """The field values of a body; the stamps a client may send back are left out."""
    if body is None:
        raise ApiError(400, "send the values as a JSON object (Content-Type: application/json)")
    # Ids beyond any column (and other unreadable values) are field errors of the service.
    return {key: value for key, value in body.items() if key not in SYSTEM_KEYS | {VERSION_KEY}}


def _record_response(spec: EntitySpec, record: Record, status: int = 200) -> Response:
    response = json_response(record_payload(spec, record), status)
    response.set_etag(str(record.version))
    return response


@bp.get(COLLECTION)
def list_records(app: str, entity: str) -> Response:
    """A page of records: `?filter=`, `?sort=`, `?limit=`, `?cursor=`."""
    engine, spec, actor = _target(app, entity)
    arguments = list_arguments(request.args)
    page = engine.records.list(actor, entity, **arguments)
    items = [record_payload(spec, record) for record in page.records]
    return json_response({"items": items, "next_cursor": page.next_cursor})


@bp.post(COLLECTION)
def create_record(app: str, entity: str) -> Response:
    """Create a record: 201 with the record and its `Location`."""
    engine, spec, actor = _target(app, entity)
    record = engine.records.create(actor, entity, _values(spec, read_json_object()))
    response = _record_response(spec, record, 201)
    # The record's URL is the collection's plus its id (what url_for("api.read_record")
    # gives, without a route lookup per request).
    response.headers["Location"] = f"{request.script_root}{request.path}/{record.id}"
    return response


@bp.get(RECORD)
def read_record(app: str, entity: str, record_id: int) -> Response:
    """One record."""
    engine, spec, actor = _target(app, entity)
    _check_id(entity, record_id)
    return _record_response(spec, engine.records.get(actor, entity, record_id))


@bp.patch(RECORD)
def update_record(app: str, entity: str, record_id: int) -> Response:
    """Change some fields of a record at the version the client read."""
    engine, spec, actor = _target(app, entity)
    _check_id(entity, record_id)
    body = read_json_object()
    values = _values(spec, body)
    version = _version(body)
    record = engine.records.update(actor, entity, record_id, values, version=version)
    return _record_response(spec, record)


@bp.delete(RECORD)
def delete_record(app: str, entity: str, record_id: int) -> Response:
    """Soft-delete a record (restorable); `If-Match` makes it conditional."""
    engine, _, actor = _target(app, entity)
    _check_id(entity, record_id)
    version = _if_match() if request.headers.get("If-Match") else None
    engine.records.delete(actor, entity, record_id, version=version)
    return Response(status=204)


@bp.post(f"{RECORD}/restore")
def restore_record(app: str, entity: str, record_id: int) -> Response:
    """Bring a deleted record back."""
    engine, spec, actor = _target(app, entity)
    _check_id(entity, record_id)
    return _record_response(spec, engine.records.restore(actor, entity, record_id))


@bp.get(f"{RECORD}/history")
def record_history(app: str, entity: str, record_id: int) -> Response:
    """Every change of a record, oldest first."""
    engine, _, actor = _target(app, entity)
    _check_id(entity, record_id)
    entries = engine.records.history(actor, entity, record_id)
    return json_response({"items": [_history_item(entry) for entry in entries]})


def _history_item(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "at": entry.at.isoformat(),
        "by": entry.by,
        "changes": dict(entry.changes),
        "comment": entry.comment,
        "details": dict(entry.details),
    }


def _version(body: dict[str, Any] | None) -> int:
    """The version the client read: body `_version`, else `If-Match`; 428 without one."""
    from_body = (body or {}).get(VERSION_KEY)
    if from_body is not None:
        if isinstance(from_body, bool) or not isinstance(from_body, int):
            raise ApiError(400, "'_version' must be the record's version, an integer")
        return from_body
    if request.headers.get("If-Match"):
        return _if_match()
    raise ApiError(
        428,
        "send the version you read: '_version' in the body or an 'If-Match' header",
    )


def _if_match() -> int:
    tag = request.headers.get("If-Match", "").strip()
    tag = tag.removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ApiError(400, 'If-Match must hold the record\'s version, e.g. If-Match: "3"')
    return int(tag)
