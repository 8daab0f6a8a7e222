"""The demo-data recipe of an app folder (`seed/demo.yaml`): its model and its parser.

A recipe declares the people (teams, users with roles) and, per entity, how to generate
records: a count (or a count per record of an earlier entity) and one value generator per
field. The grammar is documented in docs/seeding.md. Parsing reads the text with the spec
loader's `parse_yaml`, so every problem carries file:line:col and a JSON pointer; shape
problems are D101–D106 (D1xx: demo data), checks against the app are in `recipe_checks`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.diagnostics import Diagnostic, sort_diagnostics
from engine.seeding.recipe_generators import (
    GENERATORS,
    PLACEHOLDER,
    GeneratorSpec,
    parse_generator,
)
from engine.seeding.recipe_reader import RecipeReader
from engine.seeding.recipe_workflow import WorkflowRecipe, parse_workflow
from engine.spec.sourcemap import SourceMap, join_pointer
from engine.spec.yaml_loader import parse_yaml

__all__ = [
    "GENERATORS",
    "PLACEHOLDER",
    "EachSpec",
    "EntityRecipe",
    "GeneratorSpec",
    "SeedSpec",
    "TeamSeed",
    "UserSeed",
    "WorkflowRecipe",
    "parse_recipe",
]

_TOP_KEYS = ("seed", "anchor", "password", "pools", "teams", "users", "records")
_TEAM_KEYS = ("name", "manager", "parent")
_USER_KEYS = ("username", "name", "email", "locale", "admin", "roles", "team")
_RECIPE_KEYS = ("count", "each", "at", "state_at", "fields", "workflow", "automations")
_EACH_KEYS = ("entity", "field", "count", "skew", "where")


@dataclass(frozen=True)
class TeamSeed:
    """A team to create: its name, its manager (a username) and its parent team's name."""

    name: str
    manager: str | None
    parent: str | None
    pointer: str


@dataclass(frozen=True)
class UserSeed:
    """A user to create, with their roles in the app and their main team."""

    username: str
    name: str | None
    email: str | None
    locale: str | None
    admin: bool
    roles: tuple[str, ...]
    team: str | None
    pointer: str


@dataclass(frozen=True)
class EachSpec:
    """`each:` — records made per record of an earlier entity, linked through `field`."""

    entity: str
    field: str
    low: int
    high: int
    skew: float = 1.0
    where: Mapping[str, tuple[Any, ...]] = dataclasses.field(default_factory=dict)
    """Only parents whose field holds one of the values (the workflow state field too)."""


@dataclass(frozen=True)
class EntityRecipe:
    """How to generate the records of one entity."""

    entity: str
    count: int
    each: EachSpec | None
    at: GeneratorSpec | None
    state_at: str | None
    fields: Mapping[str, GeneratorSpec]
    pointer: str
    workflow: WorkflowRecipe | None = None
    automations: bool = False
    """Run the app's automations for these records (their creation and workflow steps):
    the sales demo publishes this year's target and lets the rules build the plan."""


@dataclass(frozen=True)
class SeedSpec:
    """A parsed recipe: the random seed, the date anchor (None: today), people, records."""

    file: str
    seed: int
    anchor: date | None
    password: str
    pools: Mapping[str, tuple[str, ...]]
    teams: tuple[TeamSeed, ...]
    users: tuple[UserSeed, ...]
    recipes: tuple[EntityRecipe, ...]
    source: SourceMap


def parse_recipe(text: str, file: str) -> tuple[SeedSpec | None, list[Diagnostic]]:
    """Parse a recipe's text: (the spec, or None when it has errors; every diagnostic)."""
    data, source, diagnostics = parse_yaml(text, file)
    if data is None or diagnostics:
        return None, list(diagnostics)
    parser = RecipeReader(file, source)
    top = parser.mapping(data, "", _TOP_KEYS, "a demo-data recipe")
    seed = top.get("seed", 1)
    parser.typed(seed, int, "/seed", "'seed'")
    password = top.get("password", "demo")
    parser.typed(password, str, "/password", "'password'")
    anchor = _anchor(parser, top.get("anchor", "today"))
    pools = _pools(parser, top.get("pools", {}))
    teams = tuple(_teams(parser, top.get("teams", [])))
    users = tuple(_users(parser, top.get("users", [])))
    recipes = tuple(_recipes(parser, top.get("records", {}), pools))
    if parser.diagnostics:
        return None, sort_diagnostics(parser.diagnostics)
    spec = SeedSpec(file, seed, anchor, password, pools, teams, users, recipes, source)
    return spec, []


def _anchor(parser: RecipeReader, value: Any) -> date | None:
    if value == "today":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    parser.error("D105", "/anchor", f"'anchor' must be 'today' or a date YYYY-MM-DD, not {value!r}")
    return None


def _pools(parser: RecipeReader, data: Any) -> dict[str, tuple[str, ...]]:
    pools: dict[str, tuple[str, ...]] = {}
    if not parser.typed(data, dict, "/pools", "'pools'"):
        return pools
    for name, words in data.items():
        pointer = join_pointer("/pools", name)
        if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
            parser.error("D101", pointer, f"the pool '{name}' must be a non-empty list of strings")
            continue
        pools[name] = tuple(words)
    return pools


