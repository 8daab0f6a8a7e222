"""What writes of source records do to a roll-up: which of the source's values, before and
after each write, count in it — none when a write changed no field the roll-up reads, or
when its `where` leaves the source out both before and after — and, for a `sum` or `count`
whose sources Python can weigh from their own values, the difference each makes to the
holders it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.expr import EvalContext, MappingEnv
from engine.runtime.inputs import same_value
from engine.runtime.rollup_compile import CompiledRollup, source_counts

__all__ = ["Change", "Touched", "touched_by", "touches", "written_ids"]

Change = tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]
"""A write: (old values or None when created, new values or None when deleted)."""


@dataclass(frozen=True)
class Touched:
    """A roll-up a write can move: one set of source values for each distinct set of the
    fields that find its holders (before and after the write) and, for a `sum` or `count`
    moved by difference, what each set adds to the holders it finds (None: aggregate)."""

    rollup: CompiledRollup
    versions: tuple[Mapping[str, Any], ...]
    deltas: tuple[Any, ...] | None = None


def touched_by(
    rollup: CompiledRollup, changes: Sequence[Change], context: EvalContext
) -> Touched | None:
    """What the writes do to the roll-up: the source values, before and after each write,
    that count in it (none when a write changed no field it reads, or when `where` leaves
    the source out both before and after), one of each distinct set of the fields that
    find its holders — a deal whose amount changed has one: the same targets. For a `sum`
    or `count` whose sources Python can weigh, the difference each set makes (sets that
    make none are dropped); the roll-up is aggregated again when a difference is not
    exact to the places its column keeps."""
    found: dict[Any, list[Any]] = {}
    link, adds = rollup.spec.link, rollup.adds
    exact = adds is not None
    unit = Decimal(1).scaleb(-rollup.places)
    for old, new in changes:
        if not touches(rollup, old, new):
            continue
        for values, sign in ((old, -1), (new, 1)):
            if values is None or (link is not None and not values.get(link)):
                continue
            if not source_counts(rollup, values, context):
                continue
            key: Any = tuple(values.get(name) for name in rollup.finds_by)
            try:
                hash(key)
            except TypeError:  # a list value: kept as it is
                key = object()
            entry = found.setdefault(key, [values, 0])
            if exact and adds is not None:
                added = adds(MappingEnv(values, context))
                exact = _exact(added, unit)
                if exact:  # whole numbers as int: an integer column binds no Decimal
                    entry[1] += sign * (added if rollup.places else int(added))
    if not found:
        return None
    if not exact:
        return Touched(rollup, tuple(values for values, _ in found.values()))
    moving = [(values, delta) for values, delta in found.values() if delta != 0]
    if not moving:
        return None
    return Touched(rollup, tuple(v for v, _ in moving), tuple(d for _, d in moving))


def written_ids(changes: Sequence[Change]) -> frozenset[int]:
    """The ids of the records these changes wrote."""
    return frozenset(
        int(values["id"]) for pair in changes for values in pair if values and "id" in values
    )


def touches(
    rollup: CompiledRollup, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> bool:
    """True when the change can move the roll-up: a record came or went, or a field the
    roll-up reads changed."""
    if old is None or new is None:
        return True
    return any(not same_value(old.get(name), new.get(name)) for name in rollup.reads)


def _exact(added: Any, unit: Decimal) -> bool:
    """True when a source's contribution is a number its holder's column keeps exactly."""
    if isinstance(added, bool) or not isinstance(added, int | Decimal):
        return False
    try:
        return Decimal(added).quantize(unit) == added
    except InvalidOperation:  # too many digits to keep
        return False
