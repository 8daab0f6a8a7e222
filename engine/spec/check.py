"""The `check` pipeline: load an app folder, validate it against the schema, build the spec
and check every reference, workflow and expression in it.

Phases run in order and each sees what the previous one produced; all diagnostics are
returned together, sorted, so an author sees every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from engine.spec.build import build_app
from engine.spec.document import SourceIndex
from engine.spec.folder import load_app_folder
from engine.spec.model import AppSpec
from engine.spec.references import validate_app
from engine.spec.registry import Registry
from engine.spec.schema import build_schema
from engine.spec.schema_check import SchemaReport, check_documents

__all__ = ["AppChecker", "CheckResult", "check_app", "schema_for"]


# A registry is immutable and an app server checks with the same one again and again: keep
# the schema of the last few (keyed by identity; the registry is kept alive with it, so an id
# is never reused while its entry exists). The schema's validators are cached by
# `schema_check` on the same identity, so a repeated check compiles nothing.
_SCHEMAS: dict[int, tuple[Registry, dict[str, Any]]] = {}
_SCHEMAS_KEPT = 4


def schema_for(registry: Registry) -> dict[str, Any]:
    """The app-folder JSON Schema of `registry`, built once per registry."""
    hit = _SCHEMAS.get(id(registry))
    if hit is not None and hit[0] is registry:
        return hit[1]
    schema = build_schema(registry)
    if len(_SCHEMAS) >= _SCHEMAS_KEPT:
        _SCHEMAS.pop(next(iter(_SCHEMAS)))
    _SCHEMAS[id(registry)] = (registry, schema)
    return schema


@dataclass(frozen=True)
class CheckResult:
    """What `check` found: the spec when it could be built, every diagnostic, and `ok`."""

    app: AppSpec | None
    diagnostics: list[Diagnostic]
    ok: bool
    # The loaded files' source maps: the runtime places a trace's YAML node at file:line.
    sources: SourceIndex | None = field(default=None, compare=False, repr=False)


@dataclass
class AppChecker:
    """Checks app folders against one registry; the JSON Schema is built once per checker."""

    registry: Registry
    registry_diagnostics: Sequence[Diagnostic] = ()
    _schema: dict[str, Any] | None = field(default=None, init=False, repr=False)

    @property
    def schema(self) -> dict[str, Any]:
        """The app-folder JSON Schema for this registry (built on first use)."""
        if self._schema is None:
            self._schema = schema_for(self.registry)
        return self._schema

    def check(self, app_dir: Path) -> CheckResult:
        """Run every phase over `app_dir` and collect all diagnostics, sorted."""
        diagnostics: list[Diagnostic] = list(self.registry_diagnostics)
        folder = load_app_folder(Path(app_dir))
        diagnostics.extend(folder.diagnostics)
        report = check_documents(folder.documents, folder.sources, self.schema)
        diagnostics.extend(_not_reported_by_loader(report, folder.diagnostics))
        app, build_diagnostics = build_app(folder, self.registry, report.rejected)
        diagnostics.extend(build_diagnostics)
        if app is not None:
            checked = validate_app(app, self.registry, folder.sources)
            diagnostics.extend(_not_reported_before(checked, diagnostics))
        ordered = sort_diagnostics(diagnostics)
        return CheckResult(
            app=app, diagnostics=ordered, ok=not has_errors(ordered), sources=folder.sources
        )


def _not_reported_before(
    checked: Sequence[Diagnostic], earlier: Sequence[Diagnostic]
) -> list[Diagnostic]:
    """The reference and expression diagnostics, without those at a node that reading or
    the schema already reported as an error: one problem of a node is said once, by the
    earliest phase (an approval without approvers is S101, not also R205)."""
    seen = {(d.file, d.pointer) for d in earlier if d.severity is Severity.ERROR}
    return [d for d in checked if (d.file, d.pointer) not in seen]


def _not_reported_by_loader(report: SchemaReport, loaded: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The schema's diagnostics, without those at a node the loader already reported (a
    recursive alias reads as nothing: "expected text, got nothing" would say it again)."""
    seen = {(d.file, d.pointer) for d in loaded if d.pointer}
    return [d for d in report.diagnostics if (d.file, d.pointer) not in seen]


def check_app(
    app_dir: Path,
    registry: Registry,
    *,
    registry_diagnostics: Sequence[Diagnostic] = (),
) -> CheckResult:
    """Check one app folder: load, schema, build, references; all diagnostics sorted."""
    checker = AppChecker(registry, registry_diagnostics)
    return checker.check(app_dir)
