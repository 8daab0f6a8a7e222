"""`formwork serve [APP_DIR]`: migrate the app's database, then serve the web UI and the
API with werkzeug's threaded server (the embedded set-up; use gunicorn beyond one machine).

Exit status: 1 when the app has errors or its migration is refused (the diagnostics or the
plan's explanation are printed; nothing is served), 2 for a usage error.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.context import command_context, load_engine
from engine.runtime.worker import Worker
from engine.storage.migrations import MigrationFailed, MigrationRefused
from engine.web import create_app

__all__ = ["DEFAULT_APP", "serve"]

DEFAULT_APP = Path("apps") / "sales_crm"


@click.command("serve")
@click.argument(
    "app_dir",
    required=False,
    default=str(DEFAULT_APP),
    type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--no-worker",
    is_flag=True,
    help="Do not run the background worker in this process (every minute it fires "
    "schedules and date timers, applies overdue approval steps and delivers the outbox).",
)
@click.pass_context
def serve(ctx: click.Context, app_dir: Path, host: str, port: int, no_worker: bool) -> None:
    """Migrate and serve the app in APP_DIR (default apps/sales_crm) over HTTP."""
    engine = load_engine(ctx, app_dir, then="serve again")
    root = command_context(ctx).project_root.resolve()
    try:
        engine.migrate()
    except (MigrationFailed, MigrationRefused) as problem:
        click.echo(f"The database cannot be brought to the app's spec: {problem}", err=True)
        click.echo("Run `formwork migrate --dry-run` to see the plan.", err=True)
        ctx.exit(1)
    flask_app = create_app(None, {"PROJECT_ROOT": str(root)}, engine=engine)
    try:
        worker = None if no_worker else Worker(engine)
    except ValueError as error:  # a schedule that cannot be built
        click.echo(f"error: {error}", err=True)
        ctx.exit(1)
    click.echo(f"Serving {engine.app.id} on http://{host}:{port}/ (Ctrl+C to stop)")
    if worker is not None:
        worker.start()
    try:
        # Flask.run is werkzeug's threaded development server (no werkzeug out of web/).
        flask_app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)
    finally:
        if worker is not None:
            worker.stop()
