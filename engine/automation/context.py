"""What an action sees while it runs: `ActionContext`, implemented by the runtime's runner.

Every action type — built-in or a plugin's — is a function `run(ctx, action)` declared on
its `ActionType`. It reads its keys from the `ActionSpec`, evaluates them through the
context (which knows the triggering record, the `as:` names bound so far, the user and the
clock) and changes data only through the context, which goes through the record service in
the triggering transaction. What it returns is stored in the run's trace (JSON-ready).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from engine.spec.model_action import ActionSpec
from engine.spec.model_values import Label, ValueSpec

__all__ = [
    "ActionContext",
    "ActionFailed",
    "Bindable",
    "RecordRef",
    "RunAction",
    "TeamRef",
    "UserRef",
]


@dataclass(frozen=True)
class RecordRef:
    """A record an action made or found: bound by `as:`, its fields readable as
    `alias.field`."""

    entity: str
    id: int


@dataclass(frozen=True)
class UserRef:
    """A user bound to a name (the current member of `for_each` over `members:`): the name
    alone is the username, `alias.manager`, `alias.team`, … follow it like a user field."""

    username: str


@dataclass(frozen=True)
class TeamRef:
    """A team bound to a name (the current team of `for_each` over `teams:`): the name alone
    is the team id, `alias.name`, `alias.manager`, `alias.parent` follow it like a team
    field."""

    id: int


Bindable = RecordRef | UserRef | TeamRef | Mapping[str, Any]
"""What an action may bind to a name: a record, a user, a team, or named values (a decision
table's outputs, a calendar period)."""


class ActionFailed(Exception):
    """An action cannot do what it was asked (no matching table row, a team without
    members, …): the run fails, and with it the triggering change."""


class ActionContext(Protocol):
    """The runner's services for one action; see the module docstring."""

    @property
    def record(self) -> RecordRef | None:
        """The triggering record (None for schedules)."""
        ...

    @property
    def now(self) -> datetime:
        """The clock's aware now."""
        ...

    @property
    def today(self) -> date:
        """Today in the app's time zone."""
        ...

    @property
    def first_weekday(self) -> int:
        """The app's `week_start` (0 = Monday … 6 = Sunday)."""
        ...

    def value(self, value: ValueSpec) -> Any:
        """A literal, or the `=expression`'s value over the record and the bound names."""
        ...

    def values(self, values: Mapping[str, ValueSpec]) -> dict[str, Any]:
        """Each value of a map, evaluated."""
        ...

    def select(self, entity: str, key: str = "where") -> list[int]:
        """Ids of the live records of `entity` for which the action's SQL expression `key`
        holds (all of them when the action has no such key), in id order."""
        ...

    def evaluate_on(self, key: str, entity: str, record_id: int) -> Any:
        """The action's expression `key` over one record of `entity` (its fields as bare
        names; the triggering record stays `record.`)."""
        ...

    def read(self, entity: str, record_id: int) -> Mapping[str, Any]:
        """A record's current values (NotFound when it is gone)."""
        ...

    def set_fields(self, values: Mapping[str, Any]) -> None:
        """Change fields of the triggering record (validated, with history)."""
        ...

    def create(self, entity: str, values: Mapping[str, Any]) -> RecordRef:
        """Create a record (validated, with history); its rules fire too."""
        ...

    def update(self, entity: str, record_id: int, values: Mapping[str, Any]) -> bool:
        """Change a record; False when nothing changed."""
        ...

    def delete(self, entity: str, record_id: int) -> None:
        """Soft-delete a record."""
        ...

    def transition(self, action: str, comment: str | None) -> str:
        """Take a workflow action on the triggering record; the state it reached."""
        ...

    def lookup(self, table: str, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        """A decision table's outputs for `inputs` (ActionFailed when no row matches)."""
        ...

    def bind(self, alias: str, value: Bindable) -> None:
        """Make `alias` a name for the actions after this one."""
        ...

    def run_each(
        self, actions: Sequence[ActionSpec], alias: str | None, entity: str, ids: Sequence[int]
    ) -> list[list[Any]]:
        """Run `actions` once per record, with `alias` naming it; their results."""
        ...

    def run_with(
        self, actions: Sequence[ActionSpec], alias: str | None, items: Sequence[Bindable]
    ) -> list[list[Any]]:
        """Run `actions` once per item, with `alias` naming it (a user, a team, a period,
        a record); their results. The names bound inside do not outlive the loop."""
        ...

    def recipients(self) -> list[str]:
        """The usernames of the action's `to:` (approver grammar), active, without repeats."""
        ...

    def notify(
        self, channel: str, usernames: Sequence[str], title: Label, body: Label | None
    ) -> int:
        """Render the title and body templates per recipient's language and send them over
        `channel` (the inbox at once; other channels through the outbox); how many
        messages."""
        ...

    def render(self, template: str) -> str:
        """A text template (`{{ record.name }}`) rendered with the record and bound names."""
        ...

    def enqueue(self, channel: str, payload: Mapping[str, Any]) -> int:
        """Put a message in the outbox (delivered by the worker after commit); its id."""
        ...

    def team_members(self, team: int, roles: Sequence[str] = ()) -> list[str]:
        """Active usernames of a team's members, in username order (with `roles`: only
        those holding one of them)."""
        ...

    def teams(self, roles: Sequence[str] = (), under: int | None = None) -> list[int]:
        """Ids of the teams with at least one active member (whose main team it is; with
        `roles`: holding one of them), by name then id; with `under`, only that team and
        the teams below it."""
        ...

    def next_in_turn(self, key: str, candidates: Sequence[str]) -> str:
        """The candidate after the one `key` chose last time (durable, in the database)."""
        ...


RunAction = Callable[[ActionContext, ActionSpec], Any]
"""An action type's implementation: runs `action` and returns what the trace records."""
