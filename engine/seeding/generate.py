"""Turning a recipe into a plan: every record to create, its values, when it was made and
the workflow state it should end in — without touching a database.

One `random.Random(seed)` drives every choice in a fixed order, and every date is an
offset from the anchor, so the same recipe and seed give the same plan on every run, and
the same values (shifted in time) whatever the anchor. Links are `RecordRef`s (an earlier
planned record) and teams `TeamRef`s (a team of the recipe): the database ids are only
known when the plan is applied.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from engine.expr.calendar import WEEK_STARTS, end_of_period, start_of_period
from engine.seeding.recipe import (
    PLACEHOLDER,
    EntityRecipe,
    GeneratorSpec,
    SeedSpec,
    WorkflowRecipe,
)
from engine.spec.model import AppSpec

__all__ = [
    "AT",
    "Plan",
    "PlannedRecord",
    "PlannedStep",
    "RecordRef",
    "TeamRef",
    "generate_plan",
]

AT = "@at"
"""The path of a record's own creation moment in `copy`, `date: {from}` and templates."""
UNIQUE_TRIES = 200
STATE_HOUR = time(18, 0)


@dataclass(frozen=True)
class RecordRef:
    """A link to the `index`-th planned record of `entity`."""

    entity: str
    index: int


@dataclass(frozen=True)
class TeamRef:
    """A team of the recipe, by name."""

    name: str


@dataclass(frozen=True)
class PlannedStep:
    """A workflow action to take on a created record, at `at`. Who takes it is decided when
    it is applied (the owner, or one of the step's pending approvers chosen by `pick`, a
    number in [0, 1) drawn here so the choice is deterministic)."""

    action: str
    at: datetime
    comment: str | None
    to: str | None
    pick: float
    pointer: str


@dataclass
class PlannedRecord:
    """One record to create: values (with refs), its creation moment and its final state
    (or the workflow actions to take after creating it)."""

    entity: str
    index: int
    values: dict[str, Any]
    at: datetime | None
    state: str | None = None
    state_at: datetime | None = None
    pointer: str = ""
    steps: tuple[PlannedStep, ...] = ()
    automations: bool = False


@dataclass(frozen=True)
class Plan:
    """Every planned record, in creation order, and the anchor the dates hang from."""

    anchor: date
    records: tuple[PlannedRecord, ...]

    def count(self, entity: str) -> int:
        """How many records of `entity` the plan creates."""
        return sum(1 for r in self.records if r.entity == entity)


@dataclass
class _Generator:
    spec: SeedSpec
    app: AppSpec
    anchor: date
    rng: random.Random
    zone: ZoneInfo
    made: dict[str, list[PlannedRecord]] = field(default_factory=dict)
    indexes: dict[tuple[str, str], dict[Any, list[int]]] = field(default_factory=dict)
    taken: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add(self, record: PlannedRecord) -> None:
        self.made.setdefault(record.entity, []).append(record)
        for (entity, name), index in self.indexes.items():
            if entity == record.entity:
                value = self.field_value(record, name)
                index.setdefault(value, []).append(record.index)

    def index(self, entity: str, name: str) -> dict[Any, list[int]]:
        key = (entity, name)
        if key not in self.indexes:
            built: dict[Any, list[int]] = {}
            for record in self.made.get(entity, []):
                built.setdefault(self.field_value(record, name), []).append(record.index)
            self.indexes[key] = built
        return self.indexes[key]

    def field_value(self, record: PlannedRecord, name: str) -> Any:
        """A planned record's field; its workflow state field is the state it ends in."""
        workflow = self.app.entities[record.entity].workflow
        if workflow is not None and name == workflow.field and name not in record.values:
            return record.state or workflow.initial_state
        return record.values.get(name)


def generate_plan(spec: SeedSpec, app: AppSpec, *, anchor: date) -> Plan:
    """The records the recipe makes for `app`, with dates relative to `anchor`."""
    zone = ZoneInfo(app.timezone or "UTC")
    gen = _Generator(spec, app, anchor, random.Random(spec.seed), zone)
    ordered: list[PlannedRecord] = []
    for recipe in spec.recipes:
        for parent in _parents(gen, recipe):
            record = _make(gen, recipe, len(gen.made.get(recipe.entity, [])), parent)
            gen.add(record)
            ordered.append(record)
    return Plan(anchor, tuple(ordered))


def _parents(gen: _Generator, recipe: EntityRecipe) -> list[RecordRef | None]:
    """One entry per record to make: its parent under `each`, else None."""
    each = recipe.each
    if each is None:
        return [None] * recipe.count
    parents: list[RecordRef | None] = []
    span = each.high - each.low + 1
    for parent in gen.made.get(each.entity, []):
        if any(gen.field_value(parent, n) not in v for n, v in each.where.items()):
            continue
        # u ** skew (skew > 1) makes the low counts likelier, as with money.
        count = each.low + min(span - 1, int(span * gen.rng.random() ** each.skew))
        parents.extend([RecordRef(each.entity, parent.index)] * count)
    return parents


