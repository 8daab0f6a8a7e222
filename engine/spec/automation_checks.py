"""Reference checks of automations and of actions wherever they run (automations and
workflow `on_enter`): trigger entities, fields, states, workflow actions, decision tables,
channels, recipients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from croniter import croniter

from engine.expr.calendar import date_problem
from engine.spec.check_context import CheckContext
from engine.spec.document import Loc
from engine.spec.model import ActionSpec, EntitySpec, TriggerSpec, WorkflowSpec
from engine.spec.model_action import FOR_EACH_SOURCES
from engine.spec.model_values import child_loc
from engine.spec.workflow_checks import STATELESS_ACTIONS, check_approvers, state_ref

__all__ = ["check_actions", "check_automations", "trigger_entities", "workflow_action"]

_NUMERIC_KINDS = ("number", "integer", "money", "percent")
_DATE_KINDS = ("date", "datetime")
_STATE_TRIGGERS = ("transitioned",)


def check_automations(ctx: CheckContext) -> None:
    """Every automation's triggers and actions."""
    for automation in ctx.app.automations.values():
        for trigger in automation.triggers:
            _check_trigger(ctx, trigger)
        entities = trigger_entities(ctx, automation.triggers)
        for entity in entities or (None,):
            check_actions(ctx, entity, automation.actions)
    for entity in ctx.app.entities.values():
        if entity.workflow is not None:
            for state in entity.workflow.states.values():
                check_actions(ctx, entity, state.on_enter)


def trigger_entities(ctx: CheckContext, triggers: Iterable[TriggerSpec]) -> list[EntitySpec]:
    """The distinct built entities the triggers watch, in order."""
    found: list[EntitySpec] = []
    for trigger in triggers:
        entity = ctx.app.entities.get(trigger.entity or "")
        if entity is not None and entity not in found:
            found.append(entity)
    return found


def workflow_action(
    ctx: CheckContext, entity: EntitySpec, name: str, loc: Loc
) -> WorkflowSpec | None:
    """R116 when `entity` has no workflow, R106 when `name` is not one of its actions."""
    workflow = entity.workflow
    if workflow is None:
        if not ctx.may_lack(entity.loc, "workflow"):
            message = f"entity '{entity.name}' has no workflow, so no action '{name}'"
            ctx.error("R116", message, loc)
        return None
    names = set(workflow.transitions) | set(STATELESS_ACTIONS)
    if name not in names and not ctx.may_lack(workflow.loc, "transitions"):
        ctx.unknown(
            "R106",
            "workflow action",
            name,
            workflow.transitions,
            loc,
            where=f"of entity '{entity.name}'",
        )
    return workflow


def _check_trigger(ctx: CheckContext, trigger: TriggerSpec) -> None:
    loc = trigger.loc
    cron = trigger.option("cron")
    if trigger.type == "schedule" and isinstance(cron, str) and not croniter.is_valid(cron):
        message = f"'{cron}' is not a schedule: a field is out of range or malformed"
        hint = "minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6 (or mon…sun)"
        ctx.error("R122", message, child_loc(loc, "cron"), hint=hint)
    entity = ctx.entity(trigger.entity, child_loc(loc, "entity"))
    if entity is None:
        return
    ctx.fields(entity, ctx.names(trigger.option("changed")), child_loc(loc, "changed"))
    for key, values in trigger.value_maps.items():
        for name in values:
            ctx.field(entity, name, child_loc(loc, key, name), key=True)
    if trigger.type in _STATE_TRIGGERS or trigger.type == "approval":
        _check_trigger_states(ctx, entity, trigger)
    field = trigger.option("field")
    if isinstance(field, str) and trigger.type == "threshold":
        ctx.field_of_kind(
            entity,
            field,
            child_loc(loc, "field"),
            _NUMERIC_KINDS,
            "a threshold watches a numeric field",
        )
    elif isinstance(field, str) and trigger.type == "date":
        ctx.field_of_kind(
            entity,
            field,
            child_loc(loc, "field"),
            _DATE_KINDS,
            "a date trigger needs a date or datetime field",
        )
    elif isinstance(field, str):
        ctx.field(entity, field, child_loc(loc, "field"))
    if trigger.type == "manual":
        ctx.roles(ctx.names(trigger.option("roles")), child_loc(loc, "roles"))


def _check_trigger_states(ctx: CheckContext, entity: EntitySpec, trigger: TriggerSpec) -> None:
    loc = trigger.loc
    action = trigger.option("action")
    if isinstance(action, str):
        workflow_action(ctx, entity, action, child_loc(loc, "action"))
    keys = ("from", "to") if trigger.type in _STATE_TRIGGERS else ("state",)
    for key in keys:
        raw = trigger.option(key)
        if raw is None:
            continue
        if entity.workflow is None:
            if not ctx.may_lack(entity.loc, "workflow"):
                message = f"entity '{entity.name}' has no workflow, so no states"
                ctx.error("R116", message, child_loc(loc, key))
            continue
        names = raw if isinstance(raw, tuple) else (raw,)
        for index, name in enumerate(names):
            if isinstance(name, str):
                state_ref(ctx, entity.workflow, name, ctx.item(child_loc(loc, key), index))


