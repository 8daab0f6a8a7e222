"""`AppRuntime`: the built, immutable runtime of one app that the services share — the
spec, its tables, the compiled entities, permissions, evaluation contexts and how inputs
are read. Built once by `engine.runtime.engine.Engine`; nothing in it changes afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import NotFound
from engine.runtime.clock import Clock
from engine.runtime.compiled_entity import CompiledEntity
from engine.runtime.contexts import ContextFactory
from engine.runtime.permissions import Permissions
from engine.runtime.record_store import RecordStore
from engine.runtime.roles import RoleTree
from engine.runtime.values import InputContext
from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.tables import AppTables

__all__ = ["AppRuntime"]


@dataclass(frozen=True)
class AppRuntime:
    """Everything the record service reads, built at load."""

    app: AppSpec
    registry: Registry
    tables: AppTables
    store: RecordStore
    compiled: Mapping[str, CompiledEntity]
    roles: RoleTree
    contexts: ContextFactory
    permissions: Permissions
    inputs: InputContext
    clock: Clock

    def entity(self, name: str) -> CompiledEntity:
        """The compiled entity `name` (NotFound when the app has none)."""
        found = self.compiled.get(name)
        if found is None:
            raise NotFound(f"the app '{self.app.id}' has no entity '{name}'")
        return found

    def locale_of(self, locale: str | None) -> str:
        """The locale messages are written in: the actor's, else the app's default."""
        return locale or self.app.default_locale
