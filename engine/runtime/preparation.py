"""Preparing a record's new values inside the write transaction: read the input, refuse
changes the actor may not make, apply defaults (create) and subform row defaults, compute
formulas, drop hidden fields, validate, check references and uniqueness. Every problem
found is reported at once (`ValidationFailed`, in the actor's language); nothing is
written here.

What counts as a change is decided on values, not keys: sending back a field unchanged
(a read-only field, the state, a formula) is not an attempt to change it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from engine.expr import Env
from engine.runtime.actor import Actor
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.compiled_entity import CompiledEntity, CompiledField, CompiledFields
from engine.runtime.formulas import apply_defaults, compute_formulas
from engine.runtime.inputs import read_values, same_value
from engine.runtime.link_filters import link_filter_condition
from engine.runtime.messages import Message
from engine.runtime.problems import Problems
from engine.runtime.record_env import RecordEnv, RelationLoader
from engine.runtime.references import LinkVisibility, ReadFilter, ReferenceChecker
from engine.runtime.uniqueness import check_unique
from engine.runtime.validation import drop_hidden, hidden_fields, validate_record
from engine.runtime.values import is_blank
from engine.spec.model import ANY_LOCALE

__all__ = ["Prepared", "WriteOptions", "prepare_values"]

_LIST_TYPES = frozenset({"subform", "multi_select", "attachment"})
_COMPUTED = frozenset({"formula", "rollup"})


@dataclass(frozen=True)
class WriteOptions:
    """How a write is made: `trusted` writes (rules, workflow `set`) skip field rights,
    `readonly` and link visibility; `allow_state` lets the workflow set the state field."""

    trusted: bool = False
    allow_state: bool = False
    comment: str | None = None
    # The workflow's writes: the history entry's kind and details (action, step, …).
    history_kind: str | None = None
    details: Mapping[str, Any] | None = None
    # Automations: the chain of runs this write is part of (depth and loop limits), a
    # collector that holds the write's events until its caller releases them (the workflow
    # runs rules after its whole action), and whether the write fires rules at all.
    cause: Any = None
    batch: list[Any] | None = None
    automations: bool = True
    # The roll-up fields this write may set (the roll-up maintainer's own writes).
    rollups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Prepared:
    """The record's complete new values and the fields whose value changes."""

    values: dict[str, Any]
    changed: frozenset[str]


@dataclass
class _Job:
    runtime: AppRuntime
    connection: Connection
    actor: Actor
    compiled: CompiledEntity
    options: WriteOptions
    record_id: int | None
    current: Mapping[str, Any] | None
    now: datetime | None = None

    def __post_init__(self) -> None:
        self.problems = Problems()
        self.context = self.runtime.contexts.for_actor(self.actor)
        if self.now is not None:
            self.context = dataclasses.replace(self.context, now=self.now)
        self.loader = RelationLoader(self.connection, self.runtime.store)

    def env(self, values: Mapping[str, Any]) -> RecordEnv:
        spec = self.compiled.spec
        return RecordEnv(values, spec.fields, self.context, self.loader, entity=spec.name)

    def row_env(self, parent: Env) -> Any:
        def make(field: CompiledField, row: Mapping[str, Any]) -> Env:
            assert isinstance(parent, RecordEnv)
            return RecordEnv(row, field.spec.subfields, self.context, self.loader, parent=parent)

        return make


def prepare_values(
    runtime: AppRuntime,
    connection: Connection,
    actor: Actor,
    entity: str,
    raw: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None,
    record_id: int | None,
    options: WriteOptions,
    now: datetime | None = None,
) -> Prepared:
    """The new values of a record (`current` None: a new one); ValidationFailed with every
    problem when they cannot be written. `now` (default: the clock) is the moment the
    expressions see — a back-dated write (the seeder) is prepared as of its own moment."""
    compiled = runtime.entity(entity)
    job = _Job(runtime, connection, actor, compiled, options, record_id, current, now)
    fields = job.compiled.fields
    parsed = read_values(fields, raw, runtime.inputs, job.problems)
    values, baseline = _start(job, parsed)
    attempted = {k for k, v in parsed.items() if not _same_input(fields, k, baseline.get(k), v)}
    _refuse(job, attempted)
    env = job.env(values)
    _row_defaults(job, fields, values, parsed, env)
    _compute(job, fields, values, env)
    changed = frozenset(
        name
        for name in fields.fields
        if not same_value((current or {}).get(name), values.get(name))
    )
    validate_record(
        fields,
        values,
        job.env,
        job.problems,
        hidden=hidden_fields(fields, env),
        row_envs=job.row_env(env),
    )
    read_filter = None if options.trusted else _read_filter(job)
    checker = ReferenceChecker(
        connection, runtime.app, runtime.tables, runtime.store, actor, read_filter, record_id,
        entity, lambda field, this: link_filter_condition(runtime, actor, entity, field, this),
    )  # fmt: skip
    checker.check(fields, values, changed, job.problems)
    check_unique(connection, runtime.store, job.compiled, values, changed, record_id, job.problems)
    job.problems.raise_if_any(runtime.locale_of(actor.locale))
    return Prepared(values, changed)


def _read_filter(job: _Job) -> ReadFilter:
    return LinkVisibility(job.runtime.permissions, job.actor)


