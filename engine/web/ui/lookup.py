"""The searchable pickers' JSON endpoint: `GET /lookup/<entity>/<field>?q=` returns up to
20 `{value, label}` matches for a user or link field — active users (holding one of the
field's `roles`, or a role that inherits one), or the linked entity's records the reader
may see, matched on their title."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request

from engine.errors import BadRequest, Forbidden
from engine.spec.model import AppSpec, FieldSpec
from engine.web.ui.blueprint import bp, entity_or_404, page
from engine.web.ui.display import record_title

__all__ = ["lookup", "roles_covering"]

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


def _records(field: FieldSpec, query: str) -> list[dict[str, str]]:
    current = page()
    target = field.link_target
    if target is None:
        return []
    spec = current.engine.app.entities[target]
    shown = field.option("display") or spec.title_field
    condition = f"contains({shown}, {query!r})" if shown and query else None
    try:
        found = current.engine.records.list(current.actor, target, filter=condition, limit=MATCHES)
    except (BadRequest, Forbidden):
        return []
    results = []
    for record in found.records:
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
    matches = _users(target, query) if target.type == "user" else _records(target, query)
    return jsonify(matches)
