"""What every command shares: the project folder and the plugin registry built from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from engine.diagnostics import Diagnostic
from engine.plugins import Registry, default_registry

__all__ = ["CliContext", "pass_cli"]


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
