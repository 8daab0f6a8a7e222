"""The transactional outbox: messages that leave the process (e-mail, webhooks, chat robots)
are written to `fw_outbox` inside the business transaction and delivered afterwards.

`OutboxStore.enqueue` adds a message on the caller's connection, so it commits or rolls back
with the change that caused it; a repeated idempotency key is a no-op. `OutboxDelivery`
(run by workers, any number of processes) delivers what is due:

1. claim — one short transaction picks due messages (`pending` whose `next_attempt_at` has
   come, or `sending` whose worker's lease ran out: a worker killed mid-delivery) and marks
   them `sending`, locked by this worker until now + lease, attempts + 1. PostgreSQL uses
   `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches; SQLite
   serialises writers (`BEGIN IMMEDIATE`), which gives the same;
2. deliver — each message through its channel's `deliver(message, settings)`, outside any
   transaction (a slow receiver holds no lock);
3. record — delivered; or, on `DeliveryFailed`, back to `pending` at now + backoff, or
   `dead` after `max_attempts` or a permanent failure. Only the worker holding the lease
   records the outcome.

Delivery is at least once: a worker killed after the receiver got a message but before
recording it makes another worker send it again — with the same idempotency key, which
deliverers pass on (`Idempotency-Key`, the e-mail's `Message-ID`) so receivers can drop it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from engine.automation.backoff import DEFAULT_BASE, DEFAULT_CAP, backoff_delay
from engine.automation.outbox import DeliveryFailed, OutboxMessage
from engine.runtime.clock import Clock
from engine.spec.registry import ChannelType
from engine.storage.database import Database
from engine.storage.system_tables import SystemTables

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_MAX_ATTEMPTS",
    "STATUSES",
    "Claim",
    "DeliveryReport",
    "OutboxDelivery",
    "OutboxRow",
    "OutboxStore",
    "max_attempts_of",
]

log = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "delivered", "dead")
"""Where a message stands."""

DEFAULT_MAX_ATTEMPTS = 5
"""Attempts before a dead letter when `settings.<channel>.max_attempts` does not say."""

DEFAULT_LEASE = timedelta(minutes=5)
"""How long a claimed message stays a worker's before another worker may take it."""

KEY_LENGTH = 128
ERROR_LENGTH = 2_000


def max_attempts_of(settings: Mapping[str, Any], channel: str) -> int:
    """`settings.<channel>.max_attempts` of app.yaml, else DEFAULT_MAX_ATTEMPTS."""
    own = settings.get(channel)
    value = own.get("max_attempts") if isinstance(own, Mapping) else None
    return int(value) if isinstance(value, int) and value >= 1 else DEFAULT_MAX_ATTEMPTS


@dataclass(frozen=True)
class OutboxRow:
    """One message as the admin page lists it."""

    id: int
    channel: str
    idempotency_key: str
    payload: Mapping[str, Any]
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    run_id: int | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class Claim:
    """A message a worker claimed, and how many attempts it may take in all."""

    message: OutboxMessage
    max_attempts: int


