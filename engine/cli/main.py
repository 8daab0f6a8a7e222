"""The `formwork` click group (`python run.py COMMAND` is the same): commands are added here."""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.check import check_command
from engine.cli.context import CliContext
from engine.cli.graph import graph_command
from engine.cli.migrate import migrate
from engine.cli.new import new_command
from engine.cli.recompute import recompute_command
from engine.cli.runs import runs_command
from engine.cli.schema import schema_command
from engine.cli.seed import seed
from engine.cli.serve import serve
from engine.cli.token import token
from engine.cli.users import users
from engine.cli.worker import worker_command

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    "project_root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    envvar="FORMWORK_PROJECT_ROOT",
    help="Project folder: its plugins/ folder is loaded.",
)
@click.pass_context
def main(ctx: click.Context, project_root: Path) -> None:
    """Formwork: forms, workflows and automations from folders of YAML."""
    ctx.obj = CliContext(project_root)


main.add_command(check_command)
main.add_command(graph_command)
main.add_command(migrate)
main.add_command(new_command)
main.add_command(recompute_command)
main.add_command(runs_command)
main.add_command(schema_command)
main.add_command(seed)
main.add_command(serve)
main.add_command(token)
main.add_command(users)
main.add_command(worker_command)