def check_actions(
    ctx: CheckContext, record: EntitySpec | None, actions: Iterable[ActionSpec]
) -> None:
    """Actions run on a record of `record` (None: no triggering record, e.g. a schedule)."""
    for action in actions:
        _check_action(ctx, record, action)


def _check_action(ctx: CheckContext, record: EntitySpec | None, action: ActionSpec) -> None:
    loc = action.loc
    target = record if action.type in ("set", "transition", "assign_round_robin") else None
    if action.entity is not None:
        target = ctx.entity(action.entity, child_loc(loc, "entity"))
    if target is not None:
        for key, values in action.value_maps.items():
            if key == "values":
                for name in values:
                    ctx.field(target, name, child_loc(loc, key, name), key=True, system=False)
        _check_action_fields(ctx, target, action)
    if action.type == "transition" and record is not None:
        name = action.option("action")
        if isinstance(name, str):
            workflow_action(ctx, record, name, child_loc(loc, "action"))
    if action.type == "lookup":
        _check_lookup(ctx, action)
    if action.type == "assign_round_robin":
        ctx.roles(ctx.names(action.option("roles")), child_loc(loc, "roles"))
    if action.type == "for_each":
        _check_for_each(ctx, action)
    channel = action.channel
    if channel is not None and channel not in ctx.registry.channels:
        ctx.unknown("R109", "channel", channel, ctx.registry.channels, child_loc(loc, "channel"))
    check_approvers(ctx, record, action.recipients)
    check_actions(ctx, record, action.actions)


def _check_for_each(ctx: CheckContext, action: ActionSpec) -> None:
    """Exactly one item source (R130 none, R131 several), `where` only over records (R132),
    known roles, real literal dates."""
    loc = action.loc
    sources = action.sources
    if not sources and not any(ctx.may_lack(loc, key) for key in FOR_EACH_SOURCES):
        message = "`for_each` has nothing to iterate"
        hint = "give it one of: " + ", ".join(f"`{key}`" for key in FOR_EACH_SOURCES)
        ctx.error("R130", message, loc, hint=hint)
    for extra in sources[1:]:
        message = f"`for_each` iterates one source: `{sources[0]}` or `{extra}`, not both"
        hint = "split it into two `for_each` actions, or nest one inside the other"
        ctx.error("R131", message, child_loc(loc, extra), hint=hint, key=True)
    if "where" in action.options and sources and "entity" not in sources:
        message = f"`where` selects records of an `entity`; `{sources[0]}` has none to select"
        hint = "drop it (`members` and `teams` choose people by `roles`)"
        ctx.error("R132", message, child_loc(loc, "where"), key=True, hint=hint)
    for key in ("members", "teams"):
        keys = action.option(key)
        if isinstance(keys, Mapping):
            ctx.roles(ctx.names(keys.get("roles")), child_loc(loc, key, "roles"))
    periods = action.option("periods")
    if isinstance(periods, Mapping):
        for key in ("start", "end"):
            written = periods.get(key)
            if isinstance(written, str) and not written.startswith("="):
                problem = date_problem(written)
                if problem is not None:
                    ctx.error("X110", problem, child_loc(loc, "periods", key))


def _check_action_fields(ctx: CheckContext, target: EntitySpec, action: ActionSpec) -> None:
    field = action.option("field")
    if not isinstance(field, str):
        return
    where = child_loc(action.loc, "field")
    if action.type == "allocate":
        ctx.field_of_kind(
            target, field, where, _NUMERIC_KINDS, "`allocate` writes its parts into a numeric field"
        )
    elif action.type == "assign_round_robin":
        ctx.field_of_kind(
            target, field, where, ("user",), "`assign_round_robin` assigns a user field"
        )
    else:
        ctx.field(target, field, where)


def _check_lookup(ctx: CheckContext, action: ActionSpec) -> None:
    name = action.table
    if name is None:
        return
    table = ctx.app.tables.get(name)
    if table is None:
        if not ctx.app.is_unbuilt("table", name):
            known = set(ctx.app.tables) | set(ctx.app.unbuilt.get("table", ()))
            ctx.unknown("R107", "decision table", name, known, child_loc(action.loc, "table"))
        return
    for input_name in action.inputs:
        if table.inputs and input_name not in table.input_names:
            ctx.unknown(
                "R108",
                "input",
                input_name,
                table.input_names,
                child_loc(action.loc, "inputs", input_name),
                where=f"of decision table '{name}'",
                key=True,
            )
