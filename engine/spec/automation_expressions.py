"""Expressions of automations and of actions (also workflow `on_enter`): triggers,
conditions, action values, `where` clauses, lookup inputs, with the aliases earlier actions
bind (`as:`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from engine.expr import MemberWords, Scope, Symbol, ValueType, team_symbol, user_symbol
from engine.spec.event_scope import automation_variants, event_scope
from engine.spec.expression_checker import ExpressionChecker
from engine.spec.expression_scopes import OPEN_SCOPE, merge_scopes
from engine.spec.model import ActionSpec, AutomationSpec, EntitySpec

__all__ = ["check_automation", "check_automation_expressions", "check_on_enter", "watched_entities"]

RECORD = "record"
OLD = "old"
_SQL_KEYS = ("where",)
_SOURCE_TYPES: Mapping[str, Mapping[str, ValueType]] = MappingProxyType(
    {
        "periods": {"start": ValueType.DATE, "end": ValueType.DATE},
        "members": {"team": ValueType.TEAM},
        "teams": {"under": ValueType.TEAM},
    }
)
"""The expected types of the `=` values of each `for_each` source."""
_PERIOD_MEMBERS: Scope = MappingProxyType(
    {
        "start": Symbol("start", ValueType.DATE, description="the period's first day"),
        "end": Symbol("end", ValueType.DATE, description="the period's last day"),
        "index": Symbol("index", ValueType.INTEGER, description="its position, from 1"),
        "type": Symbol("type", ValueType.TEXT, description="year, quarter, month or week"),
    }
)


def check_automation_expressions(checker: ExpressionChecker) -> None:
    """Every automation, once per entity its triggers watch (once without a record when
    none of them watches an entity). An entity that is unknown or failed to build gives the
    open scope: what does not depend on it (syntax, functions) is still checked."""
    for automation in checker.ctx.app.automations.values():
        watched = watched_entities(automation)
        if not watched and _record_unknown(checker, automation):
            check_automation(checker, automation, None, open_record=True)
            continue
        for entity_name in automation_variants(automation, watched):
            check_automation(checker, automation, entity_name)


def watched_entities(automation: AutomationSpec) -> list[str | None]:
    """The entities the automation's triggers watch, in order, without repeats."""
    return list(dict.fromkeys(t.entity for t in automation.triggers if t.entity))


def _record_unknown(checker: ExpressionChecker, automation: AutomationSpec) -> bool:
    """True when the schema left it open whether a record triggers the automation: no
    trigger at all, or one whose type is unknown or that lacks the entity it needs."""
    if not automation.triggers:
        return True
    for trigger in automation.triggers:
        declared = checker.ctx.registry.trigger_types.get(trigger.type)
        if declared is None or "entity" in declared.options_schema:
            return True
    return False


def check_on_enter(
    checker: ExpressionChecker, entity: EntitySpec, actions: Iterable[ActionSpec]
) -> None:
    """The actions a workflow state runs when entered: the record is the entity's."""
    _check_actions(checker, tuple(actions), _base_scope(checker, entity, old=True), entity)


def _base_scope(checker: ExpressionChecker, entity: EntitySpec | None, *, old: bool) -> Scope:
    """The triggering record's fields as bare names, `record.`, and `old.` on updates."""
    if entity is None:
        return MappingProxyType({})
    names: dict[str, Symbol] = {
        RECORD: checker.scopes.record(RECORD, entity.name, "the triggering record")
    }
    if old:
        names[OLD] = checker.scopes.record(OLD, entity.name, "the record before the change")
    return merge_scopes(checker.scopes.entity_scope(entity), names)


def check_automation(
    checker: ExpressionChecker,
    automation: AutomationSpec,
    entity_name: str | None,
    *,
    open_record: bool = False,
) -> None:
    """One automation's expressions with `entity_name`'s record as the triggering one."""
    entity = checker.ctx.app.entities.get(entity_name or "")
    triggers = [t for t in automation.triggers if t.entity == entity_name]
    old = any(t.watches_updates for t in triggers)
    if open_record or (entity_name is not None and entity is None):
        opened = {
            RECORD: checker.scopes.record(RECORD, None),
            OLD: checker.scopes.record(OLD, None),
        }
        scope = merge_scopes(OPEN_SCOPE, opened)
    else:
        scope = _base_scope(checker, entity, old=old)
    if entity_name is None:  # `event.` of a trigger without a record (membership)
        scope = merge_scopes(scope, event_scope(automation))
    name = entity.name if entity is not None else None
    types = _types(checker, entity)
    for trigger in triggers:
        for expr in trigger.expressions.values():
            checker.check(expr, scope, entity=name)
        for value in trigger.parameters.values():
            checker.value(value, scope, entity=name)
        for values in trigger.value_maps.values():
            checker.values(values, scope, types, entity=name)
    for condition in automation.conditions:
        checker.check(condition, scope, expect=ValueType.BOOLEAN, entity=name)
    _check_actions(checker, automation.actions, scope, entity)


