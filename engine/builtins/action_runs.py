"""What the built-in actions do: one `run(ctx, action)` per type of
engine/builtins/actions.py, through the `ActionContext` the runtime hands them — the same
contract a plugin's action type has.

Each returns what the run's trace records about it (JSON-ready values: numbers as text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from engine.automation import ActionContext, ActionFailed, RecordRef
from engine.automation.allocation import allocate
from engine.automation.context import Bindable, TeamRef, UserRef
from engine.automation.periods import calendar_periods
from engine.spec.model_action import ActionSpec
from engine.spec.model_values import ANY_LOCALE, ValueSpec, label_text

__all__ = ["ACTION_RUNS"]

_TRACE_ITEMS = 20
"""How many per-item results a `for_each` keeps in its trace."""


def _parameter(ctx: ActionContext, action: ActionSpec, key: str) -> Any:
    """A scalar value key: evaluated when written as `=expression`, else as written."""
    value = action.parameters.get(key)
    return ctx.value(value) if value is not None else action.option(key)


def run_set(ctx: ActionContext, action: ActionSpec) -> Any:
    """Set fields of the triggering record."""
    values = ctx.values(action.values)
    ctx.set_fields(values)
    return {"set": values}


def run_create(ctx: ActionContext, action: ActionSpec) -> Any:
    """Create a record (bound to `as:`); with `where`, only when none matches — else the
    first match by id is bound instead."""
    entity = _entity(action)
    if "where" in action.expressions:
        found = ctx.select(entity)
        if found:
            if action.alias is not None:
                ctx.bind(action.alias, RecordRef(entity, found[0]))
            return {"existing": found[0]}
    created = ctx.create(entity, ctx.values(action.values))
    if action.alias is not None:
        ctx.bind(action.alias, created)
    return {"created": created}


def run_update(ctx: ActionContext, action: ActionSpec) -> Any:
    """Update the records `where` selects; with `upsert`, create one when none matches."""
    entity = _entity(action)
    values = ctx.values(action.values)
    ids = ctx.select(entity)
    if not ids and action.option("upsert", False):
        created = ctx.create(entity, values)
        if action.alias is not None:
            ctx.bind(action.alias, created)
        return {"matched": 0, "created": created}
    changed = [record_id for record_id in ids if ctx.update(entity, record_id, values)]
    if action.alias is not None and len(ids) == 1:
        ctx.bind(action.alias, RecordRef(entity, ids[0]))
    return {"matched": len(ids), "changed": changed}


def run_delete(ctx: ActionContext, action: ActionSpec) -> Any:
    """Soft-delete the records `where` selects."""
    entity = _entity(action)
    ids = ctx.select(entity)
    for record_id in ids:
        ctx.delete(entity, record_id)
    return {"deleted": ids}


def run_transition(ctx: ActionContext, action: ActionSpec) -> Any:
    """Take a workflow action on the triggering record."""
    comment = action.option("comment")
    text = ctx.render(label_text(_label(comment), "en")) if comment else None
    state = ctx.transition(str(action.option("action")), text)
    return {"action": action.option("action"), "state": state}


def run_for_each(ctx: ActionContext, action: ActionSpec) -> Any:
    """Run the nested actions once per item of the action's one source."""
    sources = action.sources
    if len(sources) != 1:
        raise ActionFailed("`for_each` needs exactly one of: entity, periods, members, teams")
    if sources[0] == "entity":
        entity = _entity(action)
        ids = ctx.select(entity)
        results = ctx.run_each(action.actions, action.alias, entity, ids)
        kept = [
            {"id": record_id, "results": found}
            for record_id, found in zip(ids, results, strict=True)
        ]
        return {"records": len(ids), "results": kept[:_TRACE_ITEMS]}
    items, traced = _ITEM_SOURCES[sources[0]](ctx, action.value_maps.get(sources[0], {}))
    results = ctx.run_with(action.actions, action.alias, items)
    kept = [{"item": item, "results": found} for item, found in zip(traced, results, strict=True)]
    return {"source": sources[0], "items": len(items), "results": kept[:_TRACE_ITEMS]}