def _make(
    gen: _Generator, recipe: EntityRecipe, index: int, parent: RecordRef | None
) -> PlannedRecord:
    values: dict[str, Any] = {}
    record = PlannedRecord(
        recipe.entity, index, values, None, pointer=recipe.pointer, automations=recipe.automations
    )
    if parent is not None and recipe.each is not None:
        values[recipe.each.field] = parent
    if recipe.at is not None:
        record.at = _moment_of(gen, _value(gen, recipe.at, record))
    for name, generator in recipe.fields.items():
        values[name] = _value(gen, generator, record, entity_field=(recipe.entity, name))
    workflow = gen.app.entities[recipe.entity].workflow
    if workflow is not None and workflow.field in values:
        state = values.pop(workflow.field)
        if state is not None and state != workflow.initial_state:
            record.state = str(state)
            moment = values.get(recipe.state_at) if recipe.state_at else None
            record.state_at = _moment_of(gen, moment) if moment is not None else record.at
    if recipe.workflow is not None:
        record.steps = _steps(gen, recipe.workflow, record)
    return record


def _steps(
    gen: _Generator, workflow: WorkflowRecipe, record: PlannedRecord
) -> tuple[PlannedStep, ...]:
    """The actions of one path, chosen by weight among the paths the record's age allows,
    each `gap` hours after the one before (the first after the creation)."""
    age = (gen.anchor - record.at.astimezone(gen.zone).date()).days if record.at else 0
    paths = [p for p in workflow.paths if p.within is None or age <= p.within]
    if not paths or record.at is None:
        return ()
    path = gen.rng.choices(paths, weights=[p.weight for p in paths])[0]
    moment = record.at
    low, high = workflow.gap
    steps = []
    for step in path.steps:
        moment = moment + timedelta(minutes=gen.rng.randint(low * 60, high * 60))
        comment = None
        if step.comment is not None:
            drawn = _value(gen, step.comment, record)
            comment = None if drawn is None else str(drawn)
        steps.append(
            PlannedStep(step.action, moment, comment, step.to, gen.rng.random(), step.pointer)
        )
    return tuple(steps)


def _moment_of(gen: _Generator, value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, STATE_HOUR, gen.zone)
    return None


def _value(
    gen: _Generator,
    spec: GeneratorSpec,
    record: PlannedRecord,
    *,
    entity_field: tuple[str, str] | None = None,
) -> Any:
    """One value drawn from a generator, for the record being made."""
    args, rng = spec.args, gen.rng
    kind = spec.kind
    arg = args[kind]
    if kind == "value":
        return arg
    if kind == "pick":
        if isinstance(arg, str):
            return rng.choice(gen.spec.pools[arg])
        if isinstance(arg, dict):
            return rng.choices(list(arg), weights=list(arg.values()))[0]
        return rng.choice(arg)
    if kind == "integer":
        return rng.randint(arg[0], arg[1])
    if kind == "money":
        if args.get("of") is not None:
            return _money_of(gen, record, args)
        return _money(rng, arg, args.get("skew", 1), args.get("round", 1))
    if kind == "compare":
        found = _path(gen, record, arg)
        return None if found is None else Decimal(str(found)) >= Decimal(str(args["at_least"]))
    if kind == "date":
        return _date(gen, record, arg, args.get("from"), bool(args.get("cap", False)))
    if kind == "moment":
        return _moment(gen, arg, args.get("hours", [9, 18]))
    if kind == "period":
        return _period(gen, str(arg), str(args.get("edge", "start")))
    if kind == "template":
        return _template(gen, record, arg, bool(args.get("unique")), entity_field)
    if kind == "ref":
        return _ref(gen, record, arg, args.get("where") or {})
    if kind == "owner":
        return _owner(gen, arg, args.get("team"))
    if kind == "team_of":
        return _team_of(gen, _path(gen, record, arg))
    if kind == "copy":
        return _path(gen, record, arg)
    return _choose(gen, spec, record, entity_field)


def _period(gen: _Generator, period: str, edge: str) -> date:
    """The first (or last) day of the anchor's year, quarter, month or week."""
    first_weekday = WEEK_STARTS.get(gen.app.week_start, 0)
    if edge == "end":
        return end_of_period(gen.anchor, period, first_weekday)
    return start_of_period(gen.anchor, period, first_weekday)


