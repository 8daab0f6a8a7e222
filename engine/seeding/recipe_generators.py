"""Value generators of a recipe: the generator kinds, their parsed form and the parsing
and shape checks of one generator node (D101, D102, D104–D106; docs/seeding.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.diagnostics import did_you_mean
from engine.expr.calendar import PERIODS
from engine.seeding.recipe_reader import RecipeReader
from engine.spec.sourcemap import join_pointer

__all__ = ["GENERATORS", "PLACEHOLDER", "GeneratorSpec", "parse_generator"]

# Each generator is a mapping with one of these keys (the explicit discriminator) and the
# extra keys it allows beside it.
GENERATORS: Mapping[str, frozenset[str]] = {
    "value": frozenset(),
    "pick": frozenset(),
    "integer": frozenset(),
    "money": frozenset({"skew", "round", "of"}),
    "date": frozenset({"from", "cap"}),
    "moment": frozenset({"hours"}),
    "template": frozenset({"unique"}),
    "ref": frozenset({"where"}),
    "owner": frozenset({"team"}),
    "team_of": frozenset(),
    "copy": frozenset(),
    "switch": frozenset({"cases", "default"}),
    "age": frozenset(),
    "chance": frozenset({"then"}),
    "compare": frozenset({"at_least"}),
    "period": frozenset({"edge"}),
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDER_FORM = re.compile(
    r"^(#\d{1,2}|\.[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?|[a-z_][a-z0-9_]*)$"
)


@dataclass(frozen=True)
class GeneratorSpec:
    """One value generator: its kind, its arguments as written, and where it is."""

    kind: str
    args: Mapping[str, Any]
    pointer: str
    children: Mapping[str, GeneratorSpec] = field(default_factory=dict)


def parse_generator(
    parser: RecipeReader, node: Any, pointer: str, pools: Mapping[str, Any]
) -> GeneratorSpec | None:
    """A generator node: a mapping with one generator key; a scalar is a `value`."""
    if not isinstance(node, dict):
        return GeneratorSpec("value", {"value": node}, pointer)
    kinds = [key for key in node if key in GENERATORS]
    if len(kinds) != 1:
        words = ", ".join(GENERATORS)
        found = f"found {', '.join(kinds)}" if kinds else "found none"
        guesses = [did_you_mean(key, GENERATORS) for key in node] if not kinds else []
        hint = next((guess for guess in guesses if guess), None)
        parser.error("D104", pointer, f"a generator needs exactly one of: {words} ({found})", hint)
        return None
    kind = kinds[0]
    allowed = (kind, *sorted(GENERATORS[kind]))
    parser.mapping(node, pointer, allowed, f"the '{kind}' generator")
    children: dict[str, GeneratorSpec] = {}
    for key, child in _nested(parser, kind, node, pointer).items():
        made = parse_generator(parser, child[0], child[1], pools)
        if made is not None:
            children[key] = made
    _check_arguments(parser, kind, node, pointer, pools)
    return GeneratorSpec(kind, dict(node), pointer, children)


def _nested(
    parser: RecipeReader, kind: str, node: dict[str, Any], pointer: str
) -> dict[str, tuple[Any, str]]:
    """The generators inside a generator (`switch` cases, `age` bands, `chance`)."""
    nested: dict[str, tuple[Any, str]] = {}
    if kind == "switch":
        cases = node.get("cases", {})
        cases_pointer = join_pointer(pointer, "cases")
        if parser.typed(cases, dict, cases_pointer, "'cases'"):
            for case, child in cases.items():
                nested[f"case:{case}"] = (child, join_pointer(cases_pointer, case))
        if "default" in node:
            nested["default"] = (node["default"], join_pointer(pointer, "default"))
    elif kind == "age":
        bands_pointer = join_pointer(pointer, "age")
        bands = node["age"]
        if parser.typed(bands, list, bands_pointer, "'age'"):
            for index, band in enumerate(bands):
                band_pointer = join_pointer(bands_pointer, index)
                band = parser.mapping(band, band_pointer, ("over", "then"), "an age band")
                if parser.require(band, "then", band_pointer, "an age band"):
                    nested[f"band:{index}"] = (band["then"], join_pointer(band_pointer, "then"))
                if "over" in band:
                    parser.typed(band["over"], int, join_pointer(band_pointer, "over"), "'over'")
    elif kind == "chance" and parser.require(node, "then", pointer, "'chance'"):
        nested["then"] = (node["then"], join_pointer(pointer, "then"))
    return nested


def _check_arguments(
    parser: RecipeReader, kind: str, node: dict[str, Any], pointer: str, pools: Mapping[str, Any]
) -> None:
    """The shape of each generator's own argument."""
    value = node[kind]
    here = join_pointer(pointer, kind)
    if kind == "pick" and isinstance(value, str):
        if value not in pools:
            hint = did_you_mean(value, pools)
            parser.error(
                "D106",
                here,
                f"'pick' names the pool '{value}', which is not declared under 'pools'",
                hint,
            )
    elif kind == "pick":
        weights = value.values() if isinstance(value, dict) else [1] if value else []
        good = isinstance(value, (list, dict)) and bool(value)
        if not good or not all(isinstance(w, (int, float)) and w >= 0 for w in weights):
            parser.error(
                "D101",
                here,
                "'pick' must be a list of values, a map value → weight or a pool's name",
            )
    elif kind in ("integer", "money"):
        parser.bounds(value, here, f"'{kind}'")
        if kind == "money" and "of" in node:
            parser.typed(node["of"], str, join_pointer(pointer, "of"), "'of'")
    elif kind in ("date", "moment"):
        parser.bounds(value, here, f"'{kind}' (days from the anchor)")
    elif kind == "period":
        if value not in PERIODS:
            parser.error(
                "D101", here, f"'period' must be one of {', '.join(PERIODS)}, not {value!r}"
            )
        edge = node.get("edge", "start")
        if edge not in ("start", "end"):
            parser.error(
                "D101", join_pointer(pointer, "edge"), f"'edge' must be start or end, not {edge!r}"
            )
    elif kind == "template":
        if parser.typed(value, str, here, "'template'"):
            _check_template(parser, value, here, pools)
    elif kind in ("copy", "team_of", "switch", "compare"):
        parser.typed(value, str, here, f"'{kind}'")
        if kind == "compare" and parser.require(node, "at_least", pointer, "'compare'"):
            limit = node["at_least"]
            if not isinstance(limit, (int, float)) or isinstance(limit, bool):
                parser.error(
                    "D101", join_pointer(pointer, "at_least"), "'at_least' must be a number"
                )
    elif kind == "ref":
        parser.typed(value, str, here, "'ref' (an entity)")
    elif kind == "owner":
        ok = (
            isinstance(value, dict)
            and value
            and all(isinstance(w, (int, float)) for w in value.values())
        )
        if not (isinstance(value, list) and value) and not ok:
            parser.error("D101", here, "'owner' must be a list of roles or a map role → weight")
    elif kind == "chance" and (not isinstance(value, (int, float)) or not 0 <= value <= 1):
        parser.error("D105", here, "'chance' must be a probability between 0 and 1")


def _check_template(
    parser: RecipeReader, text: str, pointer: str, pools: Mapping[str, Any]
) -> None:
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1)
        at = match.start()
        if not _PLACEHOLDER_FORM.match(name):
            parser.error(
                "D106",
                pointer,
                f"'{{{name}}}' is not a placeholder: use {{pool}}, "
                "{.field}, {.link.field} or {#N} (N random digits)",
                offset=at,
            )
        elif name[0] not in ".#" and name not in pools:
            hint = did_you_mean(name, pools)
            parser.error(
                "D106",
                pointer,
                f"the template uses the pool '{name}', which is not declared under 'pools'",
                hint,
                offset=at,
            )
