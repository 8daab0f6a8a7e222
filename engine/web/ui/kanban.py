"""Kanban views (`type: kanban`): one column per value of the view's `group_by` field — a
select's options or a workflow's states in declaration order, or the users a user field
may hold — each with its count and its first cards (the view's `card` fields, linking to
the record), read through the record service exactly as the list reads them (row scope,
view filter, typed filter, sort). A full column ends with a link to the list of that value.

Moving a card (`POST /e/<entity>/<id>/move`, CSRF, version-checked) sets the field
through the record service; the board's script sends it on drop, the per-card *Move to*
select sends it without a pointer. A workflow state field is never set directly:
`kanban_move_target` says how a card reaches a column, and on a board of workflow states
the move takes the workflow action that leads from the card's state (the form field
`from`) to the column (`workflow_moves.move_through_workflow`). There, each card's menu
offers only the states an action the reader may take now leads to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from engine.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.grouping import count_by
from engine.runtime.record import Record
from engine.spec.model import EntitySpec, FieldSpec, ViewSpec, label_text
from engine.web.i18n import label, translate
from engine.web.ui.blueprint import bp, entity_or_404, page
from engine.web.ui.display import record_title
from engine.web.ui.lookup import roles_covering
from engine.web.ui.workflow_moves import WorkflowMove, move_through_workflow

__all__ = ["CARDS_PER_COLUMN", "MoveTarget", "kanban_move_target", "move_card", "render_board"]

CARDS_PER_COLUMN = 20
USER_COLUMNS = 30  # a user field's board shows at most this many people


@dataclass(frozen=True)
class MoveTarget:
    """How a card reaches a column: by setting `field` to `value` through the service, or,
    when `workflow` is set, by the workflow action leading to the state `value`."""

    field: str
    value: Any
    workflow: bool = False


def kanban_move_target(entity: EntitySpec, group_by: FieldSpec, value: Any) -> MoveTarget | None:
    """How a card of `entity` moves to the column `value` of `group_by`; None when cards
    cannot be moved there from the board.

    A workflow state changes only through a transition (its guards, approvals, actions):
    for the workflow's state field the target says so (`workflow=True`) and `move_card`
    takes the action leading there; a state field without a workflow cannot move.
    """
    state_field = entity.state_field
    if group_by.type == "state" or (state_field is not None and state_field.name == group_by.name):
        workflow = entity.workflow
        if workflow is None or workflow.field != group_by.name:
            return None
        return MoveTarget(group_by.name, value, workflow=True)
    return MoveTarget(group_by.name, value)


@dataclass
class Column:
    """One board column: its value (None: no value), title, colour, count and cards."""

    value: str | None
    title: str
    color: str
    count: int = 0
    cards: list[dict[str, Any]] = field(default_factory=list)
    more_url: str | None = None


def _quoted(value: str) -> str:
    """A text literal of the expression language (its strings read as Python's)."""
    return repr(value)


def _combined(*parts: str | None) -> str | None:
    kept = [p.strip() for p in parts if p and p.strip()]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else " and ".join(f"({p})" for p in kept)


def _columns(entity: EntitySpec, group_by: FieldSpec) -> list[Column]:
    """The columns in declaration order (select options, workflow states, users)."""
    presenter = page().presenter
    locale = page().locale
    if group_by.type == "select":
        return [
            Column(o.value, label_text(o.label, locale, o.value), o.color or "gray")
            for o in group_by.choices
        ]
    if group_by.type == "state":
        workflow = entity.workflow
        if workflow is not None:
            return [
                Column(name, label_text(state.label, locale, name), state.color or "gray")
                for name, state in workflow.states.items()
            ]
        return [Column(o.value, label_text(o.label, locale, o.value), o.color or "gray")
                for o in group_by.choices]  # fmt: skip
    if group_by.type == "user":
        engine = page().engine
        roles = group_by.option("roles")
        allowed: set[str] | None = None
        if roles:
            covering = roles_covering(engine.app, {str(r) for r in roles})
            allowed = set(engine.people.usernames_with_roles(engine.app.id, sorted(covering)))
        users = [
            u for u in engine.people.list_users()
            if u.active and (allowed is None or u.username in allowed)
        ]  # fmt: skip
        return [
            Column(u.username, presenter.user_name(u.username), "blue")
            for u in users[:USER_COLUMNS]
        ]
    abort(404)


@dataclass(frozen=True)
class BoardRequest:
    """What the board shows: the entity, view, its grouping field and the filters."""

    entity: EntitySpec
    view: ViewSpec
    group_by: FieldSpec
    filter: str | None
    sort: list[str]


def build_board(board: BoardRequest) -> tuple[list[Column], str | None]:
    """The columns with counts and first cards, or a filter problem (and no columns)."""
    current = page()
    entity, group_by = board.entity, board.group_by
    columns = _columns(entity, group_by)
    try:
        counts = count_by(
            current.engine.records, current.actor, entity.name, group_by.name, filter=board.filter
        )
    except BadRequest as problem:
        return [], str(problem)
    known = {c.value for c in columns}
    stray = sum(n for value, n in counts.items() if value not in known)
    if stray:
        # records with no value (or a value no longer offered) get a column of their own
        columns.append(Column(None, translate("board.no_value"), "gray"))
    for column in columns:
        column.count = counts.get(column.value, 0) if column.value is not None else stray
        if column.count:
            _fill(board, column, known)
    return columns, None


def _fill(board: BoardRequest, column: Column, known: set[str | None]) -> None:
    current = page()
    name = board.group_by.name
    if column.value is None:
        offered = ", ".join(_quoted(v) for v in sorted(v for v in known if v is not None))
        own = f"{name} == null" + (f" or {name} not in [{offered}]" if offered else "")
    else:
        own = f"{name} == {_quoted(column.value)}"
    found = current.engine.records.list(
        current.actor, board.entity.name, filter=_combined(board.filter, own),
        sort=board.sort, limit=CARDS_PER_COLUMN,
    )  # fmt: skip
    column.cards = _cards(board.entity, board.view, list(found.records))
    if found.next_cursor is not None:
        typed = request.args.get("filter", "")
        column.more_url = url_for(
            "ui.list_records", entity=board.entity.name, view=board.view.name,
            layout="table", filter=_combined(typed, own),
        )  # fmt: skip


def _cards(entity: EntitySpec, view: ViewSpec, records: list[Record]) -> list[dict[str, Any]]:
    """Each card: record id, version, title (the first `card` field) and the other readable
    `card` fields that hold a value (label, text)."""
    current = page()
    presenter = current.presenter
    permissions = current.engine.permissions
    presenter.preload_links(entity, [r.values for r in records])
    shown = [
        entity.fields[name]
        for name in view.card
        if name in entity.fields
        and permissions.field_access(current.actor, entity.name, name) != "none"
    ]
    return [_card(entity, shown, record) for record in records]


def _card(entity: EntitySpec, shown: list[FieldSpec], record: Record) -> dict[str, Any]:
    presenter = page().presenter
    values = record.values
    head = shown[0] if shown else None
    if head is not None and values.get(head.name) not in (None, ""):
        title = presenter.text(head, values.get(head.name), entity)
    else:
        title = record_title(entity, values, record.id)
    fields = [
        {
            "name": f.name,
            "label": label(f.label, f.name),
            "text": presenter.text(f, values[f.name], entity),
        }
        for f in shown[1:]
        if values.get(f.name) not in (None, "", [])
    ]
    return {"id": record.id, "version": record.version, "title": title, "fields": fields}


def render_board(entity: EntitySpec, view: ViewSpec, context: dict[str, Any]) -> str:
    """The kanban page of `view` (the list page's header, filter box and tabs included)."""
    current = page()
    group_by = entity.fields.get(view.group_by or "")
    if group_by is None or group_by.type not in ("select", "state", "user"):
        abort(404)
    if current.engine.permissions.field_access(current.actor, entity.name, group_by.name) == "none":
        abort(404)
    board = BoardRequest(entity, view, group_by, context["combined_filter"], context["sort"])
    columns, error = build_board(board)
    target = kanban_move_target(entity, group_by, None)
    movable = _movable(entity, group_by, target)
    if movable:
        _offer_moves(entity, columns, workflow=target is not None and target.workflow)
    return render_template(
        "ui/kanban.html", **{**context, "error": error or context.get("error")},
        columns=columns, group_by=group_by, movable=movable,
        through_workflow=target is not None and target.workflow,
        board_url=request.full_path.rstrip("?"),
    )  # fmt: skip


def _movable(entity: EntitySpec, group_by: FieldSpec, target: MoveTarget | None) -> bool:
    """True when the reader may move cards: a plain field they may edit on records they may
    update (the service still checks each record's scope on the move), or a workflow's
    state, which moves by the actions each card offers (`_offer_moves`)."""
    current = page()
    permissions = current.engine.permissions
    if target is None:
        return False
    if target.workflow:
        return True
    return (
        permissions.can(current.actor, entity.name, "update")
        and permissions.field_access(current.actor, entity.name, group_by.name) == "edit"
    )


def _offer_moves(entity: EntitySpec, columns: list[Column], *, workflow: bool) -> None:
    """Give each card its `moves`: the columns its *Move to* menu offers (its own first;
    none: the card cannot move). A plain field offers every column; a workflow state only
    the states an action the reader may take now leads to from the card's — decided for all
    cards shown at once (`WorkflowService.actions_many`, the rules of the record page's
    buttons)."""
    offered = [c for c in columns if c.value is not None]
    available: dict[int, list[Any]] = {}
    if workflow and entity.workflow is not None:
        shown = [
            card["id"]
            for column in columns
            if column.value is None or entity.workflow.transitions_from(column.value)
            for card in column.cards
        ]
        current = page()
        available = current.engine.workflows.actions_many(current.actor, entity.name, shown)
    for column in columns:
        for card in column.cards:
            if workflow:
                card["moves"] = _reachable(column, available.get(card["id"]), offered)
            else:
                card["moves"] = offered


def _reachable(column: Column, actions: list[Any] | None, offered: list[Column]) -> list[Column]:
    """The card's own column and those an action the reader may take now leads to (none
    when it cannot move: no action, or the record is gone since the board was read)."""
    reachable = {t for a in actions or () for t in a.targets} - {column.value}
    if not reachable:
        return []
    own = [column] if column.value is not None else []
    return own + [c for c in offered if c.value in reachable]


def _back(entity: EntitySpec) -> str:
    """Where a form-posted move returns: the board it came from (same site only)."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if target.startswith(f"/e/{entity.name}") and not parts.netloc and not parts.scheme:
        return target
    return url_for("ui.list_records", entity=entity.name)


def _wants_json() -> bool:
    """True for the board's script (it asks for JSON), false for a plain form post."""
    return request.accept_mimetypes.best == "application/json"


def _answer(entity: EntitySpec, status: int, message: str, **extra: Any) -> Any:
    """JSON for the board's script, a flash and a redirect back for a plain form."""
    if _wants_json():
        return jsonify({"ok": status == 200, "message": message, **extra}), status
    flash(message, "success" if status == 200 else "error")
    return redirect(_back(entity))


@bp.route("/e/<entity>/<int:record_id>/move", methods=["POST"])
def move_card(entity: str, record_id: int) -> Any:
    """Move a card to another column of a kanban view (`view`, `to`, `_version`; on a
    board of workflow states also `from`, the column the card left, and `confirmed`)."""
    spec = entity_or_404(entity)
    current = page()
    view = spec.views.get(request.form.get("view", ""))
    if view is None or view.type != "kanban":
        abort(404)
    group_by = spec.fields.get(view.group_by or "")
    if group_by is None:
        abort(404)
    raw = request.form.get("to", "")
    columns = {c.value for c in _columns(spec, group_by)}
    if raw not in columns and raw != "":
        return _answer(spec, 400, translate("board.unknown_column"))
    target = kanban_move_target(spec, group_by, raw or None)
    if target is None:
        return _answer(spec, 403, translate("board.read_only"))
    version_text = request.form.get("_version", "")
    if not version_text.isdigit():
        return _answer(spec, 400, translate("board.no_version"))
    if target.workflow:
        return _workflow_move(spec, record_id, raw, int(version_text))
    try:
        record = current.engine.records.update(
            current.actor, entity, record_id, {target.field: target.value},
            version=int(version_text),
        )  # fmt: skip
    except NotFound:
        abort(404)
    except Forbidden:
        return _answer(spec, 403, translate("board.forbidden"))
    except Conflict as problem:
        return _answer(spec, 409, translate("board.conflict"), version=problem.current_version)
    except ValidationFailed as problem:
        texts = [t for messages in problem.fields.values() for t in messages]
        return _answer(spec, 422, translate("board.invalid", reason=" ".join(texts)))
    title = record_title(spec, record.values, record.id)
    moved = translate("board.moved", title=title)
    return _answer(spec, 200, moved, version=record.version)


def _workflow_move(spec: EntitySpec, record_id: int, to_state: str, version: int) -> Any:
    """A card dropped on a state column: take the action leading there from the card's
    state (the `from` the board sent, else the record's state now) and answer with what
    became of it. A plain form cannot ask a question or open a dialog, so an action that
    needs more (422) sends it to the record page with that action's dialog open."""
    current = page()
    if not to_state:
        return _answer(spec, 400, translate("board.unknown_column"))
    from_state = request.form.get("from", "")
    if not from_state:
        try:
            record = current.engine.records.get(current.actor, spec.name, record_id)
        except NotFound:
            return _answer(spec, 404, translate("workflow.move.not_found"))
        from_state = str(record.values.get(spec.workflow.field if spec.workflow else ""))
    confirmed = request.form.get("confirmed", "") in ("1", "true", "on")
    move = move_through_workflow(
        spec.name, record_id, from_state, to_state, version=version, confirmed=confirmed
    )
    extra = _move_details(spec.name, move)
    if move.status == 422 and not _wants_json():
        message = move.message
        if move.needs == ("confirm",):
            message = translate("board.confirm_there", question=move.message)
        flash(message, "error")
        return redirect(move.url or _back(spec))
    return _answer(spec, move.status, move.message, **extra)


def _move_details(entity: str, move: WorkflowMove) -> dict[str, Any]:
    """The JSON fields of a workflow move beyond `ok` and `message`."""
    details: dict[str, Any] = {}
    if move.record is not None:
        details["version"] = move.record.version
        workflow = page().engine.app.entities[entity].workflow
        if workflow is not None:  # a recorded approval of several leaves the state as it was
            details["state"] = move.record.values.get(workflow.field)
    if move.action is not None:
        details["action"] = move.action
    if move.url is not None:
        details["url"] = move.url
    if move.needs:
        details["needs"] = list(move.needs)
    if move.choices:
        details["choices"] = list(move.choices)
    return details
