"""The `workflow:` part of a record recipe: weighted paths of workflow actions taken after a
record is created (docs/seeding.md), and the shape checks of that part (D101–D103, D107).

A path is a list of steps; a step is an action name or a mapping `{action, comment, to}`.
Whether the actions fit the entity's workflow is checked in `recipe_checks` (D117–D119).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.seeding.recipe_generators import GeneratorSpec, parse_generator
from engine.seeding.recipe_reader import RecipeReader
from engine.spec.sourcemap import join_pointer

__all__ = ["DEFAULT_GAP", "PathSpec", "StepSpec", "WorkflowRecipe", "parse_workflow"]

_WORKFLOW_KEYS = ("paths", "gap")
_PATH_KEYS = ("weight", "within", "steps")
_STEP_KEYS = ("action", "comment", "to")
DEFAULT_GAP = (1, 48)
"""Hours between two steps of a path (and between the creation and the first step)."""


@dataclass(frozen=True)
class StepSpec:
    """One action of a path: its name, its comment (a template) and, for a send back, the
    state to send it to (None: the previous step, as the workflow decides)."""

    action: str
    comment: GeneratorSpec | None
    to: str | None
    pointer: str


@dataclass(frozen=True)
class PathSpec:
    """A weighted list of steps; `within` (days) keeps it for records at most that old."""

    weight: float
    within: int | None
    steps: tuple[StepSpec, ...]
    pointer: str


@dataclass(frozen=True)
class WorkflowRecipe:
    """The paths of a record recipe and the gap in hours between steps."""

    paths: tuple[PathSpec, ...]
    gap: tuple[int, int]
    pointer: str


def parse_workflow(
    parser: RecipeReader, data: Any, pointer: str, pools: Any
) -> WorkflowRecipe | None:
    """The `workflow:` node of a record recipe (None when it is malformed)."""
    node = parser.mapping(data, pointer, _WORKFLOW_KEYS, "'workflow'")
    if not node or not parser.require(node, "paths", pointer, "'workflow'"):
        return None
    gap = DEFAULT_GAP
    if "gap" in node:
        found = parser.bounds(node["gap"], join_pointer(pointer, "gap"), "'gap' (hours)")
        if found is not None and found[0] < 0:
            parser.error("D107", join_pointer(pointer, "gap"), "'gap' must not be negative")
        elif found is not None:
            gap = found
    paths_pointer = join_pointer(pointer, "paths")
    raw = node["paths"]
    if not parser.typed(raw, list, paths_pointer, "'paths'"):
        return None
    if not raw:
        parser.error("D107", paths_pointer, "'paths' needs at least one path")
        return None
    paths = [
        _path(parser, item, join_pointer(paths_pointer, i), pools) for i, item in enumerate(raw)
    ]
    kept = tuple(path for path in paths if path is not None)
    return WorkflowRecipe(kept, gap, pointer) if len(kept) == len(paths) else None


def _path(parser: RecipeReader, data: Any, pointer: str, pools: Any) -> PathSpec | None:
    node = parser.mapping(data, pointer, _PATH_KEYS, "a workflow path")
    if not node or not parser.require(node, "steps", pointer, "a workflow path"):
        return None
    ok = True
    weight = node.get("weight", 1)
    number = isinstance(weight, (int, float)) and not isinstance(weight, bool)
    if not number or weight <= 0:
        at = join_pointer(pointer, "weight")
        parser.error("D107", at, f"a path's 'weight' must be a positive number, not {weight!r}")
        ok = False
    within = node.get("within")
    if within is not None:
        at = join_pointer(pointer, "within")
        if not parser.typed(within, int, at, "'within' (days)"):
            ok = False
        elif within < 0:
            parser.error("D107", at, "'within' (days) must not be negative")
            ok = False
    steps_pointer = join_pointer(pointer, "steps")
    raw = node["steps"]
    if not parser.typed(raw, list, steps_pointer, "'steps'"):
        return None
    steps = [
        _step(parser, item, join_pointer(steps_pointer, i), pools) for i, item in enumerate(raw)
    ]
    if not ok or any(step is None for step in steps):
        return None
    return PathSpec(float(weight), within, tuple(s for s in steps if s is not None), pointer)


def _step(parser: RecipeReader, data: Any, pointer: str, pools: Any) -> StepSpec | None:
    if isinstance(data, str):
        return StepSpec(data, None, None, pointer)
    node = parser.mapping(data, pointer, _STEP_KEYS, "a workflow step")
    if not node or not parser.require(node, "action", pointer, "a workflow step"):
        return None
    if not parser.typed(node["action"], str, join_pointer(pointer, "action"), "'action'"):
        return None
    to = node.get("to")
    if to is not None and not parser.typed(to, str, join_pointer(pointer, "to"), "'to'"):
        return None
    comment = None
    if "comment" in node:
        at = join_pointer(pointer, "comment")
        node_comment = node["comment"]
        if isinstance(node_comment, str):
            node_comment = {"template": node_comment}
        comment = parse_generator(parser, node_comment, at, pools)
        if comment is None:
            return None
    return StepSpec(str(node["action"]), comment, to, pointer)
