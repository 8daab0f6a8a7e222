"""`PeopleService`: users, teams (a tree, each with a manager), memberships (a user's main
team), roles per app, and API tokens — the `fw_*` people tables of docs/architecture.md.

Passwords are hashed by `engine.runtime.passwords`; of a token only its SHA-256 is stored,
so a leaked database does not leak working tokens. `load_actor` turns a username into the
`Actor` the record service checks permissions for.

Changes of someone's main team — `set_team`, `create_user` or `update_user` with a team,
deactivating (leaving) and reactivating (joining) — are announced to the listeners (each
loaded app's `AutomationService`: `membership` triggers) inside the same transaction: a
rule that fails rolls the change back, and its trace is stored after the rollback.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import AutomationFailed, BadRequest, NotFound
from engine.runtime.actor import Actor
from engine.runtime.clock import Clock
from engine.runtime.directory import (
    Directory,
    MembershipChange,
    Team,
    User,
    membership_changes,
    team_of_row,
    user_of,
)
from engine.runtime.passwords import DEFAULT_ITERATIONS, hash_password, needs_rehash
from engine.runtime.passwords import verify_password as password_matches
from engine.runtime.record_store import inserted_id
from engine.storage.database import Database
from engine.storage.system_tables import SystemTables

__all__ = [
    "KEEP",
    "USERNAME_PATTERN",
    "Keep",
    "MembershipListener",
    "PeopleService",
    "Team",
    "User",
    "token_digest",
]

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
TOKEN_BYTES = 32
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
"""How stale a token's `last_used_at` may get before a request writes it again: writing it
on every API request would make every read a write."""


class Keep(enum.Enum):
    """The type of `KEEP`: a default distinct from None, for arguments where None is itself
    a value to store (a team's parent: None makes it a root team)."""

    KEEP = "keep"


KEEP = Keep.KEEP
"""Leave this as it is (the default of `update_team`'s `parent_id`)."""


class MembershipListener(Protocol):
    """Hears who joined or left which team, inside the transaction that changed it."""

    def membership_changed(
        self, connection: Connection, changes: Sequence[MembershipChange]
    ) -> None:
        """Run what the changes fire (AutomationFailed: the change must roll back)."""
        ...

    def record_failure(self, error: AutomationFailed) -> None:
        """Keep a failed run's trace once the transaction has rolled back."""
        ...


def token_digest(token: str) -> str:
    """The SHA-256 (hex) of a token: what `fw_tokens` stores."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class PeopleService:
    """Users, teams, memberships, roles and tokens in one database."""

    def __init__(
        self,
        db: Database,
        system: SystemTables,
        clock: Clock,
        *,
        password_iterations: int = DEFAULT_ITERATIONS,
    ) -> None:
        self.db = db
        self.system = system
        self.clock = clock
        self.password_iterations = password_iterations
        self.rows = Directory(system)
        self.listeners: list[MembershipListener] = []
        # Built once: every API request runs them (see `actor_for_token`).
        tokens = system.tokens
        self._token_query = sa.select(tokens.c.id, tokens.c.username, tokens.c.last_used_at).where(
            tokens.c.token_hash == sa.bindparam("digest"), tokens.c.revoked_at.is_(None)
        )
        self._touch_token = (
            tokens.update()
            .where(tokens.c.id == sa.bindparam("token_id"))
            .values(last_used_at=sa.bindparam("now"))
        )

    # -- users ------------------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        *,
        name: str | None = None,
        email: str | None = None,
        password: str | None = None,
        locale: str | None = None,
        is_admin: bool = False,
        team_id: int | None = None,
    ) -> User:
        """Add a user (BadRequest when the name is taken or malformed)."""
        if not USERNAME_PATTERN.match(username):
            raise BadRequest(
                f"'{username}' is not a valid username: use 1–64 letters, digits and . _ @ -, "
                "starting with a letter or digit"
            )
        hashed = self._hash(password) if password is not None else None
        users = self.system.users
        with self._membership() as (connection, changes):
            if self.rows.user_row(connection, username) is not None:
                raise BadRequest(f"the user '{username}' already exists")
            connection.execute(
                users.insert().values(
                    username=username,
                    display_name=name,
                    email=email,
                    password_hash=hashed,
                    locale=locale,
                    active=True,
                    is_admin=is_admin,
                    created_at=self.clock.now(),
                )
            )
            if team_id is not None:
                changes.extend(self.rows.set_team(connection, username, team_id))
        return self.get_user(username)

    def update_user(
        self,
        username: str,
        *,
        name: str | None = None,
        email: str | None = None,
        locale: str | None = None,
        is_admin: bool | None = None,
        team_id: int | Keep | None = KEEP,
    ) -> User:
        """Change a user's details; arguments left None stay as they are, and so does the
        main team unless `team_id` is given (None: no team)."""
        given = {"display_name": name, "email": email, "locale": locale, "is_admin": is_admin}
        values = {key: value for key, value in given.items() if value is not None}
        with self._membership() as (connection, changes):
            self.rows.require_user(connection, username)
            if values:
                users = self.system.users
                connection.execute(
                    users.update().where(users.c.username == username).values(**values)
                )
            if not isinstance(team_id, Keep):
                changes.extend(self.rows.set_team(connection, username, team_id))
        return self.get_user(username)

    def set_password(self, username: str, password: str) -> None:
        """Store a new password for the user (hashed)."""
        hashed = self._hash(password)
        users = self.system.users
        with self.db.begin() as connection:
            self.rows.require_user(connection, username)
            connection.execute(
                users.update().where(users.c.username == username).values(password_hash=hashed)
            )

    def verify_password(self, username: str, password: str) -> bool:
        """True when the user exists, is active and the password matches; an old-format
        hash is upgraded on the way."""
        with self.db.begin(readonly=True) as connection:
            row = self.rows.user_row(connection, username)
        if row is None or not row.active or not password_matches(password, row.password_hash):
            return False
        if needs_rehash(row.password_hash, iterations=self.password_iterations):
            self.set_password(username, password)
        return True

    def set_active(self, username: str, active: bool) -> None:
        """Deactivate (or reactivate) a user: an inactive user cannot log in or use tokens,
        and has left their team (reactivated, they join it again)."""
        users = self.system.users
        with self._membership() as (connection, changes):
            row = self.rows.require_user(connection, username)
            if bool(row.active) == active:
                return
            connection.execute(
                users.update().where(users.c.username == username).values(active=active)
            )
            team_id = self.rows.team_of(connection, username)
            before, after = (None, team_id) if active else (team_id, None)
            changes.extend(membership_changes(username, before, after))

    def deactivate(self, username: str) -> None:
        """Stop a user from logging in; their records and history stay."""
        self.set_active(username, False)

    def get_user(self, username: str) -> User:
        """The user (NotFound when there is none)."""
        with self.db.begin(readonly=True) as connection:
            row = self.rows.require_user(connection, username)
            team_id = self.rows.team_of(connection, username)
        return user_of(row, team_id)

    def list_users(self) -> list[User]:
        """Every user, by username."""
        users, memberships = self.system.users, self.system.memberships
        query = (
            sa.select(users, memberships.c.team_id)
            .select_from(users.outerjoin(memberships, memberships.c.username == users.c.username))
            .order_by(users.c.username)
        )
        with self.db.begin(readonly=True) as connection:
            return [user_of(row, row.team_id) for row in connection.execute(query)]

    def user_exists(self, connection: Connection, username: str, *, active: bool = True) -> bool:
        """True when the user exists (and is active, unless `active=False`)."""
        row = self.rows.user_row(connection, username)
        return row is not None and (bool(row.active) or not active)

    # -- teams ------------------------------------------------------------------------------

    def create_team(
        self, name: str, *, parent_id: int | None = None, manager: str | None = None
    ) -> Team:
        """Add a team under `parent_id` (a root team when None), headed by `manager`."""
        teams = self.system.teams
        with self.db.begin() as connection:
            if self.rows.team_by_name(connection, name) is not None:
                raise BadRequest(f"a team named '{name}' already exists")
            if parent_id is not None:
                self.rows.require_team(connection, parent_id)
            if manager is not None:
                self.rows.require_user(connection, manager)
            result = connection.execute(
                teams.insert().values(name=name, parent_id=parent_id, manager=manager)
            )
            team_id = inserted_id(result)
        return self.get_team(team_id)

    def update_team(
        self,
        team_id: int,
        *,
        name: str | None = None,
        parent_id: int | Keep | None = KEEP,
        manager: str | None = None,
    ) -> Team:
        """Rename a team, move it under another parent (`parent_id=None`: make it a root
        team; `KEEP`, the default: leave it where it is), or change its manager; `name` and
        `manager` left None stay as they are."""
        teams = self.system.teams
        values: dict[str, object] = {}
        with self.db.begin() as connection:
            self.rows.require_team(connection, team_id)
            if name is not None:
                if (other := self.rows.team_by_name(connection, name)) is not None and (
                    other.id != team_id
                ):
                    raise BadRequest(f"a team named '{name}' already exists")
                values["name"] = name
            if isinstance(parent_id, int):
                if parent_id in self.rows.subtree(connection, team_id):
                    raise BadRequest("a team cannot be moved under itself or its own sub-team")
                self.rows.require_team(connection, parent_id)
                values["parent_id"] = parent_id
            elif parent_id is None:
                values["parent_id"] = None
            if manager is not None:
                self.rows.require_user(connection, manager)
                values["manager"] = manager
            if values:
                connection.execute(teams.update().where(teams.c.id == team_id).values(**values))
        return self.get_team(team_id)

    def get_team(self, team_id: int) -> Team:
        """The team (NotFound when there is none)."""
        with self.db.begin(readonly=True) as connection:
            return team_of_row(self.rows.require_team(connection, team_id))

    def team_by_name(self, name: str) -> Team:
        """The team called `name` (NotFound when there is none)."""
        with self.db.begin(readonly=True) as connection:
            row = self.rows.team_by_name(connection, name)
        if row is None:
            raise NotFound(f"there is no team named '{name}'")
        return team_of_row(row)

    def list_teams(self) -> list[Team]:
        """Every team, by id."""
        teams = self.system.teams
        with self.db.begin(readonly=True) as connection:
            rows = connection.execute(sa.select(teams).order_by(teams.c.id))
            return [team_of_row(row) for row in rows]

    def subteam_ids(self, team_id: int) -> frozenset[int]:
        """The team and every team below it."""
        with self.db.begin(readonly=True) as connection:
            return self.rows.subtree(connection, team_id)

    def set_team(self, username: str, team_id: int | None) -> None:
        """Make `team_id` the user's main team (None: no team). A move is leaving the old
        team, then joining the new one; `membership` rules run in the same transaction
        (AutomationFailed when one fails: nothing changed)."""
        with self._membership() as (connection, changes):
            self.rows.require_user(connection, username)
            changes.extend(self.rows.set_team(connection, username, team_id))

    # -- membership listeners ---------------------------------------------------------------

    def listen(self, listener: MembershipListener) -> None:
        """Announce membership changes to `listener` (an app's automations)."""
        if listener not in self.listeners:
            self.listeners.append(listener)

    def stop_listening(self, listener: MembershipListener) -> None:
        """Stop announcing to `listener` (its engine was closed)."""
        if listener in self.listeners:
            self.listeners.remove(listener)

    @contextmanager
    def _membership(self) -> Iterator[tuple[Connection, list[MembershipChange]]]:
        """A write transaction; the membership changes the body collects are announced to
        every listener before it commits. A failing rule rolls it all back, and the
        listener whose rule failed stores the run's trace afterwards."""
        changes: list[MembershipChange] = []
        failed: list[MembershipListener] = []
        try:
            with self.db.begin() as connection:
                yield connection, changes
                if changes:
                    self._announce(connection, changes, failed)
        except AutomationFailed as error:
            for listener in failed:
                listener.record_failure(error)
            raise

    def _announce(
        self,
        connection: Connection,
        changes: Sequence[MembershipChange],
        failed: list[MembershipListener],
    ) -> None:
        for listener in tuple(self.listeners):
            try:
                listener.membership_changed(connection, tuple(changes))
            except AutomationFailed:
                failed.append(listener)
                raise

    # -- roles ------------------------------------------------------------------------------

    def roles_of(self, app: str, username: str) -> frozenset[str]:
        """The roles assigned to the user in `app` (inherited roles are not added)."""
        with self.db.begin(readonly=True) as connection:
            return self.rows.roles(connection, app, username)

    def grant_role(self, app: str, username: str, role: str) -> None:
        """Give the user `role` in `app` (nothing happens when they have it)."""
        user_roles = self.system.user_roles
        with self.db.begin() as connection:
            self.rows.require_user(connection, username)
            if role in self.rows.roles(connection, app, username):
                return
            connection.execute(user_roles.insert().values(app=app, username=username, role=role))

    def revoke_role(self, app: str, username: str, role: str) -> None:
        """Take `role` in `app` away from the user."""
        user_roles = self.system.user_roles
        with self.db.begin() as connection:
            self.rows.require_user(connection, username)
            connection.execute(
                user_roles.delete().where(
                    user_roles.c.app == app,
                    user_roles.c.username == username,
                    user_roles.c.role == role,
                )
            )

    def usernames_with_roles(self, app: str, roles: Iterable[str]) -> list[str]:
        """Active users holding any of `roles` in `app` (as assigned), by username."""
        users, user_roles = self.system.users, self.system.user_roles
        query = (
            sa.select(user_roles.c.username)
            .distinct()
            .join(users, users.c.username == user_roles.c.username)
            .where(user_roles.c.app == app, user_roles.c.role.in_(list(roles)), users.c.active)
            .order_by(user_roles.c.username)
        )
        with self.db.begin(readonly=True) as connection:
            return [str(name) for name in connection.scalars(query)]

    # -- actors and tokens ------------------------------------------------------------------

    def load_actor(self, username: str, app: str) -> Actor:
        """The actor for an active user in `app` (NotFound for unknown or inactive users)."""
        with self.db.begin(readonly=True) as connection:
            return self._actor(connection, username, app)

    def create_token(self, username: str) -> str:
        """Issue an API token for the user; the token is returned once, only its hash kept."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        tokens = self.system.tokens
        with self.db.begin() as connection:
            self.rows.require_user(connection, username)
            connection.execute(
                tokens.insert().values(
                    token_hash=token_digest(token), username=username, created_at=self.clock.now()
                )
            )
        return token

    def actor_for_token(self, token: str, app: str) -> Actor | None:
        """The actor a bearer token stands for (None when unknown, revoked or the user is
        inactive); notes when the token was last used (at most every TOKEN_TOUCH_INTERVAL)."""
        with self.db.begin() as connection:
            row = connection.execute(self._token_query, {"digest": token_digest(token)}).first()
            if row is None:
                return None
            try:
                actor = self._actor(connection, row.username, app)
            except NotFound:  # the user is gone or inactive
                return None
            now = self.clock.now()
            if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
                connection.execute(self._touch_token, {"token_id": row.id, "now": now})
            return actor

    def revoke_token(self, token: str) -> bool:
        """Revoke a token; False when it was unknown or already revoked."""
        tokens = self.system.tokens
        with self.db.begin() as connection:
            result = connection.execute(
                tokens.update()
                .where(tokens.c.token_hash == token_digest(token), tokens.c.revoked_at.is_(None))
                .values(revoked_at=self.clock.now())
            )
            return bool(result.rowcount)

    # -- inside a transaction ---------------------------------------------------------------

    def _hash(self, password: str) -> str:
        if not password:
            raise BadRequest("a password must not be empty")
        return hash_password(password, iterations=self.password_iterations)

    def _actor(self, connection: Connection, username: str, app: str) -> Actor:
        row = self.rows.user_row(connection, username)
        if row is None or not row.active:
            raise NotFound(f"there is no active user '{username}'")
        team_id = self.rows.team_of(connection, username)
        team_ids = self.rows.subtree(connection, team_id) if team_id is not None else frozenset()
        return Actor(
            username=username,
            roles=self.rows.roles(connection, app, username),
            team_id=team_id,
            team_ids=team_ids,
            is_admin=bool(row.is_admin),
            locale=row.locale,
        )
