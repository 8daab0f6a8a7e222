"""`formwork schema`: print the JSON Schema of app folders (built-ins plus plugins)."""

from __future__ import annotations

import click

from engine.cli.context import CliContext, pass_cli
from engine.diagnostics import has_errors, render_text
from engine.plugins.export import schema_text
from engine.spec.schema import build_schema

__all__ = ["schema_command"]


@click.command("schema")
@pass_cli
def schema_command(cli: CliContext) -> None:
    """Print the JSON Schema of app folders; plugin problems go to stderr (exit 1)."""
    registry, problems = cli.registry()
    click.echo(schema_text(build_schema(registry)), nl=False)
    if problems:
        click.echo(render_text(problems), err=True)
    click.get_current_context().exit(1 if has_errors(problems) else 0)
