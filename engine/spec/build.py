"""Building the frozen `AppSpec` from the loaded documents of an app folder.

Tolerant, node by node: a node the schema rejected (see `schema_check.SchemaReport`) is
left out as if it were not written — a mapping keeps the key with no value, so the default
applies; a list keeps a hole, so the positions of the other items do not move — and the
rest of the document is built and checked. `AppSpec.incomplete` keeps where that happened,
so the checks know which keys may only be missing because they were misspelt. A file that
could not be parsed is remembered in `AppSpec.unbuilt` (by the kind and name its first line
gives), so references to it do not cascade into "unknown" errors.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic
from engine.spec.build_documents import build_automation, build_dashboard, build_suite, build_table
from engine.spec.build_entity import build_entity
from engine.spec.build_node import YamlNode
from engine.spec.build_workflow import DEFAULT_STATE_FIELD
from engine.spec.document import Loc
from engine.spec.folder import DEFAULT_INCLUDES, LoadedFolder
from engine.spec.model import AppSpec, CalendarDaySpec, CalendarSpec, EntitySpec, RoleSpec
from engine.spec.model_values import frozen_map
from engine.spec.registry import Registry
from engine.spec.sourcemap import parent_pointer, split_pointer

__all__ = ["build_app", "without"]

Builder = Callable[[str, YamlNode, Registry], Any]

_BUILDERS: Mapping[str, Builder] = {
    "entity": build_entity,
    "automation": build_automation,
    "table": lambda name, node, _registry: build_table(name, node),
    "dashboard": lambda name, node, _registry: build_dashboard(name, node),
    "suite": lambda name, node, _registry: build_suite(name, node),
}


def build_app(
    folder: LoadedFolder,
    registry: Registry,
    rejected: Mapping[str, Collection[str]] | None = None,
) -> tuple[AppSpec | None, list[Diagnostic]]:
    """Build the spec of a loaded folder, leaving out the `rejected` nodes (file → JSON
    pointers); None when there is no `app.yaml` document.

    The list is for problems only the builder can see. Today there are none: the loader
    reports duplicate names, the schema every ill-shaped node, `validate_app` the rest.
    """
    rejected = rejected or {}
    app_docs = [doc for doc in folder.documents if doc.kind == "app"]
    if not app_docs or not isinstance(app_docs[0].data, Mapping):
        return None, []
    built: dict[str, dict[str, Any]] = {kind: {} for kind in _BUILDERS}
    unbuilt: dict[str, set[str]] = {kind: set() for kind in _BUILDERS}
    for kind, name in folder.unparsed:
        if kind in unbuilt:
            unbuilt[kind].add(name)
    for doc in folder.documents:
        if doc.kind not in _BUILDERS or not isinstance(doc.name, str):
            continue
        data = without(doc.data, rejected.get(doc.file, ()))
        if not isinstance(data, Mapping):
            unbuilt[doc.kind].add(doc.name)
            continue
        if doc.name in built[doc.kind]:
            continue  # the loader reported the duplicate (Y113); the first one wins
        spec = _BUILDERS[doc.kind](doc.name, YamlNode(data, doc.loc), registry)
        if isinstance(spec, EntitySpec):
            spec = _with_unknown_workflow(spec, rejected.get(doc.file, ()))
        built[doc.kind][doc.name] = spec
    for kind, names in built.items():
        unbuilt[kind] -= set(names)
    app_doc = app_docs[0]
    app_data = without(app_doc.data, rejected.get(app_doc.file, ()))
    app = _app_spec(YamlNode(app_data, app_doc.loc), Path(folder.root), built, unbuilt)
    return dataclasses.replace(app, incomplete=_incomplete(rejected)), []


def _incomplete(rejected: Mapping[str, Collection[str]]) -> frozenset[Loc]:
    """Each rejected node and the node that holds it."""
    return frozenset(
        Loc(file, pointer)
        for file, pointers in rejected.items()
        for rejected_pointer in pointers
        for pointer in (rejected_pointer, parent_pointer(rejected_pointer))
    )


def _with_unknown_workflow(entity: EntitySpec, rejected: Collection[str]) -> EntitySpec:
    """An entity without a workflow because the schema rejected it (or a key that looks
    like `workflow:` misspelt): its state field — `status` unless said otherwise — is not
    known to be missing, so it counts as declared but unbuilt."""
    if entity.workflow is not None or DEFAULT_STATE_FIELD in entity.fields:
        return entity
    top = [split_pointer(p)[0] for p in rejected if p and parent_pointer(p) == ""]
    if not difflib.get_close_matches("workflow", top, n=1, cutoff=0.6):
        return entity
    unbuilt = entity.unbuilt_fields | {DEFAULT_STATE_FIELD}
    return dataclasses.replace(entity, unbuilt_fields=unbuilt)


def without(data: Any, pointers: Collection[str]) -> Any:
    """A copy of `data` where the node at each pointer is None (the root: None itself);
    only the containers on the way are copied."""
    for pointer in sorted(pointers, key=len):
        data = _replaced(data, split_pointer(pointer))
    return data


def _replaced(data: Any, tokens: list[str]) -> Any:
    if not tokens:
        return None
    head, rest = tokens[0], tokens[1:]
    if isinstance(data, Mapping) and head in data:
        copy = dict(data)
        copy[head] = _replaced(data[head], rest)
        return copy
    if isinstance(data, list) and head.isdigit() and int(head) < len(data):
        items = list(data)
        items[int(head)] = _replaced(data[int(head)], rest)
        return items
    return data


def _app_spec(
    node: YamlNode,
    root: Path,
    built: Mapping[str, Mapping[str, Any]],
    unbuilt: Mapping[str, set[str]],
) -> AppSpec:
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
        loc=node.loc,
        unbuilt=frozen_map({kind: frozenset(names) for kind, names in unbuilt.items()}),
        calendar=_calendar(node.child("calendar")),
    )


def _calendar(node: YamlNode) -> CalendarSpec:
    """The `calendar:` lists as written (texts only; `check` says which are not days)."""

    def days(key: str) -> tuple[CalendarDaySpec, ...]:
        return tuple(
            CalendarDaySpec(item.data, item.loc)
            for _, item in node.child(key).elements()
            if isinstance(item.data, str)
        )

    return CalendarSpec(days("holidays"), days("workdays"))
