"""`DashboardService` (`Engine.dashboards`): which dashboards a viewer may open, and each
one computed for them.

A dashboard is shown to the roles it lists (inherited roles count; no roles: everyone;
administrators see every dashboard). Each widget is one SQL statement run with the
viewer's rights (engine/runtime/dashboard_query.py): only the records they may read,
never a field they may not read. Widgets are computed one after another, each in a
read-only transaction of its own, so a widget that fails — a field the viewer may not
read, a broken database column — shows its error and the others still show (a failed
statement would end the whole transaction on PostgreSQL).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from engine.errors import Forbidden, NotFound
from engine.expr import EvalContext, ExpressionError, MappingEnv, check_expression, compile_python
from engine.runtime.actor import Actor
from engine.runtime.dashboard_groups import group_order, group_points, group_statement, grouping_of
from engine.runtime.dashboard_query import WidgetProblem, WidgetSource
from engine.runtime.dashboard_results import DashboardResult, TableRow, WidgetResult
from engine.runtime.records import RecordService
from engine.spec.model import ADMIN_ROLE
from engine.spec.model_dashboard import DashboardSpec, WidgetSpec

__all__ = ["GAUGE_MAXIMUM", "GROUPED_WIDGETS", "WIDGET_TYPES", "DashboardService"]

logger = logging.getLogger(__name__)

GROUPED_WIDGETS = frozenset({"bar", "line", "pie", "funnel", "leaderboard"})
WIDGET_TYPES = frozenset({"number", "gauge", "table"}) | GROUPED_WIDGETS
GAUGE_MAXIMUM = Decimal(1)
"""A gauge's full scale when it gives no `max` (a ratio: 100 %)."""


