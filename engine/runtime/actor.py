"""`Actor`: who is acting — a user with their roles in one app and their place in the team
tree — or the system itself (the worker, migrations, seeding).

`roles` are the roles assigned to the user in the app, as stored; inheritance between
roles is resolved by `engine.runtime.permissions`. `team_ids` is the user's main team and
every team below it, computed once when the actor is loaded, so a `subteams` scope is a
plain `IN` list in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Actor"]


@dataclass(frozen=True)
class Actor:
    """A user acting in one app (or the system, when `is_system`)."""

    username: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    team_id: int | None = None
    team_ids: frozenset[int] = field(default_factory=frozenset)
    is_admin: bool = False
    locale: str | None = None
    is_system: bool = False

    @classmethod
    def system(cls, locale: str | None = None) -> Actor:
        """The engine itself: may do everything; `me()` is None for it."""
        return cls(username=None, is_admin=True, locale=locale, is_system=True)

    @property
    def label(self) -> str:
        """How the actor is named in messages and logs."""
        return self.username if self.username is not None else "system"
