"""Role inheritance: a role has the permissions of the roles it `inherits:`, transitively.

`admin` is implicit: it is never declared and may do everything (see `permissions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from engine.spec.model import ADMIN_ROLE, AppSpec

__all__ = ["RoleTree"]


class RoleTree:
    """The roles of one app with their inherited roles resolved once."""

    def __init__(self, app: AppSpec) -> None:
        closures = {name: _closure(app, name) for name in app.roles}
        self.closures: Mapping[str, frozenset[str]] = MappingProxyType(closures)

    def expand(self, roles: Iterable[str]) -> frozenset[str]:
        """The roles and every role they inherit (unknown names are kept as they are)."""
        found: set[str] = set()
        for role in roles:
            found |= self.closures.get(role, frozenset({role}))
        return frozenset(found)

    def holds(self, roles: Iterable[str], role: str) -> bool:
        """True when `roles` include `role` directly or through inheritance."""
        expanded = self.expand(roles)
        return role in expanded or ADMIN_ROLE in expanded


def _closure(app: AppSpec, start: str) -> frozenset[str]:
    found = {start}
    pending = [start]
    while pending:
        spec = app.roles.get(pending.pop())
        for parent in spec.inherits if spec is not None else ():
            if parent not in found:
                found.add(parent)
                pending.append(parent)
    return frozenset(found)
