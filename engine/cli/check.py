"""`formwork check APP_DIR`: validate an app folder and print every diagnostic.

The app's demo recipe (`seed/demo.yaml`), when it has one, is checked too — its shape and
what it names in the app (D1xx, docs/seeding.md) — so a broken recipe is found by `check`,
not only when someone runs `seed`. It is checked once the app itself has no errors: a
recipe read against a half-broken spec would report the app's mistakes again as its own.
When the app's database exists, records in states the workflow no longer has are looked
for as well (R211, `engine.cli.check_states`).

Exit status: 0 when there are no errors (warnings allowed), 1 when there are, 2 for a
usage error (click's convention, e.g. a path that is not a folder).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import click

from engine.cli.check_states import database_diagnostics
from engine.cli.context import CliContext, pass_cli
from engine.diagnostics import (
    Diagnostic,
    has_errors,
    render_json,
    render_text,
    sort_diagnostics,
)
from engine.seeding import DEMO_RECIPE, load_recipe
from engine.spec.check import CheckResult, check_app

__all__ = ["check_command", "recipe_diagnostics", "relocate"]

_LOCATION = re.compile(r"^(?P<file>[^:\s]+)(?P<rest>:\d+:\d+.*)$")


@click.command("check")
@click.argument(
    "app_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Diagnostics as text (path:line:col: …) or as one JSON document.",
)
@pass_cli
def check_command(cli: CliContext, app_dir: Path, output_format: str) -> None:
    """Validate the app folder APP_DIR; exit 1 when it has errors."""
    registry, registry_problems = cli.registry()
    result = check_app(app_dir, registry)
    found = sort_diagnostics(
        [
            *result.diagnostics,
            *recipe_diagnostics(app_dir, result),
            *database_diagnostics(app_dir, result, registry),  # states in use (R211)
        ]
    )
    # App diagnostics name files inside APP_DIR: show them as paths from here, so that
    # editors and terminals can open them; registry problems are relative to the project.
    diagnostics = [*registry_problems, *(relocate(d, app_dir) for d in found)]
    render = render_json if output_format == "json" else render_text
    click.echo(render(diagnostics))
    click.get_current_context().exit(1 if has_errors(diagnostics) else 0)


def recipe_diagnostics(app_dir: Path, result: CheckResult) -> list[Diagnostic]:
    """The problems of the app's demo recipe (files relative to `app_dir`); none when the
    app has no recipe, or has errors of its own (see the module docstring)."""
    if not result.ok or result.app is None or not (app_dir / DEMO_RECIPE).is_file():
        return []
    _, problems = load_recipe(app_dir, result.app)
    return problems


def relocate(diagnostic: Diagnostic, app_dir: Path) -> Diagnostic:
    """The diagnostic with its file (and related locations) prefixed by `app_dir`."""
    if not diagnostic.file:
        return diagnostic
    related = tuple(_relocate_related(entry, app_dir) for entry in diagnostic.related)
    file = (app_dir / diagnostic.file).as_posix()
    return replace(diagnostic, file=file, related=related)


def _relocate_related(entry: str, app_dir: Path) -> str:
    match = _LOCATION.match(entry)
    if match is None or not (app_dir / match["file"]).is_file():
        return entry
    return (app_dir / match["file"]).as_posix() + match["rest"]
