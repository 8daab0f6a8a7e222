"""`formwork runs APP_DIR`: the automation runs of an app — a table of runs, newest first
(`--status`, `--automation`, `--limit`), one run's trace (`runs APP_DIR show ID`: the
event, each condition with its value, each action with its result, the error, each with
its YAML place), and replaying a run (`runs APP_DIR replay ID`: its automation runs again
on its record as it is now, as the system).

Exit status: 0 on success (a replay prints the new run's id and status), 1 when the app
has errors, the run does not exist or the replay failed (with the error and its place),
2 for a usage error. The database is `$DATABASE_URL`, else the app's default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from engine.cli.context import load_engine
from engine.errors import AutomationFailed, FormworkError
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.run_traces import RunRow

__all__ = ["RUN_STATUSES", "format_run", "format_runs", "runs_command"]

RUN_STATUSES = ("running", "done", "skipped", "failed", "stopped")
COLUMNS = ("id", "when", "automation", "trigger", "record", "status", "error_at", "error")
ERROR_WIDTH = 60
ENGINE_KEY = "formwork.runs.engine"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _record(run: RunRow) -> str:
    return f"{run.entity}#{run.record_id}" if run.entity and run.record_id is not None else ""


def _short(text: str | None, width: int = ERROR_WIDTH) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def format_runs(runs: Sequence[RunRow]) -> str:
    """The runs as an aligned text table (a header line, one line per run)."""
    rows = [
        (
            str(run.id),
            _when(run.started_at),
            run.automation,
            run.trigger_type,
            _record(run),
            run.status,
            run.error_at or "",
            _short(run.error),
        )
        for run in runs
    ]
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [COLUMNS, *rows]
    )


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def format_run(run: RunRow) -> str:
    """One run's trace, readably: what started it, conditions, actions, the error."""
    lines = [f"Run {run.id}: {run.automation} — {run.status}"]
    if run.replay_of is not None:
        lines.append(f"  replay of run {run.replay_of}")
    lines.append(
        f"  trigger: {run.trigger_type}"
        + (f" #{run.trigger_index + 1}" if run.trigger_index is not None else "")
    )
    if _record(run):
        lines.append(f"  record:  {_record(run)}")
    lines.append(f"  by:      {run.actor or 'system'} (depth {run.depth})")
    lines.append(f"  started: {_when(run.started_at)}   finished: {_when(run.finished_at) or '—'}")
    lines.append("Event:")
    lines += [f"  {key}: {_value(value)}" for key, value in run.event.items()] or ["  —"]
    lines.append("Conditions:")
    for condition in run.conditions:
        holds = "ok  " if condition.get("value") is True else "FAIL"
        lines.append(
            f"  {holds} {condition.get('at', '')}  {condition.get('expr', '')} → "
            f"{_value(condition.get('value'))}"
        )
    if not run.conditions:
        lines.append("  —")
    lines.append("Actions:")
    for action in run.actions:
        lines += _action_lines(action)
    if not run.actions:
        lines.append("  —")
    if run.error:
        lines.append(f"Error at {run.error_at or '?'}: {run.error}")
    return "\n".join(lines)


def _action_lines(action: Mapping[str, Any]) -> list[str]:
    error = action.get("error")
    result = {k: v for k, v in action.items() if k not in ("at", "pointer", "type", "error")}
    mark = "FAIL" if error else "ok  "
    line = f"  {mark} {action.get('at', '')}  {action.get('type', '')}"
    if result:
        line += f" → {_value(result)}"
    lines = [line]
    if error:
        lines.append(f"       error: {error}")
    return lines


def _traces_ready(ctx: click.Context, engine: Engine, app_dir: Path) -> None:
    table = engine.tables.system.automation_runs.name
    if not sa.inspect(engine.db.engine).has_table(table):
        click.echo(
            f"The database has no {table}: run `formwork migrate {app_dir}` first.", err=True
        )
        ctx.exit(1)


@click.group(
    "runs", invoke_without_command=True, context_settings={"allow_interspersed_args": True}
)
@click.argument(
    "app_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option("--status", type=click.Choice(RUN_STATUSES), help="Only runs of this status.")
@click.option("--automation", metavar="NAME", help="Only runs of this automation.")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(1, 10_000),
    help="How many runs to list.",
)  # fmt: skip
@click.pass_context
def runs_command(
    ctx: click.Context, app_dir: Path, status: str | None, automation: str | None, limit: int
) -> None:
    """List the automation runs of the app in APP_DIR, newest first; `show ID` prints one
    run's trace, `replay ID` runs it again."""
    engine = load_engine(ctx, app_dir, then="list the runs again")
    ctx.call_on_close(engine.close)
    _traces_ready(ctx, engine, app_dir)
    ctx.meta[ENGINE_KEY] = engine
    if ctx.invoked_subcommand is not None:
        return
    if automation is not None and automation not in engine.app.automations:
        known = ", ".join(sorted(engine.app.automations)) or "none"
        click.echo(f"error: there is no automation '{automation}' (automations: {known})", err=True)
        ctx.exit(1)
    found = engine.automations.runs(status=status, automation=automation, limit=limit)
    if not found:
        click.echo("No runs.")
        return
    click.echo(format_runs(found))


@runs_command.command("show")
@click.argument("run_id", type=click.IntRange(min=1), metavar="ID")
@click.pass_context
def show_command(ctx: click.Context, run_id: int) -> None:
    """Print one run's trace."""
    engine: Engine = ctx.meta[ENGINE_KEY]
    try:
        run = engine.automations.run(run_id)
    except FormworkError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(1)
    click.echo(format_run(run))


@runs_command.command("replay")
@click.argument("run_id", type=click.IntRange(min=1), metavar="ID")
@click.pass_context
def replay_command(ctx: click.Context, run_id: int) -> None:
    """Run a stored run's automation again on its record as it is now (as the system)."""
    engine: Engine = ctx.meta[ENGINE_KEY]
    try:
        outcome = engine.automations.replay(Actor.system(), run_id)
    except AutomationFailed as failure:
        place = f" at {failure.where}" if failure.where else ""
        click.echo(f"Replay of run {run_id} failed{place}: {failure.reason}", err=True)
        ctx.exit(1)
    except FormworkError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(1)
    click.echo(f"Replayed run {run_id} as run {outcome.run_id}: {outcome.status}")
