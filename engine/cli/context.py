"""What every command shares: the project folder, the plugin registry built from it, and
loading an app's engine with its errors reported the same way."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click

from engine.diagnostics import Diagnostic, render_text
from engine.errors import AppInvalid
from engine.plugins import Registry, default_registry
from engine.runtime.engine import Engine

__all__ = ["CliContext", "command_context", "load_engine", "pass_cli"]

PROJECT_ROOT_ENV = "FORMWORK_PROJECT_ROOT"


@dataclass
class CliContext:
    """The project a command runs in; the registry is collected on first use."""

    project_root: Path
    _registry: tuple[Registry, list[Diagnostic]] | None = field(default=None, repr=False)

    def registry(self) -> tuple[Registry, list[Diagnostic]]:
        """The project's plugin registry and the problems met while collecting it."""
        if self._registry is None:
            self._registry = default_registry(self.project_root)
        return self._registry


pass_cli = click.make_pass_decorator(CliContext, ensure=False)


def command_context(ctx: click.Context) -> CliContext:
    """The command's context; a command invoked on its own (tests) reads the project folder
    from `FORMWORK_PROJECT_ROOT` (default: the working directory)."""
    found = ctx.find_object(CliContext)
    if found is not None:
        return found
    return CliContext(Path(os.environ.get(PROJECT_ROOT_ENV, ".")))


def load_engine(ctx: click.Context, app_dir: Path, *, then: str) -> Engine:
    """The app's engine over its database; when the app has errors, print them and what to
    do (`then`: what the command will do once they are fixed) and exit with status 1."""
    cli = command_context(ctx)
    root = cli.project_root.resolve()
    try:
        return Engine.load(app_dir, project_root=root, registry=cli.registry()[0])
    except AppInvalid as problem:
        click.echo(render_text(problem.diagnostics), err=True)  # type: ignore[arg-type]
        click.echo(f"The app has errors: fix them (`formwork check`), then {then}.", err=True)
        ctx.exit(1)
        raise  # unreachable: ctx.exit raises
