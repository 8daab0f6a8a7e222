"""`formwork new NAME --from TEMPLATE [--into DIR]`: clone an app folder into a new app.

TEMPLATE is an app folder, or the name of one in the project's `apps/`. The copy goes to
DIR/NAME (DIR: the template's own parent folder) with its app id renamed to NAME in
app.yaml — comments, layout and every other file kept as they are — and each file's
`yaml-language-server` line pointing at the project's schema from its new place. The copy
is checked before it is kept: a template with errors is refused and nothing is left
behind. Its tables are named after its own id and its default database is its own
(`instance/NAME.db`), so it migrates and serves beside the original.

Exit status: 0, 1 when the template is missing or invalid or NAME is taken or malformed,
2 for a usage error.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import click

from engine.cli.context import command_context
from engine.diagnostics import render_text
from engine.spec.check import check_app
from engine.spec.registry import ID_MAX_LENGTH, ID_PATTERN

__all__ = ["clone_app", "new_command"]

_APP_KEY = re.compile(r"^app:[ \t]*[^\s#]+", re.MULTILINE)
_MODELINE = re.compile(r"^# yaml-language-server: \$schema=\S+", re.MULTILINE)
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "instance", ".DS_Store")


class CloneRefused(Exception):
    """The clone cannot be made; the message says why."""


def clone_app(template: Path, name: str, into: Path, project_root: Path) -> Path:
    """Copy `template` to `into/name` with the app id `name`; the new folder (CloneRefused
    when the name is malformed or taken, or the template is not an app folder)."""
    if not re.match(ID_PATTERN, name) or len(name) > ID_MAX_LENGTH:
        raise CloneRefused(
            f"'{name}' is not a valid app name: use lower-case letters, digits and _, "
            f"starting with a letter, at most {ID_MAX_LENGTH} characters"
        )
    app_yaml = template / "app.yaml"
    if not app_yaml.is_file():
        raise CloneRefused(f"{template} is not an app folder (it has no app.yaml)")
    target = into / name
    if target.exists():
        raise CloneRefused(f"{target} exists already: choose another name or --into")
    shutil.copytree(template, target, ignore=_IGNORED)
    text = (target / "app.yaml").read_text(encoding="utf-8")
    renamed, count = _APP_KEY.subn(f"app: {name}", text, count=1)
    if count != 1:
        shutil.rmtree(target)
        raise CloneRefused(f"{app_yaml} has no top-level `app:` key to rename")
    (target / "app.yaml").write_text(renamed, encoding="utf-8")
    schema = (project_root / "schemas" / "app.schema.json").resolve()
    for path in sorted(target.rglob("*.yaml")):
        _point_at_schema(path, schema)
    return target


def _point_at_schema(path: Path, schema: Path) -> None:
    """Make the file's `yaml-language-server` line reach the schema from where it is now."""
    text = path.read_text(encoding="utf-8")
    relative = Path(os.path.relpath(schema, path.parent.resolve())).as_posix()
    updated = _MODELINE.sub(f"# yaml-language-server: $schema={relative}", text, count=1)
    if updated != text:
        path.write_text(updated, encoding="utf-8")


@click.command("new")
@click.argument("name")
@click.option("--from", "template", required=True, help="The app folder (or apps/ name) copied.")
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the new folder goes (default: beside the template).",
)
@click.pass_context
def new_command(ctx: click.Context, name: str, template: str, into: Path | None) -> None:
    """Clone the app TEMPLATE into a new, renamed app NAME."""
    cli = command_context(ctx)
    root = cli.project_root.resolve()
    source = Path(template)
    if not source.is_dir():
        source = root / "apps" / template
    if not source.is_dir():
        click.echo(f"error: no app folder '{template}' (nor apps/{template})", err=True)
        ctx.exit(1)
    destination = into if into is not None else source.resolve().parent
    try:
        made = clone_app(source, name, destination, root)
    except CloneRefused as refused:
        click.echo(f"error: {refused}", err=True)
        ctx.exit(1)
    result = check_app(made, cli.registry()[0])
    if not result.ok:
        shutil.rmtree(made)
        click.echo(render_text(result.diagnostics), err=True)
        click.echo(f"error: the template {source} has errors; nothing was created", err=True)
        ctx.exit(1)
    shown = os.path.relpath(made, Path.cwd())
    if shown.startswith(".."):
        shown = str(made)
    click.echo(f"Created {shown} (app '{name}') from {source}.")
    click.echo(f"Next: python run.py migrate {shown} && python run.py serve {shown} --port 5001")
