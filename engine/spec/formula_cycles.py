"""Formula cycles: a formula that, through other formulas of the same record, uses itself
(R118). Formulas are computed on save in dependency order; a cycle has none."""

from __future__ import annotations

from collections.abc import Mapping

from engine.expr import CheckedExpr
from engine.spec.check_context import CheckContext
from engine.spec.model import EntitySpec

__all__ = ["check_formula_cycles", "formula_dependencies"]


def formula_dependencies(
    entity: EntitySpec, formulas: Mapping[str, CheckedExpr]
) -> dict[str, list[str]]:
    """Formula field → the formula fields of the same record its expression reads."""
    return {
        name: sorted({path[0] for path in checked.names_used if path and path[0] in formulas})
        for name, checked in formulas.items()
        if name in entity.fields
    }


def check_formula_cycles(
    ctx: CheckContext, entity: EntitySpec, formulas: Mapping[str, CheckedExpr]
) -> None:
    """R118 once per cycle, at the `expr` of its first formula in declaration order."""
    graph = formula_dependencies(entity, formulas)
    reported: set[str] = set()
    for name in entity.fields:
        if name not in graph or name in reported:
            continue
        cycle = _cycle_through(graph, name)
        if not cycle or reported.intersection(cycle):
            continue
        reported.update(cycle)
        expr = entity.fields[name].formula_expr
        loc = expr.loc if expr is not None else entity.fields[name].loc
        ctx.error(
            "R118",
            "formulas use each other in a cycle: " + " → ".join([*cycle, cycle[0]]),
            loc,
            hint="a formula may use other formulas only if none of them uses it back",
        )


def _cycle_through(graph: Mapping[str, list[str]], start: str) -> list[str]:
    """The formulas of a dependency cycle through `start`, in order; [] when none."""
    path = [start]
    done: set[str] = set()

    def walk(name: str) -> list[str]:
        for used in graph.get(name, []):
            if used == start:
                return list(path)
            if used in path or used in done:
                continue
            path.append(used)
            found = walk(used)
            if found:
                return found
            path.pop()
            done.add(used)
        return []

    return walk(start)
