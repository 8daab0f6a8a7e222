"""Delivering the outbox: claimed messages go out through their channel's `deliver`, outside
any transaction; failures are retried with backoff or become dead letters; unknown channels
and deliverers' bugs are recorded, never fatal."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from outbox_support import APP_FILES, APP_ID, FakeHttpServer, FakeSmtpServer
from runtime_support import START, EngineFactory

from engine.automation.backoff import backoff_delay
from engine.automation.outbox import DeliveryFailed, OutboxMessage
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.outbox import DeliveryReport, OutboxDelivery, OutboxStore
from engine.spec.registry import ChannelType


@pytest.fixture
def relay(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> Engine:
    return make_engine(write_app_folder(APP_FILES), database_url)


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer() as running:
        yield running


def _store(relay: Engine) -> OutboxStore:
    return OutboxStore(relay.tables.system, APP_ID)


def _delivery(
    relay: Engine,
    channels: Mapping[str, ChannelType] | None = None,
    settings: Mapping[str, Any] | None = None,
    **options: Any,
) -> OutboxDelivery:
    return OutboxDelivery(
        relay.db,
        _store(relay),
        relay.registry.channels if channels is None else channels,
        {} if settings is None else settings,
        relay.clock,
        worker_id="test-worker",
        **options,
    )


def _enqueue(
    relay: Engine, channel: str, payload: Mapping[str, Any], key: str, max_attempts: int = 5
) -> int:
    with relay.db.begin() as connection:
        return _store(relay).enqueue(
            connection, channel=channel, payload=payload, idempotency_key=key,
            max_attempts=max_attempts, now=relay.clock.now(),
        )  # fmt: skip


def _webhook(relay: Engine, server: FakeHttpServer, key: str, max_attempts: int = 5) -> int:
    payload = {"url": f"{server.url}/hook", "method": "POST", "headers": {"X-App": "relay"},
               "body": {"key": key}}  # fmt: skip
    return _enqueue(relay, "webhook", payload, key, max_attempts)


def _row(relay: Engine, message_id: int) -> Any:
    return next(r for r in _delivery(relay).list_messages() if r.id == message_id)


def _clock(relay: Engine) -> FixedClock:
    assert isinstance(relay.clock, FixedClock)
    return relay.clock


def test_due_messages_are_delivered_once_with_their_key(
    relay: Engine, server: FakeHttpServer
) -> None:
    ids = [_webhook(relay, server, f"key-{n}") for n in range(3)]
    delivery = _delivery(relay)
    assert delivery.deliver_due() == DeliveryReport(delivered=3)
    assert delivery.deliver_due() == DeliveryReport()
    assert sorted(server.accepted) == ["key-0", "key-1", "key-2"]
    request = server.accepted["key-0"]
    assert (request.method, request.path, request.json) == ("POST", "/hook", {"key": "key-0"})
    assert request.headers["x-app"] == "relay"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    row = _row(relay, ids[0])
    assert (row.status, row.attempts, row.delivered_at, row.locked_by) == (
        "delivered", 1, START, None,
    )  # fmt: skip
    assert delivery.undelivered() == 0


def test_the_limit_bounds_one_round(relay: Engine, server: FakeHttpServer) -> None:
    for n in range(5):
        _webhook(relay, server, f"b{n}")
    delivery = _delivery(relay)
    assert delivery.deliver_due(limit=2).delivered == 2
    assert delivery.undelivered() == 3


def test_a_failure_is_retried_after_the_backoff(relay: Engine, server: FakeHttpServer) -> None:
    message_id = _webhook(relay, server, "flaky")
    server.fail_next(1, status=503)
    delivery = _delivery(relay)
    assert delivery.deliver_due() == DeliveryReport(retried=1)
    row = _row(relay, message_id)
    wait = backoff_delay(1, jitter_key=message_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, START + wait)
    assert row.last_error == f"attempt 1 of 5: POST {server.url}/hook answered 503: " + (
        '{"error": "failing"}'
    )
    _clock(relay).advance(wait - timedelta(seconds=1))
    assert delivery.deliver_due() == DeliveryReport()
    _clock(relay).advance(timedelta(seconds=1))
    assert delivery.deliver_due() == DeliveryReport(delivered=1)
    assert _row(relay, message_id).attempts == 2
    assert server.key_counts()["flaky"] == 2


def test_a_permanent_failure_is_a_dead_letter_at_once(
    relay: Engine, server: FakeHttpServer
) -> None:
    message_id = _webhook(relay, server, "rejected")
    server.fail_next(1, status=422)
    assert _delivery(relay).deliver_due() == DeliveryReport(dead=1)
    row = _row(relay, message_id)
    assert row.status == "dead"
    assert row.last_error.startswith("attempt 1: permanent failure: POST http://127.0.0.1:")
    assert "answered 422" in row.last_error


def test_the_last_attempt_failing_makes_a_dead_letter_and_it_can_be_retried(
    relay: Engine, server: FakeHttpServer
) -> None:
    message_id = _webhook(relay, server, "tired", max_attempts=2)
    server.fail_next(2, status=500)
    delivery = _delivery(relay)
    assert delivery.deliver_due().retried == 1
    _clock(relay).advance(timedelta(hours=1))
    assert delivery.deliver_due() == DeliveryReport(dead=1)
    row = _row(relay, message_id)
    assert row.status == "dead"
    assert row.last_error.startswith("attempt 2 of 2, the last: POST")
    assert delivery.retry_dead([message_id]) == 1
    assert delivery.deliver_due() == DeliveryReport(delivered=1)
    assert _row(relay, message_id).attempts == 1


def test_an_unknown_channel_is_a_dead_letter_naming_the_channels(relay: Engine) -> None:
    message_id = _enqueue(relay, "fax", {"title": "hi"}, "fax-1")
    assert _delivery(relay).deliver_due() == DeliveryReport(dead=1)
    error = _row(relay, message_id).last_error
    assert error.startswith("the channel 'fax' is not installed (channels that deliver: ")
    assert "email" in error and "webhook" in error


def test_a_channel_without_deliver_is_a_dead_letter(relay: Engine) -> None:
    message_id = _enqueue(relay, "inbox", {"title": "hi"}, "inbox-1")
    assert _delivery(relay).deliver_due() == DeliveryReport(dead=1)
    assert _row(relay, message_id).last_error.startswith(
        "the channel 'inbox' does not deliver through the outbox"
    )


def test_a_deliverers_bug_is_retried_and_the_round_goes_on(relay: Engine) -> None:
    def broken(message: OutboxMessage, settings: Mapping[str, Any]) -> None:
        if message.payload["n"] == 0:
            raise KeyError("oops")

    channels = {"chat": ChannelType("chat", "Chat.", {"type": "object"}, deliver=broken)}
    first = _enqueue(relay, "chat", {"n": 0}, "c0")
    _enqueue(relay, "chat", {"n": 1}, "c1")
    assert _delivery(relay, channels).deliver_due() == DeliveryReport(delivered=1, retried=1)
    assert _row(relay, first).last_error == "attempt 1 of 5: KeyError: 'oops'"


def test_the_channel_gets_its_settings_and_the_attempt(relay: Engine) -> None:
    seen: list[tuple[int, Mapping[str, Any]]] = []

    def record(message: OutboxMessage, settings: Mapping[str, Any]) -> None:
        seen.append((message.attempt, settings))
        if message.attempt == 1:
            raise DeliveryFailed("busy")

    channels = {"chat": ChannelType("chat", "Chat.", {"type": "object"}, deliver=record)}
    settings = {"chat": {"room": "sales"}, "other": {"x": 1}}
    _enqueue(relay, "chat", {}, "s1")
    delivery = _delivery(relay, channels, settings)
    delivery.deliver_due()
    _clock(relay).advance(timedelta(minutes=5))
    delivery.deliver_due()
    assert seen == [(1, {"room": "sales"}), (2, {"room": "sales"})]


def test_messages_not_reached_within_half_the_lease_are_given_back(relay: Engine) -> None:
    clock = _clock(relay)

    def slow(message: OutboxMessage, settings: Mapping[str, Any]) -> None:
        clock.advance(timedelta(minutes=2))

    channels = {"slow": ChannelType("slow", "Slow.", {"type": "object"}, deliver=slow)}
    ids = [_enqueue(relay, "slow", {}, f"s{n}") for n in range(4)]
    delivery = _delivery(relay, channels, lease=timedelta(minutes=5))
    assert delivery.deliver_due() == DeliveryReport(delivered=2)
    rows = {r.id: r for r in delivery.list_messages()}
    assert [(rows[i].status, rows[i].attempts, rows[i].locked_by) for i in ids[2:]] == [
        ("pending", 0, None), ("pending", 0, None),
    ]  # fmt: skip
    assert delivery.deliver_due() == DeliveryReport(delivered=2)


def test_the_lease_must_be_positive(relay: Engine) -> None:
    with pytest.raises(ValueError, match="the outbox lease must be positive"):
        _delivery(relay, lease=timedelta(0))


def test_email_goes_through_the_outbox_to_the_smtp_server(
    relay: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeSmtpServer() as smtp:
        monkeypatch.setenv("FORMWORK_SMTP_URL", f"smtp://127.0.0.1:{smtp.port}")
        ann = {"username": "ann", "name": "Ann", "email": "ann@x.test"}
        payload = {"title": "Deal won", "body": "Acme signed.", "recipients": [ann]}
        message_id = _enqueue(relay, "email", payload, "mail-1")
        settings = {"email": {"from": "crm@x.test", "subject_prefix": "[CRM] "}}
        assert _delivery(relay, settings=settings).deliver_due() == DeliveryReport(delivered=1)
        [mail] = smtp.mails
    assert mail.recipients == ("ann@x.test",)
    assert mail.message["Subject"] == "[CRM] Deal won"
    assert _row(relay, message_id).status == "delivered"
