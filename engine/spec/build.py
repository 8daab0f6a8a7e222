"""Building the frozen `AppSpec` from the loaded documents of an app folder.

Tolerant: a document that failed schema validation is skipped, but its kind and name are
remembered in `AppSpec.unbuilt`, so references to it do not cascade into more errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, Severity
from engine.spec.build_documents import build_automation, build_dashboard, build_suite, build_table
from engine.spec.build_entity import build_entity
from engine.spec.build_node import YamlNode
from engine.spec.document import Document
from engine.spec.folder import DEFAULT_INCLUDES, LoadedFolder
from engine.spec.model import AppSpec, RoleSpec
from engine.spec.model_values import frozen_map
from engine.spec.registry import Registry

__all__ = ["build_app"]

Builder = Callable[[str, YamlNode, Registry], Any]

_BUILDERS: Mapping[str, Builder] = {
    "entity": build_entity,
    "automation": build_automation,
    "table": lambda name, node, _registry: build_table(name, node),
    "dashboard": lambda name, node, _registry: build_dashboard(name, node),
    "suite": lambda name, node, _registry: build_suite(name, node),
}


def build_app(
    folder: LoadedFolder, registry: Registry, schema_diagnostics: Sequence[Diagnostic]
) -> tuple[AppSpec | None, list[Diagnostic]]:
    """Build the spec of a loaded folder; None when `app.yaml` is missing or invalid.

    The list is for problems only the builder can see. Today there are none: the loader
    reports duplicate names, the schema every ill-shaped node, `validate_app` the rest.
    """
    failed = _failed_files(schema_diagnostics)
    app_docs = [doc for doc in folder.documents if doc.kind == "app"]
    if not app_docs or app_docs[0].file in failed or not isinstance(app_docs[0].data, Mapping):
        return None, []
    diagnostics: list[Diagnostic] = []
    built: dict[str, dict[str, Any]] = {kind: {} for kind in _BUILDERS}
    unbuilt: dict[str, set[str]] = {kind: set() for kind in _BUILDERS}
    for doc in folder.documents:
        if doc.kind not in _BUILDERS or not isinstance(doc.name, str):
            continue
        if doc.file in failed or not isinstance(doc.data, Mapping):
            unbuilt[doc.kind].add(doc.name)
            continue
        if doc.name in built[doc.kind]:
            continue  # the loader reported the duplicate (Y113); the first one wins
        built[doc.kind][doc.name] = _BUILDERS[doc.kind](
            doc.name, YamlNode(doc.data, doc.loc), registry
        )
    app = _app_spec(app_docs[0], Path(folder.root), built, unbuilt)
    return app, diagnostics


def _failed_files(diagnostics: Iterable[Diagnostic]) -> frozenset[str]:
    return frozenset(d.file for d in diagnostics if d.severity is Severity.ERROR)


def _app_spec(
    doc: Document,
    root: Path,
    built: Mapping[str, Mapping[str, Any]],
    unbuilt: Mapping[str, set[str]],
) -> AppSpec:
    node = YamlNode(doc.data, doc.loc)
    roles = {
        name: RoleSpec(name, item.label("label"), item.names("inherits"), item.loc)
        for name, item in node.child("roles").items()
    }
    settings = {name: item.frozen() for name, item in node.child("settings").items()}
    return AppSpec(
        id=node.text("app", "") or "",
        title=node.label("title"),
        description=node.label("description"),
        version=node.integer("version"),
        locales=node.names("locales"),
        currency=node.text("currency"),
        timezone=node.text("timezone"),
        week_start=node.text("week_start", "monday") or "monday",
        roles=frozen_map(roles),
        entities=frozen_map(built["entity"]),
        automations=frozen_map(built["automation"]),
        tables=frozen_map(built["table"]),
        dashboards=frozen_map(built["dashboard"]),
        suites=frozen_map(built["suite"]),
        plugins=node.names("plugins"),
        settings=frozen_map(settings),
        includes=node.names("includes") or DEFAULT_INCLUDES,
        root=root,
        loc=doc.loc,
        unbuilt=frozen_map({kind: frozenset(names) for kind, names in unbuilt.items()}),
    )