def _start(job: _Job, parsed: Mapping[str, Any]) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """The values with the input applied, and the baseline a sent value counts as a change
    against: the current values, or — for a new record — what it would hold without the
    input (defaults, computed over the input so that a default may read what was sent,
    and the workflow's initial state)."""
    if job.current is not None:
        # A deep copy: formulas and hidden fields change rows in place, and the current
        # values must stay as they were for the history's old → new.
        return {**copy.deepcopy(dict(job.current)), **parsed}, job.current
    fields = job.compiled.fields
    values: dict[str, Any] = {
        name: [] if f.spec.type in _LIST_TYPES else None for name, f in fields.fields.items()
    }
    values.update(parsed)
    env = job.env(values)
    apply_defaults(fields, values, env, parsed, job.problems)
    baseline = dict(values)
    for name in parsed:
        field = fields.fields[name]
        if field.default is not None:
            baseline[name] = field.default.value(env)
        else:
            baseline[name] = [] if field.spec.type in _LIST_TYPES else None
    workflow = job.compiled.spec.workflow
    if workflow is not None:
        baseline[workflow.field] = workflow.initial_state
        # Trusted callers with `allow_state` (importers, seed data) may start a record in
        # any state; everyone else's record starts in the initial one.
        if not job.options.allow_state or parsed.get(workflow.field) is None:
            values[workflow.field] = workflow.initial_state
    return values, baseline


def _same_input(fields: CompiledFields, name: str, old: Any, new: Any) -> bool:
    """True when a sent value is no change; sent subform rows lack their computed
    sub-fields, so rows match when every sent sub-field matches and the rest are blank."""
    rows = fields.fields[name].rows
    if rows is None or not isinstance(new, list) or not isinstance(old, list):
        return same_value(old, new)
    if len(old) != len(new):
        return False
    for before, sent in zip(old, new, strict=True):
        for key, value in before.items():
            computed = rows.fields[key].formula is not None if key in rows.fields else True
            if key in sent and not same_value(value, sent[key]):
                return False
            if key not in sent and not computed and not is_blank(value):
                return False
    return True


def _refuse(job: _Job, attempted: set[str]) -> None:
    """A problem for every attempted change the actor may not make."""
    spec = job.compiled.spec
    workflow = spec.workflow
    state_editable = _state_editable(job) if job.current is not None else None
    for name in sorted(attempted):
        field = job.compiled.fields.fields[name].spec
        refusal = None
        if field.type == "rollup" and name in job.options.rollups:
            continue
        if field.type in _COMPUTED:
            refusal = Message("computed")
        elif field.type == "sequence":
            refusal = Message("sequence")
        elif workflow is not None and name == workflow.field:
            if not job.options.allow_state:
                actions = ", ".join(workflow.transitions) or "—"
                label = field.label or {ANY_LOCALE: name}
                refusal = Message("state_field", {"field": label, "actions": actions})
        elif job.options.trusted:
            continue
        elif field.readonly:
            refusal = Message("readonly")
        elif job.runtime.permissions.field_access(job.actor, spec.name, name) != "edit":
            refusal = Message("not_editable")
        elif state_editable is not None and name not in state_editable[0]:
            refusal = Message("not_editable_in_state", {"state": state_editable[1]})
        if refusal is not None:
            job.problems.add(name, refusal)


def _state_editable(job: _Job) -> tuple[frozenset[str], Any] | None:
    """The fields the current workflow state lets this actor edit, and the state's label."""
    workflow = job.compiled.spec.workflow
    if workflow is None or job.current is None:
        return None
    state = workflow.states.get(str(job.current.get(workflow.field)))
    if state is None:
        return None
    label = state.label or {ANY_LOCALE: state.name}
    if job.runtime.permissions.is_admin(job.actor):
        return None
    roles = job.runtime.roles.expand(job.actor.roles)
    if state.editable_by and not set(state.editable_by) & roles:
        return frozenset(), label
    return frozenset(state.editable_fields(job.compiled.spec.fields)), label


def _row_defaults(
    job: _Job,
    fields: CompiledFields,
    values: dict[str, Any],
    parsed: Mapping[str, Any],
    env: RecordEnv,
) -> None:
    """Defaults of the sub-fields a sent row left out; every row gets every key."""
    make_row_env = job.row_env(env)
    for name, field in fields.fields.items():
        if field.rows is None or name not in parsed:
            continue
        for index, row in enumerate(values.get(name) or []):
            sent = set(row)
            for sub_name, sub in field.rows.fields.items():
                row.setdefault(sub_name, [] if sub.spec.type in _LIST_TYPES else None)
            prefix = f"{name}.{index}."
            apply_defaults(field.rows, row, make_row_env(field, row), sent, job.problems, prefix)


def _compute(job: _Job, fields: CompiledFields, values: dict[str, Any], env: RecordEnv) -> None:
    """Formulas, then hidden fields dropped (record and rows), then formulas again when
    dropping changed anything they read."""
    make_row_env = job.row_env(env)
    compute_formulas(fields, values, env, make_row_env, job.problems)
    dropped = False
    hidden = hidden_fields(fields, env)
    if hidden:
        drop_hidden(fields, values, hidden)
        dropped = True
    for name, field in fields.fields.items():
        if field.rows is None:
            continue
        for row in values.get(name) or []:
            row_hidden = hidden_fields(field.rows, make_row_env(field, row))
            if row_hidden:
                drop_hidden(field.rows, row, row_hidden)
                dropped = True
    if dropped:
        compute_formulas(fields, values, env, make_row_env, job.problems)
