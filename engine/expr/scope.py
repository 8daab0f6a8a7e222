"""The names an expression may use: symbols, their types and their members.

A :data:`Scope` maps top-level names (a record's fields, `this`, `old`, …) to
:class:`Symbol` values. A symbol that is a relation (a link, a user, a team, a subform)
exposes `members` through a zero-argument callable, so cyclic relations such as
`owner.manager.manager` are followed lazily. The spec layer builds scopes from entity
definitions; the user and team shapes are defined once here so every layer agrees on them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from engine.expr.types import ValueType

__all__ = [
    "MemberWords",
    "Members",
    "Scope",
    "Symbol",
    "record_symbol",
    "team_members",
    "team_symbol",
    "user_members",
    "user_symbol",
]

Members = Callable[[], Mapping[str, "Symbol"]]
"""A lazily evaluated member table (called when a dotted path goes through the symbol)."""


@dataclass(frozen=True, slots=True)
class MemberWords:
    """How a message names a symbol's members when one is unknown: "unknown output 'x'
    of decision table 'bonus_tiers'" (noun "output", owner "of decision table …")."""

    noun: str
    owner: str


@dataclass(frozen=True, slots=True)
class Symbol:
    """A name in scope: its type, its members when it is a relation, a description, and
    how its members are named in messages (default: "field … in <entity>")."""

    name: str
    type: ValueType
    members: Members | None = None
    description: str = ""
    member_words: MemberWords | None = None

    def member_table(self) -> Mapping[str, Symbol]:
        """The members reachable with `.name` (empty for plain values)."""
        return self.members() if self.members is not None else MappingProxyType({})


Scope = Mapping[str, Symbol]
"""Top-level names → symbols."""


def _user_table(team_id: ValueType) -> Mapping[str, Symbol]:
    return MappingProxyType(
        {
            "username": Symbol("username", ValueType.TEXT, description="login name"),
            "name": Symbol("name", ValueType.TEXT, description="display name"),
            "email": Symbol("email", ValueType.TEXT, description="e-mail address"),
            "team": team_symbol("team", team_id=team_id, description="the user's team"),
            "manager": user_symbol("manager", team_id=team_id, description="line manager"),
        }
    )


def _team_table(team_id: ValueType) -> Mapping[str, Symbol]:
    return MappingProxyType(
        {
            "id": Symbol("id", team_id, description="team id"),
            "name": Symbol("name", ValueType.TEXT, description="team name"),
            "manager": user_symbol("manager", team_id=team_id, description="team head"),
            "parent": team_symbol("parent", team_id=team_id, description="parent team"),
        }
    )


def user_members(team_id: ValueType = ValueType.INTEGER) -> Mapping[str, Symbol]:
    """The members of every user value: username, name, email, team, manager."""
    return _user_table(team_id)


def team_members(team_id: ValueType = ValueType.INTEGER) -> Mapping[str, Symbol]:
    """The members of every team value: id, name, manager, parent."""
    return _team_table(team_id)


def user_symbol(
    name: str, *, description: str = "", team_id: ValueType = ValueType.INTEGER
) -> Symbol:
    """A user-valued symbol (a `user` field, `me`, a manager) with the standard members."""
    return Symbol(name, ValueType.USER, lambda: _user_table(team_id), description)


def team_symbol(
    name: str, *, description: str = "", team_id: ValueType = ValueType.INTEGER
) -> Symbol:
    """A team-valued symbol (a `team` field, a user's team) with the standard members."""
    return Symbol(name, ValueType.TEAM, lambda: _team_table(team_id), description)


def record_symbol(
    name: str, entity: str, members: Members, *, many: bool = False, description: str = ""
) -> Symbol:
    """A link to `entity` (or, with `many=True`, a subform: a list of its rows)."""
    record = ValueType.record(entity)
    value_type = ValueType.list_of(record) if many else record
    return Symbol(name, value_type, members, description)
