"""`formwork recompute APP_DIR [--entity E]`: recompute the app's roll-up fields from the
database — after a roll-up was added or its definition changed (`migrate` adds the column,
empty), or after data was loaded around the record service — and the formulas that read the
clock (`today()`, `now()`), which the worker otherwise refreshes once a day. Records whose
value changes are written through the record service: their formulas follow, their history
says which roll-up moved, and their automations (e.g. thresholds) fire.

Exit status: 0, 1 when the app has errors or the entity is unknown, 2 for a usage error.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.context import load_engine
from engine.errors import FormworkError
from engine.runtime.engine import Engine

__all__ = ["recompute_command"]


@click.command("recompute")
@click.argument(
    "app_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option("--entity", help="Only the roll-ups and clock formulas of this entity.")
@click.pass_context
def recompute_command(ctx: click.Context, app_dir: Path, entity: str | None) -> None:
    """Recompute the roll-up fields and the formulas that read the clock of the app in
    APP_DIR."""
    engine = load_engine(ctx, app_dir, then="recompute again")
    try:
        if entity is not None and entity not in engine.app.entities:
            known = ", ".join(sorted(engine.app.entities))
            click.echo(f"error: unknown entity '{entity}' (entities: {known})", err=True)
            ctx.exit(1)
        rollups = _rollup_fields(engine, entity)
        formulas = [
            f"{name}.{field}"
            for name, fields in engine.clock_formulas.fields.items()
            if entity is None or name == entity
            for field in fields
        ]
        if not rollups and not formulas:
            click.echo("No roll-up fields or formulas that read the clock to recompute.")
            return
        try:
            if rollups:
                changed = engine.records.recompute_rollups(entity)
                click.echo(f"Recomputed {len(rollups)} roll-up field(s) ({', '.join(rollups)}): "
                           f"{changed} record(s) changed.")  # fmt: skip
            if formulas:
                refreshed = engine.clock_formulas.refresh(entity)
                changed = sum(r.changed for r in refreshed)
                failed = sum(r.failed for r in refreshed)
                kept = f"; {failed} left as they were: a rule failed (`runs --status failed`)"
                click.echo(f"Recomputed {len(formulas)} formula field(s) that read the clock "
                           f"({', '.join(formulas)}): {changed} record(s) changed"
                           f"{kept if failed else ''}.")  # fmt: skip
        except FormworkError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(1)
    finally:
        engine.close()


def _rollup_fields(engine: Engine, entity: str | None) -> list[str]:
    return [
        f"{name}.{rollup.field}"
        for name, rollups in engine.records.rollups.by_entity.items()
        if entity is None or name == entity
        for rollup in rollups
    ]