@dataclass(frozen=True)
class DeliveryReport:
    """What one `deliver_due` did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def handled(self) -> int:
        """Messages attempted (or given up) in the round."""
        return self.delivered + self.retried + self.dead


class OutboxStore:
    """The outbox rows of one app, on the caller's connection."""

    def __init__(self, system: SystemTables, app: str) -> None:
        self.app = app
        self.table = system.outbox

    def enqueue(
        self,
        connection: Connection,
        *,
        channel: str,
        payload: Mapping[str, Any],
        idempotency_key: str,
        max_attempts: int,
        now: datetime,
        run_id: int | None = None,
    ) -> int:
        """Add a message, due now, inside the caller's transaction; its id. A key already in
        the outbox adds nothing and returns that message's id (one `INSERT … ON CONFLICT DO
        NOTHING` on SQLite and PostgreSQL)."""
        _check_message(channel, payload, idempotency_key, max_attempts)
        row: dict[str, Any] = {"app": self.app, "channel": channel}
        row["idempotency_key"] = idempotency_key
        row |= {"payload": dict(payload), "status": "pending", "attempts": 0}
        row |= {"max_attempts": max_attempts, "next_attempt_at": now, "run_id": run_id}
        row |= {"created_at": now}
        insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
        statement = insert(self.table).values(**row).on_conflict_do_nothing()
        new_id = connection.scalar(statement.returning(self.table.c.id))
        if new_id is not None:
            return int(new_id)
        key = self.table.c.idempotency_key
        return int(
            connection.execute(
                sa.select(self.table.c.id).where(key == idempotency_key)
            ).scalar_one()
        )

    def claim(
        self,
        connection: Connection,
        *,
        worker_id: str,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[Claim]:
        """Take up to `limit` due messages for `worker_id` (see the module docstring); a
        message whose lease ran out on its last attempt becomes a dead letter instead."""
        c = self.table.c
        expired = sa.and_(c.status == "sending", c.locked_until <= now)
        connection.execute(
            self.table.update()
            .where(c.app == self.app, expired, c.attempts >= c.max_attempts)
            .values(
                status="dead",
                locked_by=None,
                locked_until=None,
                last_error=sa.func.coalesce(c.locked_by, "?").concat(
                    " stopped during the last attempt (its lease ran out); "
                    "retry it if the receiver did not get it"
                ),
            )
        )
        due = sa.or_(sa.and_(c.status == "pending", c.next_attempt_at <= now), expired)
        query = (
            sa.select(c.id, c.channel, c.idempotency_key, c.payload, c.attempts, c.max_attempts)
            .where(c.app == self.app, due)
            .order_by(c.next_attempt_at, c.id)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).all()
        if not rows:
            return []
        connection.execute(
            self.table.update()
            .where(c.id.in_([row.id for row in rows]))
            .values(
                status="sending",
                locked_by=worker_id,
                locked_until=now + lease,
                attempts=c.attempts + 1,
            )
        )
        return [
            Claim(
                OutboxMessage(
                    id=int(row.id),
                    app=self.app,
                    channel=str(row.channel),
                    idempotency_key=str(row.idempotency_key),
                    payload=row.payload,
                    attempt=int(row.attempts) + 1,
                ),
                int(row.max_attempts),
            )
            for row in rows
        ]

    def _held(self, message_id: int, worker_id: str) -> sa.ColumnElement[bool]:
        c = self.table.c
        return sa.and_(c.id == message_id, c.status == "sending", c.locked_by == worker_id)

    def mark_delivered(
        self, connection: Connection, message_id: int, worker_id: str, now: datetime
    ) -> bool:
        """Record a delivery; False when the worker no longer held the message."""
        result = connection.execute(
            self.table.update()
            .where(self._held(message_id, worker_id))
            .values(status="delivered", delivered_at=now, locked_by=None, locked_until=None,
                    last_error=None)
        )  # fmt: skip
        return result.rowcount == 1

    def mark_failed(
        self,
        connection: Connection,
        message_id: int,
        worker_id: str,
        error: str,
        retry_at: datetime | None,
    ) -> bool:
        """Record a failed attempt: pending again at `retry_at`, or dead when None; False
        when the worker no longer held the message."""
        values: dict[str, Any] = {"locked_by": None, "locked_until": None}
        values["last_error"] = error[:ERROR_LENGTH]
        if retry_at is None:
            values["status"] = "dead"
        else:
            values |= {"status": "pending", "next_attempt_at": retry_at}
        result = connection.execute(
            self.table.update().where(self._held(message_id, worker_id)).values(**values)
        )
        return result.rowcount == 1

    def release(self, connection: Connection, message_ids: Iterable[int], worker_id: str) -> int:
        """Give back claimed messages that were not attempted (pending, attempt not
        counted); how many."""
        ids = list(message_ids)
        if not ids:
            return 0
        c = self.table.c
        result = connection.execute(
            self.table.update()
            .where(c.id.in_(ids), c.status == "sending", c.locked_by == worker_id)
            .values(status="pending", locked_by=None, locked_until=None,
                    attempts=c.attempts - 1)
        )  # fmt: skip
        return int(result.rowcount or 0)

    def counts(self, connection: Connection) -> dict[str, int]:
        """How many of the app's messages are in each status (every status listed)."""
        c = self.table.c
        query = sa.select(c.status, sa.func.count()).where(c.app == self.app).group_by(c.status)
        found = {str(status): int(count) for status, count in connection.execute(query)}
        return {status: found.get(status, 0) for status in STATUSES}

    def list_messages(
        self, connection: Connection, status: str | None = None, limit: int = 100
    ) -> list[OutboxRow]:
        """The app's messages, newest first, optionally of one status."""
        c = self.table.c
        query = sa.select(self.table).where(c.app == self.app)
        if status is not None:
            if status not in STATUSES:
                raise ValueError(
                    f"unknown outbox status '{status}' (one of: {', '.join(STATUSES)})"
                )
            query = query.where(c.status == status)
        rows = connection.execute(query.order_by(c.id.desc()).limit(limit))
        return [
            OutboxRow(
                id=int(m["id"]), channel=str(m["channel"]),
                idempotency_key=str(m["idempotency_key"]), payload=m["payload"],
                status=str(m["status"]), attempts=int(m["attempts"]),
                max_attempts=int(m["max_attempts"]), next_attempt_at=m["next_attempt_at"],
                locked_by=m["locked_by"], locked_until=m["locked_until"],
                last_error=m["last_error"], run_id=m["run_id"], created_at=m["created_at"],
                delivered_at=m["delivered_at"],
            )
            for m in (row._mapping for row in rows)
        ]  # fmt: skip

    def retry_dead(self, connection: Connection, ids: Iterable[int], now: datetime) -> int:
        """Dead letters among `ids` become pending again, due now, with their attempts
        reset; how many (ids that are not dead letters of this app are left alone)."""
        wanted = list(ids)
        if not wanted:
            return 0
        c = self.table.c
        result = connection.execute(
            self.table.update()
            .where(c.app == self.app, c.id.in_(wanted), c.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=now, locked_by=None,
                    locked_until=None)
        )  # fmt: skip
        return int(result.rowcount or 0)

    def undelivered(self, connection: Connection) -> int:
        """How many messages are pending or being sent."""
        c = self.table.c
        query = sa.select(sa.func.count()).where(
            c.app == self.app, c.status.in_(["pending", "sending"])
        )
        return int(connection.scalar(query) or 0)


def _check_message(
    channel: str, payload: Mapping[str, Any], idempotency_key: str, max_attempts: int
) -> None:
    where = f"outbox message for the channel '{channel}'"
    if not channel:
        raise ValueError("an outbox message needs a channel")
    if not idempotency_key or len(idempotency_key) > KEY_LENGTH:
        raise ValueError(
            f"the {where} needs an idempotency key of 1 to {KEY_LENGTH} characters "
            f"(got {len(idempotency_key)})"
        )
    if max_attempts < 1:
        raise ValueError(f"the {where} needs max_attempts of 1 or more, not {max_attempts}")
    if not isinstance(payload, Mapping):
        raise ValueError(f"the payload of the {where} must be a JSON object")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"the payload of the {where} is not JSON: {error}") from error


