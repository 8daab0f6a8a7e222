"""Dashboards and their widgets (aggregates over entities, run as SQL)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.spec.document import Loc
from engine.spec.model_values import ExprSpec, Label

__all__ = ["DashboardSpec", "GroupBySpec", "WidgetSpec"]


@dataclass(frozen=True)
class GroupBySpec:
    """What a widget groups by: a field, and for dates a bucket (day … year)."""

    field: str
    bucket: str | None
    loc: Loc


@dataclass(frozen=True)
class WidgetSpec:
    """One widget; `options` keeps every key as written (`max`, `columns`, …)."""

    id: str
    type: str
    title: Label
    entity: str | None
    aggregate: str
    field: str | None
    filter: ExprSpec | None
    group_by: GroupBySpec | None
    columns: tuple[str, ...]
    sort: str | None
    limit: int | None
    width: int | None
    options: Mapping[str, Any]
    loc: Loc


@dataclass(frozen=True)
class DashboardSpec:
    """A dashboard, shown to `roles` (empty: every role)."""

    name: str
    label: Label
    roles: tuple[str, ...]
    widgets: tuple[WidgetSpec, ...]
    loc: Loc
