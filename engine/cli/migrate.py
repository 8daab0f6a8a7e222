"""`formwork migrate APP_DIR`: bring the database to the app's spec.

Prints the plan (`+` additive, `~` rename, `!` destructive or blocked), then applies it,
unless `--dry-run`. Exit status: 0 when applied or only printed, 1 when the app has errors,
the plan is refused or a step fails (nothing is changed then), 2 for a usage error.
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
    except StorageError as error:
        click.echo(f"error: {error}", err=True)
        return 1
    except SQLAlchemyError as error:
        click.echo(f"error: cannot read the database {where}: {error}", err=True)
        return 1
    click.echo(plan.describe())
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return 0
    return _apply(db, plan, allow=allow, where=where)


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
