"""What an expression is evaluated against: the evaluation context and the environment.

:class:`EvalContext` carries what does not depend on the record (the clock, the time zone,
the current user and their roles); an :class:`Env` resolves dotted paths to values. Values
are `Decimal` for numbers, `date`, aware `datetime`, `str`, `bool`, or `None` (NULL).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from engine.expr.calendar import WorkCalendar

__all__ = ["Env", "EvalContext", "MappingEnv"]


@dataclass(frozen=True, slots=True)
class EvalContext:
    """The clock (aware `now`), the app's time zone, the current user, their roles.

    `first_weekday` is where weeks start for `start_of_week` (0 = Monday … 6 = Sunday);
    `calendar` says which days are worked (`working_days`; the app's `calendar:`).
    """

    now: datetime
    timezone: tzinfo
    user: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    first_weekday: int = 0
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("EvalContext.now must be an aware datetime")
        if not 0 <= self.first_weekday <= 6:
            raise ValueError("EvalContext.first_weekday must be 0 (Monday) … 6 (Sunday)")

    @property
    def today(self) -> date:
        """The current date in the app's time zone."""
        return self.now.astimezone(self.timezone).date()

    def local_date(self, moment: datetime) -> date:
        """The calendar day of an aware datetime in the app's time zone."""
        return moment.astimezone(self.timezone).date()


class Env(Protocol):
    """Resolves the names an expression uses; carries the evaluation context."""

    @property
    def context(self) -> EvalContext:
        """The clock, time zone, user and roles."""
        ...

    def resolve(self, path: tuple[str, ...]) -> Any:
        """The value at a dotted path (`("owner", "team")`); None when unset.

        A path through a subform yields a list with one value per row.
        """
        ...


@dataclass(frozen=True, slots=True)
class MappingEnv:
    """An :class:`Env` over nested mappings (lists of mappings for subforms)."""

    values: Mapping[str, Any]
    context: EvalContext

    def resolve(self, path: tuple[str, ...]) -> Any:
        """Walk the mappings; a missing key or a None on the way gives None."""
        return _walk(self.values, path)


def _walk(value: Any, path: tuple[str, ...]) -> Any:
    for index, part in enumerate(path):
        if isinstance(value, list | tuple):
            return [_walk(item, path[index:]) for item in value]
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