def _teams(parser: RecipeReader, data: Any) -> list[TeamSeed]:
    if not parser.typed(data, list, "/teams", "'teams'"):
        return []
    teams = []
    for index, item in enumerate(data):
        pointer = join_pointer("/teams", index)
        team = parser.mapping(item, pointer, _TEAM_KEYS, "a team")
        if not parser.require(team, "name", pointer, "a team"):
            continue
        for key in _TEAM_KEYS:
            if key in team:
                parser.typed(team[key], str, join_pointer(pointer, key), f"'{key}'")
        teams.append(TeamSeed(str(team["name"]), team.get("manager"), team.get("parent"), pointer))
    return teams


def _users(parser: RecipeReader, data: Any) -> list[UserSeed]:
    if not parser.typed(data, list, "/users", "'users'"):
        return []
    users = []
    for index, item in enumerate(data):
        pointer = join_pointer("/users", index)
        user = parser.mapping(item, pointer, _USER_KEYS, "a user")
        if not parser.require(user, "username", pointer, "a user"):
            continue
        for key in ("username", "name", "email", "locale", "team"):
            if key in user:
                parser.typed(user[key], str, join_pointer(pointer, key), f"'{key}'")
        admin = user.get("admin", False)
        parser.typed(admin, bool, join_pointer(pointer, "admin"), "'admin'")
        roles = user.get("roles", [])
        rp = join_pointer(pointer, "roles")
        if parser.typed(roles, list, rp, "'roles'"):
            for at, role in enumerate(roles):
                parser.typed(role, str, join_pointer(rp, at), "a role")
        users.append(
            UserSeed(
                str(user["username"]),
                user.get("name"),
                user.get("email"),
                user.get("locale"),
                bool(admin),
                tuple(str(r) for r in roles),
                user.get("team"),
                pointer,
            )
        )
    return users


def _recipes(parser: RecipeReader, data: Any, pools: Mapping[str, Any]) -> list[EntityRecipe]:
    if not parser.typed(data, dict, "/records", "'records'"):
        return []
    recipes = []
    for entity, item in data.items():
        pointer = join_pointer("/records", entity)
        recipe = parser.mapping(item, pointer, _RECIPE_KEYS, f"the recipe of '{entity}'")
        each = _each(parser, recipe.get("each"), join_pointer(pointer, "each"))
        count = recipe.get("count", 0 if each else None)
        if count is None:
            parser.error("D103", pointer, f"the recipe of '{entity}' needs 'count' or 'each'")
            count = 0
        elif parser.typed(count, int, join_pointer(pointer, "count"), "'count'") and count < 0:
            parser.error("D105", join_pointer(pointer, "count"), "'count' must not be negative")
        at = None
        if "at" in recipe:
            at = parse_generator(parser, recipe["at"], join_pointer(pointer, "at"), pools)
        state_at = recipe.get("state_at")
        if state_at is not None:
            parser.typed(state_at, str, join_pointer(pointer, "state_at"), "'state_at'")
        fields_pointer = join_pointer(pointer, "fields")
        fields: dict[str, GeneratorSpec] = {}
        raw_fields = recipe.get("fields", {})
        if parser.typed(raw_fields, dict, fields_pointer, "'fields'"):
            for name, node in raw_fields.items():
                made = parse_generator(parser, node, join_pointer(fields_pointer, name), pools)
                if made is not None:
                    fields[name] = made
        workflow = None
        if "workflow" in recipe:
            workflow_pointer = join_pointer(pointer, "workflow")
            workflow = parse_workflow(parser, recipe["workflow"], workflow_pointer, pools)
        automations = recipe.get("automations", False)
        parser.typed(automations, bool, join_pointer(pointer, "automations"), "'automations'")
        recipes.append(
            EntityRecipe(
                entity,
                int(count) if isinstance(count, int) else 0,
                each,
                at,
                state_at,
                fields,
                pointer,
                workflow,
                automations is True,
            )
        )
    return recipes


def _each(parser: RecipeReader, data: Any, pointer: str) -> EachSpec | None:
    if data is None:
        return None
    each = parser.mapping(data, pointer, _EACH_KEYS, "'each'")
    ok = all([parser.require(each, key, pointer, "'each'") for key in _EACH_KEYS[:3]])
    if not ok:
        return None
    bounds = parser.bounds(each["count"], join_pointer(pointer, "count"), "'each/count'")
    if bounds is None or bounds[0] < 0:
        return None
    skew = each.get("skew", 1)
    if not isinstance(skew, (int, float)) or isinstance(skew, bool) or skew <= 0:
        parser.error("D105", join_pointer(pointer, "skew"), "'skew' must be a positive number")
        skew = 1
    where: dict[str, tuple[Any, ...]] = {}
    if "where" in each:
        where_pointer = join_pointer(pointer, "where")
        raw = each["where"]
        if parser.typed(raw, dict, where_pointer, "'each/where'"):
            for name, values in raw.items():
                listed = values if isinstance(values, list) else [values]
                if not listed:
                    at = join_pointer(where_pointer, name)
                    parser.error("D105", at, f"'where/{name}' needs at least one value")
                where[str(name)] = tuple(listed)
    return EachSpec(
        str(each["entity"]), str(each["field"]), bounds[0], bounds[1], float(skew), where
    )