def _choose(
    gen: _Generator,
    spec: GeneratorSpec,
    record: PlannedRecord,
    entity_field: tuple[str, str] | None,
) -> Any:
    """The generators that choose another generator: switch, age, chance."""
    chosen: GeneratorSpec | None = None
    if spec.kind == "switch":
        on = _path(gen, record, spec.args["switch"])
        chosen = spec.children.get(f"case:{on}", spec.children.get("default"))
    elif spec.kind == "age":
        age = (gen.anchor - record.at.date()).days if record.at is not None else 0
        for index, band in enumerate(spec.args["age"]):
            if "over" not in band or age > band["over"]:
                chosen = spec.children.get(f"band:{index}")
                break
    elif spec.kind == "chance" and gen.rng.random() < spec.args["chance"]:
        chosen = spec.children.get("then")
    return _value(gen, chosen, record, entity_field=entity_field) if chosen else None


def _money(rng: random.Random, bounds: list[int], skew: float, step: int) -> Decimal:
    # u ** skew piles values near the low end: many small deals, a few large ones.
    low, high = bounds
    amount = low + (high - low) * rng.random() ** skew
    return Decimal(max(low, round(amount / step) * step))


def _money_of(gen: _Generator, record: PlannedRecord, args: Mapping[str, Any]) -> Any:
    """`money: [low, high], of: PATH`: low…high percent of the amount at PATH."""
    base = _path(gen, record, str(args["of"]))
    if base is None:
        return None
    low, high = args["money"]
    percent = _money(gen.rng, [low, high], args.get("skew", 1), 1) / 100
    step = args.get("round", 1)
    return Decimal(max(step, round(Decimal(str(base)) * percent / step) * step))


def _date(
    gen: _Generator, record: PlannedRecord, days: list[int], base: str | None, cap: bool
) -> date | None:
    start = gen.anchor
    if base is not None:
        found = _path(gen, record, base)
        if found is None:
            return None
        start = found.astimezone(gen.zone).date() if isinstance(found, datetime) else found
    day = start + timedelta(days=gen.rng.randint(days[0], days[1]))
    return min(day, gen.anchor) if cap else day


def _moment(gen: _Generator, days: list[int], hours: list[int]) -> datetime:
    day = gen.anchor + timedelta(days=gen.rng.randint(days[0], days[1]))
    hour = gen.rng.randint(hours[0], max(hours[0], hours[1] - 1))
    return datetime.combine(day, time(hour, gen.rng.randint(0, 59)), gen.zone)


def _template(
    gen: _Generator,
    record: PlannedRecord,
    text: str,
    unique: bool,
    entity_field: tuple[str, str] | None,
) -> str:
    taken = gen.taken.setdefault(entity_field or ("", ""), set()) if unique else None
    for _ in range(UNIQUE_TRIES):
        made = PLACEHOLDER.sub(lambda m: _placeholder(gen, record, m.group(1)), text)
        if taken is None or made not in taken:
            break
    if taken is not None:
        base, number = made, 2
        while made in taken:  # the pools are too small: number the repeats
            made, number = f"{base}{number}", number + 1
        taken.add(made)
    return made


def _placeholder(gen: _Generator, record: PlannedRecord, name: str) -> str:
    if name.startswith("#"):
        return "".join(str(gen.rng.randint(0, 9)) for _ in range(int(name[1:])))
    if name.startswith("."):
        found = _path(gen, record, name[1:])
        return "" if found is None else str(found)
    return gen.rng.choice(gen.spec.pools[name])


def _path(gen: _Generator, record: PlannedRecord, path: str) -> Any:
    """A value of this record (`field`, `@at`) or of a record it links to (`link.field`)."""
    if path == AT:
        return record.at
    head, _, rest = path.partition(".")
    value = gen.field_value(record, head)
    if not rest:
        return value
    if isinstance(value, RecordRef):
        linked = gen.made[value.entity][value.index]
        return linked.at if rest == AT else gen.field_value(linked, rest)
    return None


def _ref(
    gen: _Generator, record: PlannedRecord, entity: str, where: Mapping[str, str]
) -> RecordRef | None:
    candidates: list[int] | range | None = None
    for target_field, own_path in where.items():
        matching = gen.index(entity, target_field).get(_path(gen, record, own_path), [])
        if candidates is None:
            candidates = matching
        else:
            keep = set(matching)
            candidates = [i for i in candidates if i in keep]
    if candidates is None:
        candidates = range(len(gen.made.get(entity, [])))
    if not candidates:
        return None
    return RecordRef(entity, candidates[gen.rng.randrange(len(candidates))])


def _owner(gen: _Generator, roles: Any, team: str | None) -> str | None:
    weights = roles if isinstance(roles, dict) else dict.fromkeys(roles, 1)
    users = gen.spec.users
    pools = {
        role: [u.username for u in users if role in u.roles and (team is None or u.team == team)]
        for role in weights
    }
    usable = [role for role in weights if pools[role]]
    if not usable:
        return None
    role = gen.rng.choices(usable, weights=[weights[r] for r in usable])[0]
    return gen.rng.choice(pools[role])


def _team_of(gen: _Generator, username: Any) -> TeamRef | None:
    for user in gen.spec.users:
        if user.username == username and user.team is not None:
            return TeamRef(user.team)
    return None
