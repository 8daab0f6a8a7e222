"""`formwork migrate APP_DIR`: bring the database to the app's spec.

Prints the plan (`+` additive, `~` rename, `!` destructive or blocked) and the records
that `state_map:` moves out of removed states, then applies it, unless `--dry-run`; records
in a removed state that `state_map:` does not map refuse the whole migration. Exit status:
0 when applied or only printed, 1 when the app has errors, the plan is refused or a step
fails (nothing is changed then), 2 for a usage error.
The database is `--database-url`, else `DATABASE_URL`, else `sqlite:///instance/<app>.db`
under the current folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from engine.cli.check import relocate
from engine.cli.context import CliContext
from engine.diagnostics import has_errors, render_text
from engine.errors import FormworkError
from engine.runtime.engine import Engine
from engine.runtime.state_migration import (
    StatePlan,
    apply_state_moves,
    plan_state_moves,
    without_state_maps,
)
from engine.spec.check import check_app
from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database, resolve_database_url
from engine.storage.field_storage import StorageError
from engine.storage.migration_plan import MigrationPlan
from engine.storage.migrations import MigrationFailed, apply_migration, plan_migration
from engine.storage.tables import build_tables

__all__ = ["migrate"]

HOW_TO_PROCEED = """\
To proceed, either:
  - if a field or entity was renamed, add `renamed_from: <old name>` to it in the YAML;
  - put back a field or entity that was removed by mistake;
  - or run again with --allow-destructive: nothing is dropped, the old data is kept aside
    in _dropped_<name>_<timestamp> columns and tables."""

BLOCKED_ADVICE = "Blocked steps need the data fixed first (--allow-destructive does not skip them)."


@click.command("migrate")
@click.argument(
    "app_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Apply steps that drop or change stored data (the old data is kept aside).",
)
@click.option(
    "--database-url",
    metavar="URL",
    default=None,
    help="Database to migrate (default: $DATABASE_URL, else sqlite:///instance/<app>.db).",
)
@click.pass_context
def migrate(
    ctx: click.Context,
    app_dir: Path,
    dry_run: bool,
    allow_destructive: bool,
    database_url: str | None,
) -> None:
    """Create or update the database tables of the app in APP_DIR."""
    cli = ctx.find_object(CliContext)
    if cli is None:
        cli = CliContext(Path(os.environ.get("FORMWORK_PROJECT_ROOT", ".")))
    registry, registry_problems = cli.registry()
    result = check_app(app_dir, registry)
    diagnostics = [*registry_problems, *(relocate(d, app_dir) for d in result.diagnostics)]
    if result.app is None or has_errors(diagnostics):
        click.echo(render_text(diagnostics))
        click.echo("The app has errors: fix them, then migrate again.", err=True)
        ctx.exit(1)
    app = result.app
    db = _open(app, database_url)
    try:
        ctx.exit(_migrate(db, app, registry, dry_run=dry_run, allow=allow_destructive))
    finally:
        db.dispose()


def _open(app: AppSpec, database_url: str | None) -> Database:
    url = resolve_database_url(app.id, database_url)
    try:
        return Database(url)
    except (ArgumentError, StorageError) as error:
        raise click.BadParameter(str(error), param_hint="'--database-url'") from error


def _migrate(db: Database, app: AppSpec, registry: Registry, *, dry_run: bool, allow: bool) -> int:
    where = db.url.render_as_string(hide_password=True)
    try:
        tables = build_tables(app, sa.MetaData(), registry=registry)
        plan = plan_migration(db, app, tables)
        states = plan_state_moves(db, app, tables)
    except StorageError as error:
        click.echo(f"error: {error}", err=True)
        return 1
    except SQLAlchemyError as error:
        click.echo(f"error: cannot read the database {where}: {error}", err=True)
        return 1
    plan = without_state_maps(plan)  # the moves below write history; see state_migration
    click.echo(plan.describe())
    if states.moves:
        click.echo("Records to move out of removed states (state_map):")
    for line in states.lines():
        click.echo(line)
    if states.stranded:
        return _refuse_states(states, dry_run=dry_run)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return 0
    status = _apply(db, plan, allow=allow, where=where)
    if status == 0 and states.moves:
        status = _move_states(db, app, registry, states, where=where)
    return status


def _refuse_states(states: StatePlan, *, dry_run: bool) -> int:
    click.echo(
        f"\nRefused: records are in {len(states.stranded)} state(s) the workflow no longer has:"
    )
    for sentence in states.refusals():
        click.echo(f"  ! {sentence}")
    if dry_run:
        click.echo("Dry run: nothing was changed; migrate would refuse.")
        return 0
    click.echo("Nothing was changed.")
    return 1


def _move_states(
    db: Database, app: AppSpec, registry: Registry, states: StatePlan, *, where: str
) -> int:
    engine = Engine(app, registry, db)
    try:
        moved = apply_state_moves(db, engine.records, states)
    except (FormworkError, SQLAlchemyError) as error:
        click.echo(
            f"error: moving records between states failed, none was moved: {error}", err=True
        )
        return 1
    click.echo(f"Moved {moved} record(s) to their mapped states in {where}.")
    return 0


def _apply(db: Database, plan: MigrationPlan, *, allow: bool, where: str) -> int:
    refused = plan.refused(allow_destructive=allow)
    if refused:
        click.echo(f"\nRefused: {len(refused)} step(s) would lose or break data:")
        for step in refused:
            click.echo(f"  {step.line()}")
        click.echo("Nothing was changed.")
        if plan.blocked:
            click.echo(BLOCKED_ADVICE)
        if not allow and plan.destructive:
            click.echo(HOW_TO_PROCEED)
        return 1
    if plan.is_empty:
        return 0
    try:
        applied = apply_migration(db, plan, allow_destructive=allow)
    except (MigrationFailed, StorageError) as error:
        click.echo(f"error: {error}", err=True)
        return 1
    click.echo(f"Applied {len(applied)} step(s) to {where}.")
    return 0
