"""The searchable pickers' JSON endpoint: `GET /lookup/<entity>/<field>?q=` returns up to
20 `{value, label}` matches for a user or link field — active users (holding one of the
field's `roles`, or a role that inherits one), or the linked entity's records the reader
may see and the link's `filter` allows, matched on their title in any letter case.

The link filter's `this.` is the record being edited: the picker sends the form's current
values as `this.<field>=…` (the fields the filter names, see `this_fields`), and `record=`
fills the others from the stored record when editing."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, jsonify, request

from engine.errors import BadRequest, Forbidden, NotFound
from engine.runtime.link_choices import THIS, search_link_targets, this_values_from_input
from engine.spec.model import AppSpec, EntitySpec, FieldSpec
from engine.web.ui.blueprint import bp, entity_or_404, page
from engine.web.ui.display import record_title

__all__ = ["lookup", "roles_covering", "this_fields"]

MATCHES = 20


def roles_covering(app: AppSpec, wanted: set[str]) -> set[str]:
    """The roles in `wanted` and every role that inherits one of them (transitively)."""
    covering = set(wanted)
    changed = True
    while changed:
        changed = False
        for name, role in app.roles.items():
            if name not in covering and covering.intersection(role.inherits):
                covering.add(name)
                changed = True
    return covering


def _users(field: FieldSpec, query: str) -> list[dict[str, str]]:
    current = page()
    engine = current.engine
    allowed: set[str] | None = None
    roles = field.option("roles")
    if roles:
        covering = roles_covering(engine.app, {str(r) for r in roles})
        allowed = set(engine.people.usernames_with_roles(engine.app.id, sorted(covering)))
    needle = query.casefold()
    matches = []
    for user in engine.people.list_users():
        if not user.active or (allowed is not None and user.username not in allowed):
            continue
        name = user.name or user.username
        if needle in user.username.casefold() or needle in name.casefold():
            matches.append({"value": user.username, "label": f"{name} ({user.username})"})
    return matches[:MATCHES]


def this_fields(field: FieldSpec) -> list[str]:
    """The fields of the record being edited that a link's filter reads through `this.`."""
    expr = field.link_filter
    if expr is None:
        return []
    return sorted(set(re.findall(rf"\b{THIS}\.([A-Za-z_]\w*)", expr.text)))


def _this_values(entity: EntitySpec, field: FieldSpec) -> dict[str, Any]:
    """The values `this.` stands for: the stored record's (when editing), then the form's."""
    current = page()
    raw: dict[str, Any] = {}
    record_id = request.args.get("record", "")
    if record_id.isdigit():
        try:
            stored = current.engine.records.get(current.actor, entity.name, int(record_id))
        except NotFound:
            abort(404)
        raw.update(stored.values)
    typed = {
        key[len(THIS) + 1 :]: value
        for key, value in request.args.items()
        if key.startswith(f"{THIS}.")
    }
    runtime = current.engine.records.runtime
    raw.update(this_values_from_input(runtime, entity.name, typed))
    if record_id.isdigit():
        raw["id"] = int(record_id)
    return raw


def _records(entity: EntitySpec, field: FieldSpec, query: str) -> list[dict[str, str]]:
    current = page()
    target = field.link_target
    if target is None:
        return []
    spec = current.engine.app.entities[target]
    shown = field.option("display") or spec.title_field
    this = _this_values(entity, field) if field.link_filter is not None else {}
    try:
        found = search_link_targets(
            current.engine.records, current.actor, entity.name, field, query, this, limit=MATCHES
        )
    except (BadRequest, Forbidden):
        return []
    results = []
    for record in found:
        text = record.values.get(shown) if shown else None
        title = str(text) if text else record_title(spec, record.values, record.id)
        results.append({"value": str(record.id), "label": title})
    return results


@bp.route("/lookup/<entity>/<field>")
def lookup(entity: str, field: str) -> Any:
    """Matches for a picker of `entity.field`."""
    spec = entity_or_404(entity)
    target = spec.fields.get(field)
    if target is None or target.type not in ("user", "link"):
        abort(404)
    query = request.args.get("q", "").strip()[:100]
    matches = _users(target, query) if target.type == "user" else _records(spec, target, query)
    return jsonify(matches)
