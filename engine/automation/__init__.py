"""Automation: the pure parts of the rule engine — events, the rule index and trigger
matching, the action context protocol, decision tables, allocation, cron ticks, backoff and
the outbox message type.

Nothing here touches the database or Flask: `engine.runtime.automation_service` runs rules
inside the record service's transaction, `engine.runtime.scheduler` fires schedules and
date triggers, `engine.runtime.outbox` stores and delivers messages.
"""

from engine.automation.context import (
    ActionContext,
    ActionFailed,
    RecordRef,
    RunAction,
    TeamRef,
    UserRef,
)
from engine.automation.events import ChangeEvent, EventKind
from engine.automation.outbox import Deliver, DeliveryFailed, OutboxMessage

__all__ = [
    "ActionContext",
    "ActionFailed",
    "ChangeEvent",
    "Deliver",
    "DeliveryFailed",
    "EventKind",
    "OutboxMessage",
    "RecordRef",
    "RunAction",
    "TeamRef",
    "UserRef",
]
