"""`formwork seed APP_DIR --demo`: load the app's demo data from `seed/demo.yaml`.

Migrates first when the app's tables are missing, then creates the recipe's users, teams
and records that are not there yet; a second run changes nothing and says so. Exit status:
0 when seeded or already present, 1 when the app or the recipe has errors (diagnostics are
printed) or a record is refused, 2 for a usage error. The database is `--database-url`,
else `DATABASE_URL`, else `sqlite:///instance/<app>.db` under the project folder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError

from engine.cli.check import relocate
from engine.cli.context import CliContext
from engine.diagnostics import Diagnostic, render_text
from engine.errors import AppInvalid
from engine.runtime.clock import FixedClock, SystemClock
from engine.runtime.engine import Engine
from engine.seeding import SeedFailed, SeedReport, load_recipe, seed_demo
from engine.seeding.demo import DEMO_RECIPE
from engine.storage.field_storage import StorageError
from engine.storage.migrations import MigrationFailed, MigrationRefused

__all__ = ["seed"]

PROGRESS_EVERY = 1000


@click.command("seed")
@click.argument(
    "app_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option("--demo", is_flag=True, help=f"Load the demo data of the app ({DEMO_RECIPE}).")
@click.option(
    "--anchor",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date the demo's dates hang from (default: the recipe's `anchor`, else today).",
)
@click.option(
    "--database-url",
    metavar="URL",
    default=None,
    help="Database to seed (default: $DATABASE_URL, else sqlite:///instance/<app>.db).",
)
@click.pass_context
def seed(
    ctx: click.Context,
    app_dir: Path,
    demo: bool,
    anchor: datetime | None,
    database_url: str | None,
) -> None:
    """Load the demo data of the app in APP_DIR (idempotent)."""
    if not demo:
        raise click.UsageError("say which data to load: --demo (the app's seed/demo.yaml)")
    engine = _load(ctx, app_dir, database_url)
    try:
        ctx.exit(_seed(engine, app_dir, anchor.date() if anchor else None))
    finally:
        engine.close()


def _load(ctx: click.Context, app_dir: Path, database_url: str | None) -> Engine:
    cli = ctx.find_object(CliContext)
    fallback = Path(os.environ.get("FORMWORK_PROJECT_ROOT", "."))
    root = cli.project_root if cli is not None else fallback
    registry = cli.registry()[0] if cli is not None else None
    # A clock the seed can move, so records carry the moments the recipe gives them.
    clock = FixedClock(SystemClock().now())
    try:
        return Engine.load(
            app_dir, database_url=database_url, project_root=root, registry=registry, clock=clock
        )
    except AppInvalid as error:
        diagnostics = [d for d in error.diagnostics if isinstance(d, Diagnostic)]
        click.echo(render_text([relocate(d, app_dir) for d in diagnostics]), err=True)
        click.echo("The app has errors: fix them (`formwork check`), then seed again.", err=True)
        ctx.exit(1)
        raise AssertionError("unreachable") from error
    except (ArgumentError, StorageError) as error:
        raise click.BadParameter(str(error), param_hint="'--database-url'") from error


def _seed(engine: Engine, app_dir: Path, anchor: date | None) -> int:
    spec, diagnostics = load_recipe(app_dir, engine.app)
    if spec is None:
        click.echo(render_text([relocate(d, app_dir) for d in diagnostics]), err=True)
        click.echo("The demo recipe has errors: nothing was changed.", err=True)
        return 1
    if not _migrated(engine) and not _migrate(engine):
        return 1
    started = time.perf_counter()
    try:
        run = seed_demo(engine, spec, anchor=anchor, progress=_progress())
    except SeedFailed as error:
        at = spec.source.value(error.record.pointer)
        where = relocate(Diagnostic("D120", "", spec.file, at.line, at.col), app_dir)
        click.echo(f"{where.location()}: error D120 {error.record.pointer}\n  {error}", err=True)
        click.echo("Nothing of the demo records was written.", err=True)
        return 1
    _report(run.report, time.perf_counter() - started, run.plan.anchor)
    return 0


def _migrated(engine: Engine) -> bool:
    names = [table.name for table in engine.tables.metadata.sorted_tables]
    inspector = sa.inspect(engine.db.engine)
    return all(inspector.has_table(name) for name in names)


def _migrate(engine: Engine) -> bool:
    click.echo("The app's tables are missing: migrating first.")
    try:
        steps = engine.migrate()
    except (MigrationFailed, MigrationRefused) as problem:
        click.echo(f"The database cannot be brought to the app's spec: {problem}", err=True)
        return False
    click.echo(f"Applied {len(steps)} step(s).")
    return True


def _progress() -> Callable[[str, int], None]:
    def show(entity: str, done: int) -> None:
        if done % PROGRESS_EVERY == 0:
            click.echo(f"  {entity}: {done}")

    return show


def _report(report: SeedReport, seconds: float, anchor: date) -> None:
    if not report.changed:
        click.echo("The demo data is already there: nothing was changed.")
        return
    for label, items in (
        ("users", report.users),
        ("teams", report.teams),
        ("roles", report.roles),
        ("main teams", report.memberships),
    ):
        if items:
            click.echo(f"Added {len(items)} {label}: {', '.join(items)}")
    if report.records_present:
        click.echo("The demo records were already there: none were added.")
    total = sum(report.records.values())
    if total:
        counts = ", ".join(f"{count} {entity}" for entity, count in report.records.items())
        rate = total / seconds if seconds > 0 else float(total)
        click.echo(
            f"Created {total} records ({counts}) dated up to {anchor.isoformat()}, "
            f"in {seconds:.1f} s ({rate:.0f} records/s)."
        )