Items = tuple[list[Bindable], list[Any]]
"""What a `for_each` source yields: the values bound to `as:`, and how the trace names each."""


def _periods(ctx: ActionContext, keys: Mapping[str, ValueSpec]) -> Items:
    """The calendar periods of `every` overlapping start…end, each clipped to the range."""
    start, end = (_day(ctx, keys.get(key), key) for key in ("start", "end"))
    every = str(keys["every"].literal) if "every" in keys else ""
    if start is None or end is None:  # a plan without dates has no periods yet
        return [], []
    periods = calendar_periods(start, end, every, ctx.first_weekday)
    return [p.as_mapping() for p in periods], [dict(p.as_mapping()) for p in periods]


def _members(ctx: ActionContext, keys: Mapping[str, ValueSpec]) -> Items:
    """The team's active members (their main team), by username; those with `roles`."""
    team = _team(ctx, keys.get("team"))
    if team is None:
        return [], []
    usernames = ctx.team_members(team, _roles(keys))
    return [UserRef(name) for name in usernames], list(usernames)


def _teams(ctx: ActionContext, keys: Mapping[str, ValueSpec]) -> Items:
    """Teams with an active member (with `roles`), by name; `under`: its subtree."""
    under = _team(ctx, keys.get("under")) if "under" in keys else None
    if "under" in keys and under is None:  # a blank `under` is no team, not every team
        return [], []
    found = ctx.teams(_roles(keys), under)
    return [TeamRef(team) for team in found], list(found)


_ITEM_SOURCES: Mapping[str, Callable[[ActionContext, Mapping[str, ValueSpec]], Items]] = (
    MappingProxyType({"periods": _periods, "members": _members, "teams": _teams})
)


def _day(ctx: ActionContext, value: ValueSpec | None, key: str) -> date | None:
    found = ctx.value(value) if value is not None else None
    if found is None or found == "":
        return None
    if isinstance(found, datetime):
        raise ActionFailed(f"the period {key} must be a date, not a date and time")
    if isinstance(found, date):
        return found
    try:
        return date.fromisoformat(str(found))
    except ValueError as error:
        raise ActionFailed(f"the period {key} must be a date, not {found!r}") from error


def _team(ctx: ActionContext, value: ValueSpec | None) -> int | None:
    found = ctx.value(value) if value is not None else None
    if found is None or found == "":
        return None
    if isinstance(found, bool):
        raise ActionFailed(f"a team is given by its id, not {found!r}")
    try:
        return int(found)
    except (TypeError, ValueError) as error:
        raise ActionFailed(f"a team is given by its id, not {found!r}") from error


def _roles(keys: Mapping[str, ValueSpec]) -> tuple[str, ...]:
    roles = keys.get("roles")
    written = roles.literal if roles is not None else ()
    return tuple(str(role) for role in written or ())


def run_lookup(ctx: ActionContext, action: ActionSpec) -> Any:
    """Evaluate a decision table and bind its outputs to `as:`."""
    inputs = ctx.values(action.inputs)
    outputs = ctx.lookup(str(action.table), inputs)
    if action.alias is not None:
        ctx.bind(action.alias, outputs)
    return {"table": action.table, "inputs": inputs, "outputs": outputs}


