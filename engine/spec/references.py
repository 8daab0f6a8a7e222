"""`validate_app`: every check of a built app — names that refer to something (R codes,
with "did you mean"), field values, workflow logic, plugins, locales (W codes), time zones
and expressions (X codes).

The checks live in modules named after what they check; this module owns the role checks
and runs the others in order.
"""

from __future__ import annotations

from engine.diagnostics import Diagnostic
from engine.spec.automation_checks import check_automations
from engine.spec.calendar_checks import check_calendar
from engine.spec.check_context import CheckContext
from engine.spec.document import SourceIndex
from engine.spec.document_checks import check_dashboards, check_suites, check_tables
from engine.spec.entity_checks import check_entities
from engine.spec.expression_checks import check_expressions
from engine.spec.field_checks import check_field_values
from engine.spec.locale_checks import check_locales
from engine.spec.model import ADMIN_ROLE, AppSpec
from engine.spec.model_values import child_loc
from engine.spec.plugin_checks import check_plugins
from engine.spec.registry import Registry
from engine.spec.time_zones import check_time_zones
from engine.spec.workflow_checks import check_workflows

__all__ = ["validate_app"]


def validate_app(app: AppSpec, registry: Registry, sources: SourceIndex) -> list[Diagnostic]:
    """Every reference, workflow, plugin, locale and expression check of a built app."""
    ctx = CheckContext(app, registry, sources)
    check_roles(ctx)
    check_plugins(ctx)
    check_entities(ctx)
    check_field_values(ctx)
    check_workflows(ctx)
    check_automations(ctx)
    check_tables(ctx)
    check_dashboards(ctx)
    check_suites(ctx)
    check_locales(ctx)
    check_time_zones(ctx)
    check_calendar(ctx)
    check_expressions(ctx)
    return ctx.diagnostics


def check_roles(ctx: CheckContext) -> None:
    """`admin` is not declared; `inherits` names roles; inheritance has no cycle."""
    roles = ctx.app.roles
    if ADMIN_ROLE in roles:
        ctx.error(
            "R113",
            "`admin` is implicit (it may do everything) and cannot be declared",
            roles[ADMIN_ROLE].loc,
            key=True,
            hint="remove it, or give the role another name",
        )
    for role in roles.values():
        for index, parent in enumerate(role.inherits):
            loc = ctx.item(child_loc(role.loc, "inherits"), index)
            if parent == ADMIN_ROLE:
                ctx.error("R113", "a role cannot inherit from `admin`", loc)
            elif parent not in roles:
                ctx.unknown("R104", "role", parent, roles, loc)
    reported: set[str] = set()
    for name in roles:
        cycle = _cycle_from(ctx.app, name)
        if cycle and not reported.intersection(cycle):
            reported.update(cycle)
            ctx.error(
                "R112",
                "roles inherit from each other in a cycle: " + " → ".join([*cycle, cycle[0]]),
                child_loc(roles[name].loc, "inherits"),
                hint="remove one of the `inherits:` entries",
            )


def _cycle_from(app: AppSpec, start: str) -> list[str]:
    """The roles of an inheritance cycle through `start`, in order; [] when none."""
    path = [start]
    explored: set[str] = set()  # roles from which `start` cannot be reached

    def walk(name: str) -> list[str]:
        role = app.roles.get(name)
        for parent in role.inherits if role is not None else ():
            if parent == start:
                return list(path)
            if parent in path or parent in explored or parent not in app.roles:
                continue
            path.append(parent)
            found = walk(parent)
            if found:
                return found
            path.pop()
            explored.add(parent)
        return []

    return walk(start)
