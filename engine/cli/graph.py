"""`formwork graph APP_DIR ENTITY`: print an entity's workflow as a diagram.

Mermaid (`stateDiagram-v2`, the default: GitHub and most Markdown viewers draw it) or
Graphviz DOT (`dot -Tsvg`). Labels are in the app's default locale unless `--locale` names
another of its locales. Exit status: 0 printed, 1 when the app has errors, 2 for a usage
error (an unknown entity or locale, or an entity without a workflow).
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.check import relocate
from engine.cli.context import CliContext, pass_cli
from engine.diagnostics import did_you_mean, has_errors, render_text
from engine.spec.check import check_app
from engine.spec.model import AppSpec
from engine.spec.model_workflow import WorkflowSpec
from engine.workflow.diagram import FORMATS, diagram_of, render

__all__ = ["graph_command"]


@click.command("graph")
@click.argument(
    "app_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.argument("entity")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="mermaid",
    show_default=True,
    help="Mermaid state diagram or Graphviz DOT.",
)
@click.option("--locale", default=None, help="Label language (default: the app's first locale).")
@pass_cli
def graph_command(
    cli: CliContext, app_dir: Path, entity: str, output_format: str, locale: str | None
) -> None:
    """Print the workflow of ENTITY in the app in APP_DIR as a diagram."""
    ctx = click.get_current_context()
    registry, registry_problems = cli.registry()
    result = check_app(app_dir, registry)
    diagnostics = [*registry_problems, *(relocate(d, app_dir) for d in result.diagnostics)]
    if result.app is None or has_errors(diagnostics):
        click.echo(render_text(diagnostics), err=True)
        click.echo("The app has errors: fix them, then draw its workflow.", err=True)
        ctx.exit(1)
    app = result.app
    assert app is not None
    workflow = _workflow_of(app, entity)
    chosen = _locale(app, locale)
    click.echo(render(diagram_of(entity, workflow, chosen), output_format), nl=False)


def _workflow_of(app: AppSpec, entity: str) -> WorkflowSpec:
    spec = app.entities.get(entity)
    if spec is None:
        hint = did_you_mean(entity, app.entities)
        known = ", ".join(sorted(app.entities)) or "none"
        message = f"the app '{app.id}' has no entity '{entity}'"
        message += f"; {hint}" if hint else f" (entities: {known})"
        raise click.BadParameter(message, param_hint="'ENTITY'")
    if spec.workflow is None or not spec.workflow.states:
        with_workflow = sorted(n for n, e in app.entities.items() if e.workflow is not None)
        listed = ", ".join(with_workflow) if with_workflow else "none in this app"
        raise click.BadParameter(
            f"'{entity}' has no workflow to draw (entities with a workflow: {listed})",
            param_hint="'ENTITY'",
        )
    return spec.workflow


def _locale(app: AppSpec, locale: str | None) -> str:
    if locale is None:
        return app.default_locale
    if app.locales and locale not in app.locales:
        hint = did_you_mean(locale, app.locales)
        message = f"the app '{app.id}' has no locale '{locale}' (its locales: "
        message += ", ".join(app.locales) + ")"
        raise click.BadParameter(message + (f"; {hint}" if hint else ""), param_hint="'--locale'")
    return locale
