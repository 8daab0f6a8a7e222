"""Evaluation contexts: what an expression sees besides the record — the clock, the app's
time zone, week start and working calendar, and the acting user with their (inherited) roles."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from engine.expr import EvalContext
from engine.expr.calendar import WEEK_STARTS
from engine.runtime.actor import Actor
from engine.runtime.clock import Clock
from engine.runtime.roles import RoleTree
from engine.spec.model import ADMIN_ROLE, AppSpec

__all__ = ["ContextFactory"]


class ContextFactory:
    """Makes the `EvalContext` of an actor at the clock's current time."""

    def __init__(self, app: AppSpec, clock: Clock, roles: RoleTree) -> None:
        self.clock = clock
        self.roles = roles
        self.timezone = ZoneInfo(app.timezone or "UTC")
        self.first_weekday = WEEK_STARTS.get(app.week_start, 0)
        self.calendar = app.calendar.work_calendar()

    def for_actor(self, actor: Actor) -> EvalContext:
        """The context of `actor` now: `me()` is their username, `has_role()` sees inherited
        roles (and `admin` for administrators)."""
        roles = self.roles.expand(actor.roles)
        if actor.is_admin:
            roles = roles | {ADMIN_ROLE}
        return EvalContext(
            now=self.clock.now(),
            timezone=self.timezone,
            user=actor.username,
            roles=roles,
            first_weekday=self.first_weekday,
            calendar=self.calendar,
        )
