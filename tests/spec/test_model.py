"""The frozen spec values: durations, labels, literal-or-expression values, deep freezing and
the small behaviours the model carries (editable fields, transition sources, scope width)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from types import MappingProxyType

import pytest

from engine.spec.document import Loc
from engine.spec.durations import format_duration, is_duration, parse_duration
from engine.spec.model import (
    ApprovalSpec,
    ExprSpec,
    ScopeKind,
    ScopeSpec,
    StateSpec,
    TransitionSpec,
    TriggerSpec,
    ValueSpec,
    label_text,
)
from engine.spec.model_values import child_loc, freeze

LOC = Loc("entities/order.yaml", "/fields/amount")


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("30m", timedelta(minutes=30)),
        ("48h", timedelta(hours=48)),
        ("3d", timedelta(days=3)),
        ("2w", timedelta(weeks=2)),
        ("-1d", timedelta(days=-1)),
        ("+5m", timedelta(minutes=5)),
    ],
)
def test_durations_parse(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta
    assert is_duration(text)


@pytest.mark.parametrize("text", ["", "3", "d", "1.5h", "3 days", "1y", "--1d"])
def test_malformed_durations_are_refused(text: str) -> None:
    assert not is_duration(text)
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(weeks=2), "2w"),
        (timedelta(days=3), "3d"),
        (timedelta(hours=49), "49h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(days=-1), "-1d"),
    ],
)
def test_durations_format_to_the_shortest_unit(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
    assert parse_duration(text) == delta


def test_labels_resolve_by_locale_then_untranslated() -> None:
    assert label_text({"en": "Order", "zh": "订单"}, "zh") == "订单"
    assert label_text({"*": "Order"}, "zh") == "Order"
    assert label_text({"en": "Order"}, "zh") == "Order"
    assert label_text({}, "zh", "order") == "order"


def test_values_starting_with_equals_are_expressions() -> None:
    value = ValueSpec.parse("=today()", LOC)
    assert value.is_expression
    assert value.expr == ExprSpec("today()", LOC, offset=1)
    assert value.literal is None


def test_escaped_equals_is_a_literal_text() -> None:
    value = ValueSpec.parse("\\=5", LOC)
    assert not value.is_expression
    assert value.literal == "=5"


def test_literals_are_frozen() -> None:
    value = ValueSpec.parse({"a": [1, 2]}, LOC)
    assert value.literal == MappingProxyType({"a": (1, 2)})
    with pytest.raises(TypeError):
        value.literal["b"] = 3  # type: ignore[index]


def test_freeze_is_deep() -> None:
    frozen = freeze({"a": [{"b": [1]}], "c": "x"})
    assert frozen == {"a": ({"b": (1,)},), "c": "x"}
    assert isinstance(frozen["a"][0], MappingProxyType)


def test_child_locations_escape_pointer_tokens() -> None:
    assert child_loc(LOC, "a/b", "c~d", 0) == Loc(
        "entities/order.yaml", "/fields/amount/a~1b/c~0d/0"
    )


def _state(editable: tuple[str, ...] | None, approval: bool) -> StateSpec:
    step = (
        ApprovalSpec((), "any", None, None, False, False, (), None, None, LOC) if approval else None
    )
    return StateSpec("s", {}, None, False, False, editable, (), step, (), (), LOC)


def test_editable_fields_follow_the_default_rule() -> None:
    fields = ("a", "b")
    assert _state(None, approval=False).editable_fields(fields) == ("a", "b")
    assert _state(None, approval=True).editable_fields(fields) == ()
    assert _state(("*",), approval=True).editable_fields(fields) == ("a", "b")
    assert _state(("b",), approval=False).editable_fields(fields) == ("b",)


def test_transition_sources() -> None:
    star = TransitionSpec(
        "recall", 0, ("*",), ("draft",), {}, (), None, "optional", (), {}, None, "default", LOC
    )
    listed = dataclasses.replace(star, from_states=("review", "director"))
    assert star.from_any and star.leaves("anything")
    assert listed.leaves("review") and not listed.leaves("draft")


def test_scopes_rank_from_narrowest_to_widest() -> None:
    kinds = [
        ScopeKind.NONE,
        ScopeKind.OWN,
        ScopeKind.EXPRESSION,
        ScopeKind.TEAM,
        ScopeKind.SUBTEAMS,
        ScopeKind.ALL,
    ]
    ranks = [ScopeSpec(kind).rank for kind in kinds]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_spec_nodes_are_frozen() -> None:
    scope = ScopeSpec(ScopeKind.ALL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scope.kind = ScopeKind.NONE  # type: ignore[misc]


def test_date_trigger_offsets_are_durations() -> None:
    trigger = TriggerSpec("date", MappingProxyType({"offset": "-3d"}), {}, {}, {}, LOC)
    assert trigger.offset == timedelta(days=-3)
    assert dataclasses.replace(trigger, options=MappingProxyType({})).offset is None
