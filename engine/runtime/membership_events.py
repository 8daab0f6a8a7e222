"""What a `membership` run sees: `event.member`, `event.team`, `event.change`.

A membership change has no record. Its run binds the name `event` to a `MembershipEnv`,
which has two faces:

- for expressions it is a `RecordEnv` over three fields — `member` (a user), `team` (a
  team), `change` (text) — so `event.member` is the username, `event.member.manager.name`
  and `event.team.parent` follow the people tables, and in a `where` (SQL) `event.team` is
  the team id as a constant;
- for templates it is a mapping whose `member` and `team` are views that print as the
  username and the team name and whose keys follow the relations
  (`{{ event.member.name }}`, `{{ event.team.manager.name }}`).

The trace stores the event as `{"kind": "membership", "change", "member", "team"}`; a replay
rebuilds the names from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from engine.expr import EvalContext
from engine.runtime.directory import MembershipChange
from engine.runtime.record_env import RecordEnv, RelationLoader
from engine.spec.document import Loc
from engine.spec.event_scope import EVENT, MEMBERSHIP
from engine.spec.model import FieldSpec
from engine.spec.model_values import EMPTY_LABEL

__all__ = ["MembershipEnv", "PersonView", "TeamView", "event_names", "membership_event"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _field(name: str, type_name: str) -> FieldSpec:
    return FieldSpec(
        name=name, type=type_name, label=EMPTY_LABEL, help=EMPTY_LABEL,
        placeholder=EMPTY_LABEL, required=False, required_if=None, visible_if=None,
        readonly=True, default=None, unique=False, index=False, renamed_from=None,
        validations=(), options=_EMPTY, expressions=_EMPTY, parameters=_EMPTY, choices=(),
        subfields=_EMPTY, rollup=None, implicit=True, loc=Loc("", f"/event/{name}"),
    )  # fmt: skip


_FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {
        "member": _field("member", "user"),
        "team": _field("team", "team"),
        "change": _field("change", "text"),
    }
)


def membership_event(change: MembershipChange) -> dict[str, Any]:
    """The trigger event of a membership run, as its trace keeps it."""
    return {
        "kind": MEMBERSHIP,
        "change": change.change,
        "member": change.username,
        "team": change.team_id,
    }


def event_names(
    event: Mapping[str, Any], context: EvalContext, loader: RelationLoader
) -> dict[str, RecordEnv]:
    """The names a run of this trigger event binds: `event` for a membership change,
    nothing for any other event."""
    if event.get("kind") != MEMBERSHIP:
        return {}
    values = {name: event.get(name) for name in _FIELDS}
    return {EVENT: MembershipEnv(values, _FIELDS, context, loader)}


class MembershipEnv(RecordEnv):
    """`event` of a membership run; see the module docstring. Registered as a `Mapping`
    (below) so templates get the mapping face; expressions go through `resolve`."""

    def __getitem__(self, key: str) -> Any:
        value = self.values.get(key)
        if value is None or self.loader is None:
            return value
        if key == "member":
            return PersonView(self.loader, str(value))
        if key == "team":
            return TeamView(self.loader, int(value))
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)


Mapping.register(MembershipEnv)


class PersonView(Mapping[str, Any]):
    """A user for templates: prints as the username; `name`, `email`, `username`, `team`
    and `manager` load on access."""

    def __init__(self, loader: RelationLoader, username: str) -> None:
        self._loader = loader
        self._username = username

    def __getitem__(self, key: str) -> Any:
        if key == "username":
            return self._username
        if key == "manager":
            manager = self._loader.manager_of(self._username)
            return PersonView(self._loader, manager) if manager is not None else None
        user = self._loader.user(self._username)
        if user is None or key not in user:
            raise KeyError(key)
        if key == "team":
            team = user["team"]
            return TeamView(self._loader, int(team)) if team is not None else None
        return user[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("username", "name", "email", "team", "manager"))

    def __len__(self) -> int:
        return 5

    def __str__(self) -> str:
        return self._username

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PersonView):
            return other._username == self._username
        return isinstance(other, str) and other == self._username

    def __hash__(self) -> int:
        return hash(self._username)


class TeamView(Mapping[str, Any]):
    """A team for templates: prints as its name; `id`, `name`, `manager` and `parent` load
    on access."""

    def __init__(self, loader: RelationLoader, team_id: int) -> None:
        self._loader = loader
        self._id = team_id

    def __getitem__(self, key: str) -> Any:
        if key == "id":
            return self._id
        team = self._loader.team(self._id)
        if team is None or key not in team:
            raise KeyError(key)
        value = team[key]
        if value is not None and key == "manager":
            return PersonView(self._loader, str(value))
        if value is not None and key == "parent":
            return TeamView(self._loader, int(value))
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(("id", "name", "manager", "parent"))

    def __len__(self) -> int:
        return 4

    def __str__(self) -> str:
        team = self._loader.team(self._id)
        return str(team["name"]) if team is not None else str(self._id)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TeamView):
            return other._id == self._id
        return isinstance(other, int) and not isinstance(other, bool) and other == self._id

    def __hash__(self) -> int:
        return hash(self._id)
