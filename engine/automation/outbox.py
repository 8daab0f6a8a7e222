"""What leaves the process: an outbox message as a channel's `deliver` function receives it,
and how delivery reports failure.

A channel that sends outside the process (e-mail, webhooks, chat robots) declares
`deliver(message, settings)` on its `ChannelType`. The worker calls it for each message it
claimed from `fw_outbox`; returning means delivered, raising `DeliveryFailed` means try again
later (with backoff) unless `permanent`, and after the last attempt the message becomes a dead
letter. Every attempt of one message carries the same `idempotency_key`, which deliverers
send along (the `Idempotency-Key` header for HTTP) so that a receiver can drop a repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Deliver", "DeliveryFailed", "OutboxMessage"]


@dataclass(frozen=True)
class OutboxMessage:
    """One message to deliver: its channel, its stable key and its JSON payload.

    The payload of a `notify` has `title`, `body` (plain text), `recipients` (a list of
    `{"username", "name", "email"}`), and `record` (`{"entity", "id", "url"}`) when it is
    about a record; a `webhook` action's payload has `url`, `method`, `headers`, `body`.
    """

    id: int
    app: str
    channel: str
    idempotency_key: str
    payload: Mapping[str, Any]
    attempt: int  # 1 for the first attempt


class DeliveryFailed(Exception):
    """The attempt did not deliver. `permanent` failures (a rejected address, a 4xx that a
    retry cannot mend) go straight to the dead letters."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


Deliver = Callable[[OutboxMessage, Mapping[str, Any]], None]
"""A channel's delivery: the message and the channel's settings (`settings.<channel>` of
app.yaml, with defaults). Secrets come from the environment, never from the settings."""
