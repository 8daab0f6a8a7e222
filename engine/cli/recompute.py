"""`formwork recompute APP_DIR [--entity E]`: recompute the app's roll-up fields from the
database — after a roll-up was added or its definition changed (`migrate` adds the column,
empty), or after data was loaded around the record service. Records whose value changes are
written through the record service: their formulas follow, their history says which roll-up
moved, and their automations (e.g. thresholds) fire.

Exit status: 0, 1 when the app has errors or the entity is unknown, 2 for a usage error.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.context import load_engine
from engine.errors import FormworkError

__all__ = ["recompute_command"]


@click.command("recompute")
@click.argument(
    "app_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option("--entity", help="Only the roll-ups held by this entity.")
@click.pass_context
def recompute_command(ctx: click.Context, app_dir: Path, entity: str | None) -> None:
    """Recompute the roll-up fields of the app in APP_DIR."""
    engine = load_engine(ctx, app_dir, then="recompute again")
    try:
        held = engine.records.rollups.by_entity
        if entity is not None and entity not in engine.app.entities:
            known = ", ".join(sorted(engine.app.entities))
            click.echo(f"error: unknown entity '{entity}' (entities: {known})", err=True)
            ctx.exit(1)
        fields = [
            f"{name}.{rollup.field}"
            for name, rollups in held.items()
            if entity is None or name == entity
            for rollup in rollups
        ]
        if not fields:
            click.echo("No roll-up fields to recompute.")
            return
        try:
            changed = engine.records.recompute_rollups(entity)
        except FormworkError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(1)
        click.echo(f"Recomputed {len(fields)} roll-up field(s) ({', '.join(fields)}): "
                   f"{changed} record(s) changed.")  # fmt: skip
    finally:
        engine.close()
