"""The outbox rows: enqueue inside the caller's transaction (a repeated key is a no-op),
claiming due messages, expired leases, release, listing and dead-letter retry."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from outbox_support import APP_FILES, APP_ID
from runtime_support import START, EngineFactory

from engine.runtime.engine import Engine
from engine.runtime.outbox import OutboxStore, max_attempts_of

LEASE = timedelta(minutes=5)


@pytest.fixture
def relay(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> Engine:
    return make_engine(write_app_folder(APP_FILES), database_url)


@pytest.fixture
def store(relay: Engine) -> OutboxStore:
    return OutboxStore(relay.tables.system, APP_ID)


def _enqueue(relay: Engine, store: OutboxStore, key: str, **extra: object) -> int:
    with relay.db.begin() as connection:
        return store.enqueue(
            connection,
            channel=str(extra.get("channel", "webhook")),
            payload={"url": "http://127.0.0.1:9/", "body": {"n": key}},
            idempotency_key=key,
            max_attempts=int(extra.get("max_attempts", 3)),  # type: ignore[call-overload]
            now=START,
        )


def test_enqueue_writes_a_pending_message_due_now(relay: Engine, store: OutboxStore) -> None:
    message_id = _enqueue(relay, store, "k1")
    with relay.db.begin() as connection:
        [row] = store.list_messages(connection)
    assert (row.id, row.status, row.attempts, row.max_attempts) == (message_id, "pending", 0, 3)
    assert (row.next_attempt_at, row.created_at) == (START, START)
    assert row.payload == {"url": "http://127.0.0.1:9/", "body": {"n": "k1"}}


def test_a_repeated_key_is_a_no_op_returning_the_first_id(
    relay: Engine, store: OutboxStore
) -> None:
    first = _enqueue(relay, store, "same")
    assert _enqueue(relay, store, "same", channel="email") == first
    with relay.db.begin() as connection:
        assert [r.channel for r in store.list_messages(connection)] == ["webhook"]


def test_enqueue_rolls_back_with_the_business_transaction(
    relay: Engine, store: OutboxStore
) -> None:
    with pytest.raises(RuntimeError), relay.db.begin() as connection:
        store.enqueue(connection, channel="webhook", payload={}, idempotency_key="gone",
                      max_attempts=1, now=START)  # fmt: skip
        raise RuntimeError("the business change failed")
    with relay.db.begin() as connection:
        assert store.list_messages(connection) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"idempotency_key": ""}, "idempotency key of 1 to 128 characters"),
        ({"idempotency_key": "x" * 129}, "idempotency key of 1 to 128 characters (got 129)"),
        ({"max_attempts": 0}, "max_attempts of 1 or more, not 0"),
        ({"payload": {"when": START}}, "the payload of the outbox message for the channel"),
        ({"channel": ""}, "an outbox message needs a channel"),
    ],
)
def test_bad_messages_are_refused_saying_why(
    relay: Engine, store: OutboxStore, changes: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"channel": "webhook", "payload": {}, "idempotency_key": "k"}
    arguments |= {"max_attempts": 1, "now": START} | changes
    with pytest.raises(ValueError, match=re.escape(message)), relay.db.begin() as connection:
        store.enqueue(connection, **arguments)  # type: ignore[arg-type]


def test_claiming_takes_due_messages_once_and_counts_the_attempt(
    relay: Engine, store: OutboxStore
) -> None:
    ids = [_enqueue(relay, store, f"k{n}") for n in range(3)]
    with relay.db.begin() as connection:
        claims = store.claim(connection, worker_id="w1", now=START, lease=LEASE, limit=2)
        again = store.claim(connection, worker_id="w2", now=START, lease=LEASE, limit=5)
    assert [c.message.id for c in claims] == ids[:2]
    assert [c.message.id for c in again] == ids[2:]
    assert {c.message.attempt for c in claims} == {1}
    assert claims[0].max_attempts == 3
    assert claims[0].message.payload == {"url": "http://127.0.0.1:9/", "body": {"n": "k0"}}
    with relay.db.begin() as connection:
        rows = {r.id: r for r in store.list_messages(connection)}
    assert {r.status for r in rows.values()} == {"sending"}
    assert (rows[ids[0]].locked_by, rows[ids[0]].locked_until) == ("w1", START + LEASE)


def test_a_message_waits_for_its_next_attempt(relay: Engine, store: OutboxStore) -> None:
    message_id = _enqueue(relay, store, "later")
    with relay.db.begin() as connection:
        store.claim(connection, worker_id="w1", now=START, lease=LEASE, limit=1)
        retry_at = START + timedelta(minutes=1)
        assert store.mark_failed(connection, message_id, "w1", "503", retry_at)
        assert store.claim(connection, worker_id="w1", now=START, lease=LEASE, limit=1) == []
        [claim] = store.claim(connection, worker_id="w1", now=retry_at, lease=LEASE, limit=1)
    assert claim.message.attempt == 2


def test_an_expired_lease_makes_a_message_claimable_again(
    relay: Engine, store: OutboxStore
) -> None:
    message_id = _enqueue(relay, store, "crashed")
    with relay.db.begin() as connection:
        store.claim(connection, worker_id="dead", now=START, lease=LEASE, limit=1)
        assert store.claim(connection, worker_id="w2", now=START + LEASE / 2, lease=LEASE,
                           limit=1) == []  # fmt: skip
        [claim] = store.claim(connection, worker_id="w2", now=START + LEASE, lease=LEASE, limit=1)
        assert claim.message.attempt == 2
        # the first worker's late outcome is ignored: the message is no longer its own
        assert not store.mark_delivered(connection, message_id, "dead", START + LEASE)
        assert store.mark_delivered(connection, message_id, "w2", START + LEASE)
        [row] = store.list_messages(connection, "delivered")
    assert (row.delivered_at, row.locked_by, row.attempts) == (START + LEASE, None, 2)


def test_a_lease_expiring_on_the_last_attempt_is_a_dead_letter(
    relay: Engine, store: OutboxStore
) -> None:
    _enqueue(relay, store, "last", max_attempts=1)
    with relay.db.begin() as connection:
        store.claim(connection, worker_id="gone", now=START, lease=LEASE, limit=1)
        assert store.claim(connection, worker_id="w2", now=START + LEASE, lease=LEASE,
                           limit=1) == []  # fmt: skip
        [row] = store.list_messages(connection)
    assert row.status == "dead"
    assert row.last_error is not None
    assert row.last_error.startswith("gone stopped during the last attempt")


def test_released_messages_are_pending_without_the_attempt(
    relay: Engine, store: OutboxStore
) -> None:
    ids = [_enqueue(relay, store, f"r{n}") for n in range(2)]
    with relay.db.begin() as connection:
        store.claim(connection, worker_id="w1", now=START, lease=LEASE, limit=2)
        assert store.release(connection, ids, "other") == 0
        assert store.release(connection, ids, "w1") == 2
        rows = store.list_messages(connection)
    assert {(r.status, r.attempts, r.locked_by) for r in rows} == {("pending", 0, None)}


def test_dead_letters_can_be_retried_with_attempts_reset(relay: Engine, store: OutboxStore) -> None:
    dead, alive = _enqueue(relay, store, "dead"), _enqueue(relay, store, "alive")
    later = START + timedelta(hours=1)
    with relay.db.begin() as connection:
        store.claim(connection, worker_id="w1", now=START, lease=LEASE, limit=1)
        store.mark_failed(connection, dead, "w1", "550 no such user", None)
        assert [r.id for r in store.list_messages(connection, "dead")] == [dead]
        assert store.retry_dead(connection, [dead, alive, 999], later) == 1
        rows = {r.id: r for r in store.list_messages(connection)}
    assert (rows[dead].status, rows[dead].attempts, rows[dead].next_attempt_at) == (
        "pending", 0, later,
    )  # fmt: skip
    assert rows[dead].last_error == "550 no such user"  # kept for the admin page
    assert rows[alive].status == "pending"


def test_listing_filters_by_status_and_refuses_unknown_ones(
    relay: Engine, store: OutboxStore
) -> None:
    ids = [_enqueue(relay, store, f"l{n}") for n in range(3)]
    with relay.db.begin() as connection:
        assert [r.id for r in store.list_messages(connection, limit=2)] == ids[:0:-1]
        assert store.list_messages(connection, "delivered") == []
        assert store.undelivered(connection) == 3
        with pytest.raises(ValueError, match="unknown outbox status 'sent'"):
            store.list_messages(connection, "sent")


def test_another_apps_messages_are_not_claimed(relay: Engine, store: OutboxStore) -> None:
    other = OutboxStore(relay.tables.system, "other")
    with relay.db.begin() as connection:
        other.enqueue(connection, channel="webhook", payload={}, idempotency_key="o",
                      max_attempts=1, now=START)  # fmt: skip
        assert store.claim(connection, worker_id="w", now=START, lease=LEASE, limit=9) == []
        assert store.list_messages(connection) == []


def test_max_attempts_come_from_the_channel_settings() -> None:
    assert max_attempts_of({"webhook": {"max_attempts": 9}}, "webhook") == 9
    assert max_attempts_of({"webhook": {}}, "webhook") == 5
    assert max_attempts_of({}, "email") == 5
