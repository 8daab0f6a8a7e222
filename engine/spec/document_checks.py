"""Reference checks of decision tables, dashboards and scenario suites."""

from __future__ import annotations

from engine.spec.automation_checks import workflow_action
from engine.spec.check_context import CheckContext
from engine.spec.model import (
    DashboardSpec,
    DecisionTableSpec,
    EntitySpec,
    ScenarioSpec,
    StepSpec,
    WidgetSpec,
)
from engine.spec.model_values import child_loc

__all__ = ["check_dashboards", "check_suites", "check_tables"]


def check_tables(ctx: CheckContext) -> None:
    """Every `when` key is an input of its table, every `then` key an output."""
    for table in ctx.app.tables.values():
        _check_table(ctx, table)


def _check_table(ctx: CheckContext, table: DecisionTableSpec) -> None:
    # no inputs (outputs): the schema requires them and says so; names are not checked
    for rule in table.rules:
        for name, cell in rule.when.items():
            if table.inputs and name not in table.input_names:
                ctx.unknown(
                    "R108",
                    "input",
                    name,
                    table.input_names,
                    cell.loc,
                    where=f"of decision table '{table.name}'",
                    key=True,
                )
        for name, value in rule.then.items():
            if table.outputs and name not in table.output_names:
                ctx.unknown(
                    "R108",
                    "output",
                    name,
                    table.output_names,
                    value.loc,
                    where=f"of decision table '{table.name}'",
                    key=True,
                )


def check_dashboards(ctx: CheckContext) -> None:
    """Dashboard roles and each widget's entity and fields."""
    for dashboard in ctx.app.dashboards.values():
        _check_dashboard(ctx, dashboard)


def _check_dashboard(ctx: CheckContext, dashboard: DashboardSpec) -> None:
    ctx.roles(dashboard.roles, child_loc(dashboard.loc, "roles"))
    first: dict[str, WidgetSpec] = {}
    for widget in dashboard.widgets:
        if isinstance(widget.options.get("id"), str):
            _check_widget_id(ctx, dashboard, widget, first.setdefault(widget.id, widget))
        entity = ctx.entity(widget.entity, child_loc(widget.loc, "entity"))
        if entity is None:
            continue
        if widget.sort is not None:
            # `-amount` sorts descending: point at the start of the key, as in views
            name = widget.sort.lstrip("-")
            ctx.field(entity, name, child_loc(widget.loc, "sort"), offset=0)
        if widget.field is not None:
            ctx.field(entity, widget.field, child_loc(widget.loc, "field"))
        if widget.group_by is not None:
            group = widget.group_by
            loc = (
                child_loc(group.loc, "field")
                if ctx.exists(child_loc(group.loc, "field"))
                else group.loc
            )
            ctx.field(entity, group.field, loc)
        ctx.fields(entity, widget.columns, child_loc(widget.loc, "columns"))


def _check_widget_id(
    ctx: CheckContext, dashboard: DashboardSpec, widget: WidgetSpec, first: WidgetSpec
) -> None:
    """R120: a widget id is written twice in one dashboard."""
    if first is widget:
        return
    ctx.error(
        "R120",
        f"dashboard '{dashboard.name}' already has a widget with the id '{widget.id}'",
        child_loc(widget.loc, "id"),
        hint="give every widget of a dashboard its own id",
        related=(ctx.place(child_loc(first.loc, "id")),),
    )


def check_suites(ctx: CheckContext) -> None:
    """Scenario steps: entities, fields, workflow actions, and `record:` naming an earlier
    step's `as:` (users are free text: they live in the database)."""
    for suite in ctx.app.suites.values():
        for scenario in suite.scenarios:
            _check_scenario(ctx, scenario)


def _check_scenario(ctx: CheckContext, scenario: ScenarioSpec) -> None:
    aliases: dict[str, EntitySpec | None] = {}
    for step in scenario.steps:
        entity = _step_entity(ctx, step, aliases)
        if entity is not None:
            for name in step.values:
                ctx.field(entity, name, child_loc(step.loc, "values", name), key=True)
            if step.action is not None:
                workflow_action(ctx, entity, step.action, child_loc(step.loc, "action"))
        if step.alias is not None:
            aliases[step.alias] = entity


def _step_entity(
    ctx: CheckContext, step: StepSpec, aliases: dict[str, EntitySpec | None]
) -> EntitySpec | None:
    if step.record is not None:
        if step.record not in aliases:
            ctx.unknown(
                "R110",
                "record",
                step.record,
                aliases,
                child_loc(step.loc, "record"),
                where="(name it with `as:` in an earlier step)",
            )
            return None
        return aliases[step.record]
    if step.entity is not None:
        return ctx.entity(step.entity, child_loc(step.loc, "entity"))
    return None