class DashboardService:
    """The app's dashboards, computed per viewer."""

    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.runtime = records.runtime
        self.app = records.runtime.app

    # -- which dashboards --------------------------------------------------------------------

    def may_see(self, actor: Actor, dashboard: DashboardSpec) -> bool:
        """True when the actor holds one of the dashboard's roles (or it lists none)."""
        if not dashboard.roles or actor.is_admin or actor.is_system:
            return True
        held = self.runtime.roles.expand(actor.roles)
        return ADMIN_ROLE in held or any(role in held for role in dashboard.roles)

    def visible(self, actor: Actor) -> list[DashboardSpec]:
        """The dashboards the actor may open, in the app's order."""
        return [d for d in self.app.dashboards.values() if self.may_see(actor, d)]

    def dashboard(self, actor: Actor, name: str) -> DashboardSpec:
        """The dashboard `name`: NotFound when the app has none, Forbidden when the actor
        may not open it."""
        found = self.app.dashboards.get(name)
        if found is None:
            raise NotFound(f"the app '{self.app.id}' has no dashboard '{name}'")
        if not self.may_see(actor, found):
            raise Forbidden(f"the dashboard '{name}' is not shown to your roles")
        return found

    # -- computing ---------------------------------------------------------------------------

    def compute(self, actor: Actor, name: str, *, locale: str | None = None) -> DashboardResult:
        """Every widget of the dashboard `name` as the actor sees it today; labels in
        `locale` (default: the actor's language, else the app's)."""
        dashboard = self.dashboard(actor, name)
        context = self.runtime.contexts.for_actor(actor)
        language = self._language(actor, locale)
        widgets = tuple(self._result(actor, w, context, language) for w in dashboard.widgets)
        return DashboardResult(dashboard, context.today, widgets)

    def compute_widget(
        self, actor: Actor, name: str, widget_id: str, *, locale: str | None = None
    ) -> WidgetResult:
        """One widget of the dashboard `name` (NotFound for an unknown widget id)."""
        dashboard = self.dashboard(actor, name)
        for widget in dashboard.widgets:
            if widget.id == widget_id:
                context = self.runtime.contexts.for_actor(actor)
                return self._result(actor, widget, context, self._language(actor, locale))
        raise NotFound(f"the dashboard '{name}' has no widget '{widget_id}'")

    def _language(self, actor: Actor, locale: str | None) -> str:
        return (locale or self.runtime.locale_of(actor.locale)).split("-")[0]

    def _result(
        self, actor: Actor, widget: WidgetSpec, context: EvalContext, locale: str
    ) -> WidgetResult:
        """The widget, or its error: one failing widget never hides the others."""
        try:
            return self._compute(actor, widget, context, locale)
        except WidgetProblem as problem:
            return WidgetResult(widget, None, error=str(problem))
        except ExpressionError as error:
            return WidgetResult(widget, None, error=f"the filter cannot be used: {error}")
        except sa.exc.SQLAlchemyError:
            logger.exception("dashboard widget %s failed in the database", widget.id)
            return WidgetResult(widget, None, error="the database could not compute this widget")
        except Exception:  # isolation is the point: the error is logged, the page still shows
            logger.exception("dashboard widget %s failed", widget.id)
            return WidgetResult(widget, None, error="this widget could not be computed")

    def _compute(
        self, actor: Actor, widget: WidgetSpec, context: EvalContext, locale: str
    ) -> WidgetResult:
        if widget.type not in WIDGET_TYPES:
            raise WidgetProblem(f"'{widget.type}' is not a widget type")
        source = WidgetSource(self.records, actor, widget)
        if widget.type == "table" and widget.group_by is None:
            return self._table(source, widget)
        measure = source.measure(widget.aggregate, widget.field)
        if widget.type in ("number", "gauge"):
            statement = sa.select(measure.clause).where(*source.conditions)
            raw = self._run(statement).scalar()
            maximum = self._maximum(widget, context) if widget.type == "gauge" else None
            return WidgetResult(
                widget, measure.value_type, value=measure.value(raw), maximum=maximum
            )
        if widget.group_by is None:
            raise WidgetProblem(f"a {widget.type} widget needs `group_by`")
        grouping = grouping_of(source, widget.group_by, context)
        order = group_order(widget, grouping, measure)
        rows = self._run(group_statement(source, grouping, measure, order)).all()
        points = group_points(
            rows, grouping, measure, order, locale=locale, first_weekday=context.first_weekday
        )
        return WidgetResult(widget, measure.value_type, points=points)

    def _table(self, source: WidgetSource, widget: WidgetSpec) -> WidgetResult:
        columns, statement = source.rows_statement(widget.columns, widget.sort, widget.limit)
        rows = tuple(
            TableRow(int(row[0]), dict(zip(columns, row[1:], strict=True)))
            for row in self._run(statement)
        )
        return WidgetResult(widget, None, columns=columns, rows=rows)

    def _run(self, statement: sa.Select[Any]) -> sa.Result[Any]:
        """Run one statement in a read-only transaction of its own; the rows are fetched
        before it ends."""
        with self.records.db.begin(readonly=True) as connection:
            return connection.execute(statement).freeze()()

    def _maximum(self, widget: WidgetSpec, context: EvalContext) -> Decimal | int:
        """A gauge's `max`: a number, or an `=expression` of no record (e.g. `=1 + 0.2`)."""
        written = widget.options.get("max")
        if written is None:
            return GAUGE_MAXIMUM
        if isinstance(written, bool) or not isinstance(written, int | float | str):
            raise WidgetProblem(f"the gauge's max must be a number, not {written!r}")
        if isinstance(written, int):
            return written
        if isinstance(written, float):
            return Decimal(repr(written))
        text = written.removeprefix("=")
        checked = check_expression(text, {}, self.runtime.registry.functions)
        if checked.problems:
            raise ExpressionError(text, list(checked.problems))
        value = compile_python(checked)(MappingEnv({}, context))
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise WidgetProblem(f"the gauge's max '{written}' is not a number")
        return value