def _types(checker: ExpressionChecker, entity: EntitySpec | None) -> Mapping[str, ValueType]:
    if entity is None:
        return {}
    return {n: checker.scopes.value_type(f) for n, f in entity.fields.items()}


def _check_actions(
    checker: ExpressionChecker,
    actions: tuple[ActionSpec, ...],
    scope: Scope,
    record: EntitySpec | None,
) -> None:
    """Actions in order; each `as:` alias is in scope for the actions after it."""
    for action in actions:
        _check_action(checker, action, scope, record)
        alias = action.alias
        if alias is None and checker.ctx.may_lack(action.loc, "as"):
            # the name this action binds was misspelt or rejected: later names are unknown
            scope = merge_scopes(OPEN_SCOPE, scope)
            continue
        if alias is None or action.type == "for_each":
            continue
        if action.type == "lookup":
            table = checker.ctx.app.tables.get(action.table or "")
            symbol = checker.scopes.table_result(alias, table)
        else:
            symbol = checker.scopes.record(alias, action.entity, f"the record `{action.type}` made")
        scope = merge_scopes(scope, {alias: symbol})


def _check_action(
    checker: ExpressionChecker, action: ActionSpec, scope: Scope, record: EntitySpec | None
) -> None:
    target = checker.ctx.app.entities.get(action.entity) if action.entity else record
    values_types = _types(checker, target)
    record_name = record.name if record is not None else None
    checker.values(action.values, scope, values_types, entity=record_name)
    table = checker.ctx.app.tables.get(action.table or "")
    inputs_types = (
        {c.name: checker.scopes.value_type_of(c.type) for c in table.inputs} if table else {}
    )
    checker.values(action.inputs, scope, inputs_types, entity=record_name)
    for key, values in action.value_maps.items():
        if key not in ("values", "inputs"):
            expected = _SOURCE_TYPES.get(key, {}) if action.type == "for_each" else {}
            checker.values(values, scope, expected, entity=record_name)
    for value in action.parameters.values():
        checker.value(value, scope, entity=record_name)
    over_target = scope
    if action.entity is None and checker.ctx.may_lack(action.loc, "entity"):
        # the action's entity was misspelt or rejected: its fields cannot be known
        over_target = merge_scopes(OPEN_SCOPE, scope)
    elif action.entity is not None:
        # bare names are the target's fields (any name, when the target is unknown or
        # unbuilt); the triggering record stays as `record.`
        own = checker.scopes.entity_scope(record) if record is not None else {}
        kept = {name: symbol for name, symbol in scope.items() if name not in own}
        over_target = merge_scopes(checker.scopes.scope_of(action.entity), kept)
    for key, expr in action.expressions.items():
        if key == "where" and action.sources and "entity" not in action.sources:
            continue  # R132: there are no records to select
        sql = key in _SQL_KEYS
        expect = ValueType.BOOLEAN if sql else None
        entity_name = target.name if target is not None else None
        checker.check(expr, over_target, expect=expect, sql=sql, entity=entity_name)
    for approver in action.recipients:
        checker.check(approver.expr, scope, entity=record_name)
    if action.nested:
        inner = scope
        if action.alias is None and checker.ctx.may_lack(action.loc, "as"):
            inner = merge_scopes(OPEN_SCOPE, scope)
        elif action.alias is not None:
            inner = merge_scopes(scope, {action.alias: _item_symbol(checker, action)})
        for group in action.nested.values():
            _check_actions(checker, group, inner, record)


def _item_symbol(checker: ExpressionChecker, action: ActionSpec) -> Symbol:
    """What a `for_each`'s `as:` names inside its actions: a record of `entity`, a period,
    a user (`members`), a team (`teams`); anything when its source is missing or doubled."""
    alias = action.alias or ""
    sources = action.sources
    source = sources[0] if len(sources) == 1 else None
    if source == "periods":
        words = MemberWords("member", "of a period")
        return Symbol(alias, ValueType.ANY, lambda: _PERIOD_MEMBERS, "the current period", words)
    if source == "members":
        return user_symbol(alias, description="the current member")
    if source == "teams":
        return team_symbol(alias, description="the current team")
    if source == "entity" or action.type != "for_each":
        return checker.scopes.record(alias, action.entity, "the current record")
    return checker.scopes.record(alias, None, "the current item")  # R130/R131 say why