def run_allocate(ctx: ActionContext, action: ActionSpec) -> Any:
    """Split a total over the selected records by weight (largest remainder, in `unit`s)."""
    entity = _entity(action)
    total = _decimal(_parameter(ctx, action, "total"), "total")
    ids = ctx.select(entity)
    if not ids:  # nothing to share among (a target without children): nothing to do
        return {"total": total, "parts": {}, "records": 0}
    weights: list[Decimal] = []
    for record_id in ids:
        weight = (
            ctx.evaluate_on("weight", entity, record_id) if "weight" in action.expressions else 1
        )
        weights.append(_decimal(weight if weight is not None else 0, "weight"))
    unit = _decimal(action.option("unit", 1), "unit")
    parts = allocate(total, weights, unit)
    field = str(action.option("field"))
    for record_id, part in zip(ids, parts, strict=True):
        ctx.update(entity, record_id, {field: part})
    return {"total": total, "parts": {str(i): p for i, p in zip(ids, parts, strict=True)}}


def run_notify(ctx: ActionContext, action: ActionSpec) -> Any:
    """Send the title and body to the recipients over the channel."""
    channel = action.channel or "inbox"
    usernames = ctx.recipients()
    title = _label(action.option("title"))
    body = action.option("body")
    sent = ctx.notify(channel, usernames, title, _label(body) if body else None) if usernames else 0
    return {"channel": channel, "to": usernames, "messages": sent}


def run_webhook(ctx: ActionContext, action: ActionSpec) -> Any:
    """Queue an HTTP call (delivered by the worker, with retries)."""
    url = str(_parameter(ctx, action, "url"))
    if not url.startswith(("http://", "https://")):
        raise ActionFailed(f"the webhook address must start with http:// or https://: {url!r}")
    headers = {
        str(name): ctx.render(str(value))
        for name, value in (action.option("headers") or {}).items()
    }
    payload = {
        "url": url,
        "method": action.option("method", "POST"),
        "headers": headers,
        "body": _rendered(ctx, action.option("body")),
    }
    message = ctx.enqueue("webhook", payload)
    return {"url": url, "outbox": message}


def run_assign_round_robin(ctx: ActionContext, action: ActionSpec) -> Any:
    """Give the record's user field to the next active member of the team, in turn."""
    record = ctx.record
    if record is None:
        raise ActionFailed("`assign_round_robin` needs a triggering record")
    team = _parameter(ctx, action, "team")
    if team is None or team == "":
        raise ActionFailed("no team to assign from: `team` gave nothing")
    roles = tuple(action.option("roles") or ())
    members = ctx.team_members(int(team), roles)
    if not members:
        among = f" with the role {' or '.join(roles)}" if roles else ""
        raise ActionFailed(f"team {team} has no active member{among} to assign")
    field = str(action.option("field"))
    chosen = ctx.next_in_turn(f"turn:{record.entity}.{field}:team{team}", members)
    ctx.set_fields({field: chosen})
    return {"team": int(team), "assigned": chosen}


def _rendered(ctx: ActionContext, value: Any) -> Any:
    if isinstance(value, str):
        return ctx.render(value)
    if isinstance(value, Mapping):
        return {str(key): _rendered(ctx, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rendered(ctx, item) for item in value]
    return value


def _label(value: Any) -> Mapping[str, str]:
    """A label key as written: a text for every language, or language → text."""
    if isinstance(value, Mapping):
        return {str(key): str(text) for key, text in value.items()}
    return {ANY_LOCALE: str(value)}


def _entity(action: ActionSpec) -> str:
    entity = action.entity
    if entity is None:
        raise ActionFailed(f"`{action.type}` needs an `entity`")
    return entity


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ActionFailed(f"the {what} must be a number, not {value!r}")
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError as error:
        raise ActionFailed(f"the {what} must be a number, not {value!r}") from error


ACTION_RUNS: Mapping[str, Any] = MappingProxyType(
    {
        "set": run_set,
        "create": run_create,
        "update": run_update,
        "delete": run_delete,
        "transition": run_transition,
        "for_each": run_for_each,
        "lookup": run_lookup,
        "allocate": run_allocate,
        "notify": run_notify,
        "webhook": run_webhook,
        "assign_round_robin": run_assign_round_robin,
    }
)
"""The runner of each built-in action type."""
