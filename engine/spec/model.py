"""The frozen app spec: `AppSpec` and `RoleSpec`, and every other `*Spec` re-exported.

The model follows docs/language.md key by key. Every node carries `loc: Loc` (file and JSON
pointer) so any later phase can report where it came from; mappings are read-only and
sequences are tuples, so a built spec never changes. Concepts live in sibling modules:
`model_entity` (fields, permissions, forms, views), `model_workflow`, `model_action`
(actions and approver sources), `model_automation`, `model_table`, `model_dashboard`,
`model_suite`, `model_values` (labels, expressions, values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.expr.calendar import WorkCalendar, date_problem
from engine.spec.document import Loc
from engine.spec.model_action import ActionSpec, ApproverSpec
from engine.spec.model_automation import AutomationSpec, TriggerSpec
from engine.spec.model_dashboard import DashboardSpec, GroupBySpec, WidgetSpec
from engine.spec.model_entity import (
    RESERVED_FIELD_NAMES,
    RESERVED_ROW_NAMES,
    SYSTEM_FIELDS,
    EntitySpec,
    FieldSpec,
    FormSpec,
    IndexSpec,
    OptionSpec,
    PermissionSpec,
    RolePermissionSpec,
    RollupSpec,
    ScopeKind,
    ScopeSpec,
    SectionSpec,
    SortSpec,
    ValidationSpec,
    ViewSpec,
)
from engine.spec.model_suite import ScenarioSpec, StepSpec, SuiteSpec
from engine.spec.model_table import CellSpec, DecisionTableSpec, TableColumnSpec, TableRuleSpec
from engine.spec.model_values import ANY_LOCALE, ExprSpec, Label, ValueSpec, label_text
from engine.spec.model_workflow import (
    APPROVAL_ACTIONS,
    ApprovalSpec,
    DueSpec,
    StateSpec,
    TransitionSpec,
    WorkflowSpec,
)

__all__ = [
    "ADMIN_ROLE",
    "ANY_LOCALE",
    "APPROVAL_ACTIONS",
    "RESERVED_FIELD_NAMES",
    "RESERVED_ROW_NAMES",
    "SYSTEM_FIELDS",
    "ActionSpec",
    "AppSpec",
    "ApprovalSpec",
    "ApproverSpec",
    "AutomationSpec",
    "CalendarDaySpec",
    "CalendarSpec",
    "CellSpec",
    "DashboardSpec",
    "DecisionTableSpec",
    "DueSpec",
    "EntitySpec",
    "ExprSpec",
    "FieldSpec",
    "FormSpec",
    "GroupBySpec",
    "IndexSpec",
    "Label",
    "OptionSpec",
    "PermissionSpec",
    "RolePermissionSpec",
    "RoleSpec",
    "RollupSpec",
    "ScenarioSpec",
    "ScopeKind",
    "ScopeSpec",
    "SectionSpec",
    "SortSpec",
    "StateSpec",
    "StepSpec",
    "SuiteSpec",
    "TableColumnSpec",
    "TableRuleSpec",
    "TransitionSpec",
    "TriggerSpec",
    "ValidationSpec",
    "ValueSpec",
    "ViewSpec",
    "WidgetSpec",
    "WorkflowSpec",
    "label_text",
]

ADMIN_ROLE = "admin"
"""The implicit role that may do everything; it cannot be declared."""


@dataclass(frozen=True)
class RoleSpec:
    """A role and the roles whose permissions it inherits."""

    name: str
    label: Label
    inherits: tuple[str, ...]
    loc: Loc


@dataclass(frozen=True)
class CalendarDaySpec:
    """One day of the app's `calendar:` lists, as written (`check` reports a day that does
    not exist, R140)."""

    text: str
    loc: Loc

    @property
    def day(self) -> date | None:
        """The date, or None when the text is not a real one."""
        return None if date_problem(self.text) else date.fromisoformat(self.text)


@dataclass(frozen=True)
class CalendarSpec:
    """The app's working calendar: `holidays` are not worked (whatever their weekday),
    `workdays` are weekend days that are (调休). Monday–Friday are worked otherwise."""

    holidays: tuple[CalendarDaySpec, ...] = ()
    workdays: tuple[CalendarDaySpec, ...] = ()

    def work_calendar(self) -> WorkCalendar:
        """The calendar `working_days()` counts with (days that do not exist left out)."""
        return WorkCalendar(
            tuple(found for d in self.holidays if (found := d.day) is not None),
            tuple(found for d in self.workdays if (found := d.day) is not None),
        )


@dataclass(frozen=True)
class AppSpec:
    """A whole app folder, built.

    `unbuilt` names the documents (kind → names) that exist but could not be built (their
    file cannot be parsed, or is rejected as a whole): references to them are not reported.
    """

    id: str
    title: Label
    description: Label
    version: int | None
    locales: tuple[str, ...]
    currency: str | None
    timezone: str | None
    week_start: str
    roles: Mapping[str, RoleSpec]
    entities: Mapping[str, EntitySpec]
    automations: Mapping[str, AutomationSpec]
    tables: Mapping[str, DecisionTableSpec]
    dashboards: Mapping[str, DashboardSpec]
    suites: Mapping[str, SuiteSpec]
    plugins: tuple[str, ...]
    settings: Mapping[str, Any]
    includes: tuple[str, ...]
    root: Path
    loc: Loc
    unbuilt: Mapping[str, frozenset[str]]
    incomplete: frozenset[Loc] = frozenset()
    """Nodes that have a part the schema rejected (and the rejected nodes themselves): a key
    they lack may be the misspelt one, so what would be under it is not reported missing."""
    calendar: CalendarSpec = CalendarSpec()
    """Which days are worked (`calendar:` in app.yaml; `working_days()`)."""

    @property
    def default_locale(self) -> str:
        """The first of `locales` (`en` when the app lists none)."""
        return self.locales[0] if self.locales else "en"

    @property
    def role_names(self) -> frozenset[str]:
        """Every role name, `admin` included."""
        return frozenset(self.roles) | {ADMIN_ROLE}

    def is_unbuilt(self, kind: str, name: str) -> bool:
        """True when a document of `kind` named `name` exists but was not built."""
        return name in self.unbuilt.get(kind, frozenset())

    def label(self, label: Label, locale: str | None = None) -> str:
        """The text of `label` in `locale` (default: the app's default locale)."""
        return label_text(label, locale or self.default_locale)
