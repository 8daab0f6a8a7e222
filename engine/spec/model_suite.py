"""Scenario suites: the app's own tests, run by `run.py test` against a controllable clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from engine.spec.document import Loc
from engine.spec.model_values import ExprSpec, Label, ValueSpec

__all__ = ["ScenarioSpec", "StepSpec", "SuiteSpec"]


@dataclass(frozen=True)
class StepSpec:
    """One step; the keys a step type does not use are empty. `options` keeps them all."""

    type: str
    user: str | None
    entity: str | None
    record: str | None
    action: str | None
    values: Mapping[str, ValueSpec]
    where: ExprSpec | None
    count: int | None
    alias: str | None  # the `as:` key
    by: timedelta | None  # advance_clock
    contains: str | None
    code: str | None  # expect_error
    comment: str | None
    options: Mapping[str, Any]
    loc: Loc


@dataclass(frozen=True)
class ScenarioSpec:
    """A named scenario: an optional start `clock` (ISO 8601) and its steps."""

    name: str
    clock: str | None
    steps: tuple[StepSpec, ...]
    loc: Loc


@dataclass(frozen=True)
class SuiteSpec:
    """A suite of scenarios."""

    name: str
    label: Label
    scenarios: tuple[ScenarioSpec, ...]
    loc: Loc