class OutboxDelivery:
    """Delivers the due messages of one app's outbox as worker `worker_id`."""

    def __init__(
        self,
        db: Database,
        store: OutboxStore,
        channels: Mapping[str, ChannelType],
        settings: Mapping[str, Any],
        clock: Clock,
        *,
        worker_id: str,
        lease: timedelta = DEFAULT_LEASE,
        backoff_base: timedelta = DEFAULT_BASE,
        backoff_cap: timedelta = DEFAULT_CAP,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError(f"the outbox lease must be positive, not {lease}")
        self.db = db
        self.store = store
        self.channels = channels
        self.settings = settings
        self.clock = clock
        self.worker_id = worker_id[:64]
        self.lease = lease
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap

    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Claim up to `limit` due messages and attempt each; what happened to them.

        Messages not reached before half the lease has passed are given back unattempted,
        so another worker never takes a message this one is still about to send."""
        claimed_at = self.clock.now()
        with self.db.begin() as connection:
            batch = self.store.claim(
                connection, worker_id=self.worker_id, now=claimed_at, lease=self.lease,
                limit=limit,
            )  # fmt: skip
        delivered = retried = dead = 0
        for index, claim in enumerate(batch):
            if self.clock.now() >= claimed_at + self.lease / 2:
                rest = [c.message.id for c in batch[index:]]
                with self.db.begin() as connection:
                    self.store.release(connection, rest, self.worker_id)
                break
            outcome = self._attempt(claim)
            delivered += outcome == "delivered"
            retried += outcome == "retried"
            dead += outcome == "dead"
        return DeliveryReport(delivered, retried, dead)

    def _attempt(self, claim: Claim) -> str:
        message = claim.message
        channel = self.channels.get(message.channel)
        if channel is None or channel.deliver is None:
            known = sorted(n for n, c in self.channels.items() if c.deliver is not None)
            why = (
                f"the channel '{message.channel}' is not installed"
                if channel is None
                else f"the channel '{message.channel}' does not deliver through the outbox"
            )
            return self._failed(
                claim, f"{why} (channels that deliver: {', '.join(known) or 'none'})", None
            )
        own = self.settings.get(message.channel)
        try:
            channel.deliver(message, own if isinstance(own, Mapping) else {})
        except DeliveryFailed as failure:
            return self._failed(claim, str(failure), failure.permanent)
        except Exception as error:  # a deliverer's bug must not stop the worker
            log.exception("delivering outbox message %s failed unexpectedly", message.id)
            return self._failed(claim, f"{type(error).__name__}: {error}", False)
        with self.db.begin() as connection:
            self.store.mark_delivered(connection, message.id, self.worker_id, self.clock.now())
        return "delivered"

    def _failed(self, claim: Claim, error: str, permanent: bool | None) -> str:
        """Record a failure; `permanent` None: a configuration problem (dead at once)."""
        message, max_attempts = claim.message, claim.max_attempts
        now = self.clock.now()
        retry_at: datetime | None = None
        if permanent is None:
            text = error
        elif permanent:
            text = f"attempt {message.attempt}: permanent failure: {error}"
        elif message.attempt >= max_attempts:
            text = f"attempt {message.attempt} of {max_attempts}, the last: {error}"
        else:
            delay = backoff_delay(
                message.attempt, base=self.backoff_base, cap=self.backoff_cap,
                jitter_key=message.id,
            )  # fmt: skip
            retry_at = now + delay
            text = f"attempt {message.attempt} of {max_attempts}: {error}"
        log.warning("outbox message %s (%s): %s", message.id, message.channel, text)
        with self.db.begin() as connection:
            self.store.mark_failed(connection, message.id, self.worker_id, text, retry_at)
        return "dead" if retry_at is None else "retried"

    def list_messages(self, status: str | None = None, limit: int = 100) -> list[OutboxRow]:
        """The app's messages, newest first (the admin page, `formwork outbox`)."""
        with self.db.begin(readonly=True) as connection:
            return self.store.list_messages(connection, status, limit)

    def counts(self) -> dict[str, int]:
        """How many messages are in each status."""
        with self.db.begin(readonly=True) as connection:
            return self.store.counts(connection)

    def retry_dead(self, ids: Iterable[int]) -> int:
        """Send dead letters again (attempts reset, due now); how many were dead."""
        with self.db.begin() as connection:
            return self.store.retry_dead(connection, ids, self.clock.now())

    def undelivered(self) -> int:
        """How many messages wait (pending) or are being sent."""
        with self.db.begin(readonly=True) as connection:
            return self.store.undelivered(connection)
