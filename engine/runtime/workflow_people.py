"""The people an approval step needs (role holders, managers, active users), read inside
the workflow action's transaction: the runtime's side of `engine.workflow.approvers.Directory`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.runtime.record_env import RelationLoader
from engine.storage.system_tables import SystemTables

__all__ = ["WorkflowDirectory"]


class WorkflowDirectory:
    """Role holders, managers and active users of one app, with per-action caches."""

    def __init__(self, connection: Connection, loader: RelationLoader, app: str) -> None:
        self.connection = connection
        self.loader = loader
        self.app = app
        self.system: SystemTables = loader.system
        self._roles: dict[str, list[str]] = {}
        self._active: dict[str, bool] = {}

    def role_members(self, role: str) -> Sequence[str]:
        """Active users holding `role` directly (inheriting roles does not make an approver)."""
        if role not in self._roles:
            roles, users = self.system.user_roles, self.system.users
            query = (
                sa.select(roles.c.username)
                .join(users, users.c.username == roles.c.username)
                .where(roles.c.app == self.app, roles.c.role == role, users.c.active.is_(True))
                .order_by(roles.c.username)
            )
            self._roles[role] = [str(name) for name in self.connection.scalars(query)]
        return self._roles[role]

    def manager_of(self, username: str) -> str | None:
        """The head of the user's team, or up the tree (never the user themself)."""
        return self.loader.manager_of(username)

    def is_active(self, username: str) -> bool:
        """True for an existing, active user."""
        if username not in self._active:
            users = self.system.users
            query = sa.select(users.c.active).where(users.c.username == username)
            self._active[username] = bool(self.connection.scalar(query))
        return self._active[username]
