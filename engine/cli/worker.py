"""`formwork worker APP_DIR`: run the background worker in the foreground (a separate
process beside `serve --no-worker`, or several: every schedule tick, date timer, overdue
approval step and outbox message is handled once).

Exit status: 1 when the app has errors or its database is not migrated, 2 for a usage error;
Ctrl+C stops it (status 0).
"""

from __future__ import annotations

import threading
from pathlib import Path

import click
import sqlalchemy as sa

from engine.cli.context import load_engine
from engine.runtime.worker import DEFAULT_INTERVAL, Worker

__all__ = ["worker_command"]


@click.command("worker")
@click.argument(
    "app_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option(
    "--interval",
    default=DEFAULT_INTERVAL,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between two rounds.",
)
@click.option("--once", is_flag=True, help="Run one round and exit (cron-style).")
@click.pass_context
def worker_command(ctx: click.Context, app_dir: Path, interval: float, once: bool) -> None:
    """Fire schedules and date timers, apply overdue approval steps and deliver the outbox
    for the app in APP_DIR."""
    engine = load_engine(ctx, app_dir, then="start the worker again")
    table = engine.tables.system.schedule_ticks.name
    if not sa.inspect(engine.db.engine).has_table(table):
        hint = f"The database has no {table}: run `formwork migrate {app_dir}` first."
        click.echo(hint, err=True)
        ctx.exit(1)
    try:
        worker = Worker(engine, interval)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(1)
    if once:
        handled = worker.run_once()
        click.echo(f"Handled {handled} item(s){_details(worker)}.")
        return
    click.echo(f"Worker for {engine.app.id}: a round every {interval:g} s (Ctrl+C to stop)")
    worker.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Stopping.")
    finally:
        worker.stop()
        engine.close()


def _details(worker: Worker) -> str:
    """`: 2 schedule run(s), 1 approval step(s), 3 message(s) delivered` — what a round did."""
    report = worker.last
    if report is None:
        return ""
    parts = []
    schedule = report.schedule
    if schedule is not None:
        if schedule.fired:
            parts.append(f"{len(schedule.fired)} timed run(s)")
        if schedule.approvals:
            parts.append(f"{schedule.approvals} approval step(s)")
        if schedule.failed:
            parts.append(f"{len(schedule.failed)} job(s) failed (see the log)")
    for count, what in (
        (report.delivered, "delivered"),
        (report.retried, "to retry"),
        (report.dead, "dead"),
    ):
        if count:
            parts.append(f"{count} message(s) {what}")
    return ": " + ", ".join(parts) if parts else ""
