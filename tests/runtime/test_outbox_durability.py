"""The outbox under real workers (PostgreSQL only: SQLite has a single writer and no
`SKIP LOCKED`, and the claim is the part under test).

1. Two worker processes deliver 1,000 messages: none lost, none delivered twice.
2. A worker killed with SIGKILL mid-delivery loses nothing: after its lease runs out a second
   worker delivers the rest; the one repeat carries the same idempotency key.
3. A receiver failing five times is retried with growing delays and gets the message on the
   sixth attempt; when the attempts run out the message is a dead letter.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from outbox_support import APP_FILES, APP_ID, ROOT, FakeHttpServer, worker_command
from runtime_support import EngineFactory

from engine.automation.backoff import backoff_delay
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.outbox import DeliveryReport, OutboxDelivery, OutboxStore

WAIT_S = 120


@pytest.fixture
def pg_url(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: the SQLite run is skipped (one writer, no SKIP LOCKED)")
    return database_url


@pytest.fixture
def app_dir(write_app_folder: Callable[..., Path]) -> Path:
    return write_app_folder(APP_FILES)


@pytest.fixture
def relay(make_engine: EngineFactory, app_dir: Path, pg_url: str) -> Engine:
    return make_engine(app_dir, pg_url)


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer() as running:
        yield running


def _fill(relay: Engine, server: FakeHttpServer, count: int, max_attempts: int = 5) -> list[str]:
    """`count` webhook messages in one transaction; their keys."""
    store = OutboxStore(relay.tables.system, APP_ID)
    keys = [f"{APP_ID}:msg:{n}" for n in range(count)]
    with relay.db.begin() as connection:
        for key in keys:
            store.enqueue(
                connection, channel="webhook", max_attempts=max_attempts,
                payload={"url": f"{server.url}/in", "body": {"key": key}},
                idempotency_key=key, now=relay.clock.now(),
            )  # fmt: skip
    return keys


def _statuses(relay: Engine) -> dict[str, tuple[str, int]]:
    rows = OutboxDelivery(
        relay.db, OutboxStore(relay.tables.system, APP_ID), {}, {}, relay.clock, worker_id="t"
    ).list_messages(limit=10_000)
    return {row.idempotency_key: (row.status, row.attempts) for row in rows}


def _start(
    app_dir: Path, url: str, worker: str, lease_s: float, limit: int
) -> subprocess.Popen[str]:
    command = worker_command(app_dir, url, worker, lease_s=lease_s, limit=limit)
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finish(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, output
    return output


def test_two_worker_processes_deliver_each_message_exactly_once(
    relay: Engine, app_dir: Path, pg_url: str, server: FakeHttpServer
) -> None:
    keys = _fill(relay, server, 1_000)
    workers = [_start(app_dir, pg_url, f"worker-{n}", 300, 50) for n in (1, 2)]
    outputs = [_finish(worker) for worker in workers]
    counts = server.key_counts()
    assert sorted(counts) == sorted(keys)  # none lost
    assert {key for key, seen in counts.items() if seen != 1} == set()  # none twice
    assert set(_statuses(relay).values()) == {("delivered", 1)}
    # both took part (each claims 50 at a time, so neither can take all 1,000 at once)
    delivered = [sum(map(int, re.findall(r"delivered=(\d+)", out))) for out in outputs]
    assert sum(delivered) == 1_000 and min(delivered) > 0, delivered


def test_a_worker_killed_mid_delivery_loses_nothing(
    relay: Engine, app_dir: Path, pg_url: str, server: FakeHttpServer
) -> None:
    keys = _fill(relay, server, 30)
    server.stall_after(5)
    first = _start(app_dir, pg_url, "doomed", 3, 10)
    try:
        assert server.stalled.wait(WAIT_S), "the first worker never reached the stall"
    finally:
        first.kill()  # SIGKILL: no cleanup, its claims stay `sending` until the lease ends
        first.wait(WAIT_S)
    server.release()
    stalled_key = keys[5]
    assert _statuses(relay)[stalled_key] == ("sending", 1)
    _finish(_start(app_dir, pg_url, "rescuer", 3, 10))
    assert sorted(server.accepted) == sorted(keys)  # nothing lost
    repeats = {key: seen for key, seen in server.key_counts().items() if seen > 1}
    assert repeats == {stalled_key: 2}  # the one repeat, with the same key
    statuses = _statuses(relay)
    assert {status for status, _ in statuses.values()} == {"delivered"}
    assert [statuses[key][1] for key in keys[:10]] == [1] * 5 + [2] * 5  # claimed twice
    assert {statuses[key][1] for key in keys[10:]} == {1}


def test_a_failing_receiver_is_retried_with_growing_delays_then_dead_lettered(
    relay: Engine, server: FakeHttpServer
) -> None:
    clock = relay.clock
    assert isinstance(clock, FixedClock)
    store = OutboxStore(relay.tables.system, APP_ID)
    delivery = OutboxDelivery(
        relay.db, store, relay.registry.channels, {}, clock, worker_id="in-test"
    )
    [key] = _fill(relay, server, 1, max_attempts=6)
    [message_id] = [row.id for row in delivery.list_messages()]
    server.fail_next(5, status=503)
    delays = []
    for attempt in range(1, 6):
        assert delivery.deliver_due() == DeliveryReport(retried=1)
        [row] = delivery.list_messages()
        delays.append(row.next_attempt_at - clock.now())
        assert delays[-1] == backoff_delay(attempt, jitter_key=message_id)
        assert delivery.deliver_due() == DeliveryReport()  # not due yet
        clock.set(row.next_attempt_at)
    assert delays == sorted(delays) and len(set(delays)) == 5  # growing
    assert delays[0] >= timedelta(seconds=27) and delays[-1] <= timedelta(seconds=528)
    assert delivery.deliver_due() == DeliveryReport(delivered=1)
    assert _statuses(relay)[key] == ("delivered", 6)
    assert server.key_counts()[key] == 6

    server.fail_next(3, status=500)
    hopeless = _fill_more(relay, store, server, "hopeless", max_attempts=3)
    outcomes = []
    for _ in range(3):
        outcomes.append(delivery.deliver_due())
        clock.advance(timedelta(hours=1))
    assert outcomes == [DeliveryReport(retried=1)] * 2 + [DeliveryReport(dead=1)]
    [dead] = delivery.list_messages("dead")
    assert (dead.idempotency_key, dead.attempts) == (hopeless, 3)
    assert dead.last_error is not None and dead.last_error.startswith("attempt 3 of 3, the last")


def _fill_more(
    relay: Engine, store: OutboxStore, server: FakeHttpServer, key: str, max_attempts: int
) -> str:
    with relay.db.begin() as connection:
        store.enqueue(
            connection, channel="webhook", max_attempts=max_attempts,
            payload={"url": f"{server.url}/in", "body": {}}, idempotency_key=key,
            now=relay.clock.now(),
        )  # fmt: skip
    return key
