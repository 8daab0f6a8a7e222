"""The built-in deliverers: JSON over HTTP (webhooks) and e-mail over SMTP, against fake
servers on 127.0.0.1; what is retried, what is permanent, what the receiver sees."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from outbox_support import FakeHttpServer, FakeSmtpServer

from engine.automation.outbox import DeliveryFailed, OutboxMessage
from engine.builtins.channels import BUILTIN_CHANNELS
from engine.builtins.deliveries import (
    deliver_email,
    deliver_http,
    environment_value,
    parse_smtp_url,
    post_json,
)

PEOPLE = [
    {"username": "ann", "name": "Ann Lee", "email": "ann@x.test"},
    {"username": "bob", "name": "Bob", "email": None},
    {"username": "cy", "name": "", "email": "cy@x.test"},
]
EMAIL_SETTINGS = {"from": "CRM <crm@x.test>", "subject_prefix": "[CRM] ", "reply_to": "h@x.test"}


def _message(channel: str, payload: Mapping[str, Any], key: str = "key-1") -> OutboxMessage:
    return OutboxMessage(1, "relay", channel, key, payload, 1)


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer() as running:
        yield running


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as running:
        monkeypatch.setenv("FORMWORK_SMTP_URL", f"smtp://mailer:s%40cret@127.0.0.1:{running.port}")
        yield running


# -- HTTP -----------------------------------------------------------------------------------


def test_a_webhook_posts_the_json_body_with_the_idempotency_key(server: FakeHttpServer) -> None:
    payload = {"url": f"{server.url}/in?x=1", "method": "put", "headers": {"X-Sig": "abc"},
               "body": {"deal": 7, "name": "Acme 北京"}}  # fmt: skip
    deliver_http(_message("webhook", payload), {"timeout_seconds": 5})
    [request] = server.requests
    assert (request.method, request.path, request.query) == ("PUT", "/in", {"x": "1"})
    assert request.json == {"deal": 7, "name": "Acme 北京"}
    assert request.key == "key-1"
    assert request.headers["x-sig"] == "abc"
    assert request.headers["user-agent"].startswith("Formwork")


def test_a_notification_over_the_webhook_channel_falls_back_to_the_settings_url(
    server: FakeHttpServer,
) -> None:
    deliver_http(_message("webhook", {"body": {"title": "t"}}), {"url": f"{server.url}/n"})
    assert server.requests[0].path == "/n"


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(408, False), (429, False), (500, False), (503, False), (400, True), (404, True),
     (410, True)],
)  # fmt: skip
def test_http_statuses_decide_between_retry_and_dead_letter(
    server: FakeHttpServer, status: int, permanent: bool
) -> None:
    server.fail_next(1, status=status)
    with pytest.raises(DeliveryFailed) as failure:
        deliver_http(_message("webhook", {"url": server.url, "body": {}}), {})
    assert failure.value.permanent is permanent
    assert f"answered {status}" in str(failure.value)


def test_a_redirect_is_not_followed_but_reported(server: FakeHttpServer) -> None:
    server.fail_next(1, status=301)
    with pytest.raises(DeliveryFailed, match="answered 301") as failure:
        post_json(server.url, {}, idempotency_key="k")
    assert failure.value.permanent


def test_a_server_that_is_not_there_is_retried() -> None:
    with FakeHttpServer() as gone:
        url = gone.url
    with pytest.raises(DeliveryFailed, match="failed") as failure:
        post_json(url, {}, idempotency_key="k", timeout=2)
    assert not failure.value.permanent


def test_query_strings_never_reach_error_messages(server: FakeHttpServer) -> None:
    server.fail_next(1, status=500)
    with pytest.raises(DeliveryFailed) as failure:
        post_json(f"{server.url}/send?access_token=SECRET", {}, idempotency_key="k")
    assert "SECRET" not in str(failure.value)


def test_a_webhook_without_a_url_is_permanent() -> None:
    with pytest.raises(DeliveryFailed, match=r"settings\.webhook\.url") as failure:
        deliver_http(_message("webhook", {"body": {}}), {})
    assert failure.value.permanent
    with pytest.raises(DeliveryFailed, match="must start with http") as failure:
        deliver_http(_message("webhook", {"url": "ftp://x/"}), {})
    assert failure.value.permanent


# -- e-mail ---------------------------------------------------------------------------------


def test_one_plain_text_mail_per_recipient_with_an_address(smtp: FakeSmtpServer) -> None:
    payload = {"title": "Deal won", "body": "Acme signed.\nWell done.", "recipients": PEOPLE,
               "record": {"entity": "deal", "id": 7, "url": "https://crm.test/deal/7"}}  # fmt: skip
    deliver_email(_message("email", payload), EMAIL_SETTINGS)
    mails = smtp.mails
    assert [m.recipients for m in mails] == [("ann@x.test",), ("cy@x.test",)]
    first = mails[0].message
    assert mails[0].sender == "crm@x.test"
    assert (first["From"], first["To"], first["Subject"], first["Reply-To"]) == (
        "CRM <crm@x.test>", "Ann Lee <ann@x.test>", "[CRM] Deal won", "h@x.test",
    )  # fmt: skip
    assert first.get_content_type() == "text/plain"
    assert (
        first.get_content().replace("\r\n", "\n")
        == "Acme signed.\nWell done.\n\nhttps://crm.test/deal/7\n"
    )
    assert mails[1].message["To"] == "cy@x.test"
    assert smtp.logins == [("mailer", "s@cret")]


def test_the_message_id_comes_from_the_idempotency_key(smtp: FakeSmtpServer) -> None:
    payload = {"title": "t", "body": "b", "recipients": PEOPLE[:1]}
    deliver_email(_message("email", payload, key="k-1"), EMAIL_SETTINGS)
    deliver_email(_message("email", payload, key="k-1"), EMAIL_SETTINGS)
    deliver_email(_message("email", payload, key="k-2"), EMAIL_SETTINGS)
    ids = [m.message["Message-ID"] for m in smtp.mails]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].startswith("<") and ids[0].endswith("@x.test>")


@pytest.mark.parametrize(("reply", "permanent"), [("451 try later", False), ("550 no", True)])
def test_smtp_4xx_is_retried_and_5xx_is_permanent(
    smtp: FakeSmtpServer, reply: str, permanent: bool
) -> None:
    smtp.refuse("ann@x.test", reply)
    with pytest.raises(DeliveryFailed, match=f"SMTP to ann@x.test answered {reply}") as failure:
        deliver_email(_message("email", {"title": "t", "recipients": PEOPLE[:1]}), EMAIL_SETTINGS)
    assert failure.value.permanent is permanent


def test_nobody_with_an_address_is_permanent(smtp: FakeSmtpServer) -> None:
    with pytest.raises(DeliveryFailed, match=r"none of the 1 recipient\(s\) \(bob\)") as failure:
        deliver_email(_message("email", {"title": "t", "recipients": PEOPLE[1:2]}), EMAIL_SETTINGS)
    assert failure.value.permanent


def test_email_needs_a_server_and_a_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _message("email", {"title": "t", "recipients": PEOPLE[:1]})
    monkeypatch.delenv("FORMWORK_SMTP_URL", raising=False)
    with pytest.raises(DeliveryFailed, match="FORMWORK_SMTP_URL is not set") as failure:
        deliver_email(message, EMAIL_SETTINGS)
    assert failure.value.permanent
    monkeypatch.setenv("FORMWORK_SMTP_URL", "http://mail.test")
    with pytest.raises(DeliveryFailed, match="must look like smtp://"):
        deliver_email(message, EMAIL_SETTINGS)
    monkeypatch.setenv("FORMWORK_SMTP_URL", "smtp://127.0.0.1:9")
    with pytest.raises(DeliveryFailed, match=r"settings\.email\.from") as failure:
        deliver_email(message, {})
    assert failure.value.permanent


def test_an_unreachable_smtp_server_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSmtpServer() as gone:
        port = gone.port
    monkeypatch.setenv("FORMWORK_SMTP_URL", f"smtp://127.0.0.1:{port}")
    with pytest.raises(DeliveryFailed, match=f"SMTP 127.0.0.1:{port} failed") as failure:
        deliver_email(_message("email", {"title": "t", "recipients": PEOPLE[:1]}), EMAIL_SETTINGS)
    assert not failure.value.permanent


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://u%40x:p%3Aw@mail.test?starttls=1")
    assert (plain.host, plain.port, plain.tls, plain.starttls) == ("mail.test", 25, False, True)
    assert (plain.username, plain.password) == ("u@x", "p:w")
    tls = parse_smtp_url("smtps://mail.test")
    assert (tls.port, tls.tls, tls.starttls, tls.username) == (465, True, False, None)
    assert parse_smtp_url("smtp://mail.test:2525").port == 2525


def test_environment_values_name_the_variable_to_set() -> None:
    settings = {"webhook_env": "MY_HOOK"}
    assert environment_value(settings, "webhook_env", "D", channel="c", environ={"MY_HOOK": "u"})
    with pytest.raises(DeliveryFailed, match="MY_HOOK is not set") as failure:
        environment_value(settings, "webhook_env", "D", channel="c", environ={})
    assert failure.value.permanent
    assert environment_value({}, "secret_env", "S", channel="c", required=False, environ={}) is None
    with pytest.raises(DeliveryFailed, match="MINE is not set"):
        environment_value({"secret_env": "MINE"}, "secret_env", "S", channel="c", required=False,
                          environ={})  # fmt: skip


def test_email_and_webhook_deliver_through_the_outbox_and_inbox_does_not() -> None:
    channels = {channel.name: channel for channel in BUILTIN_CHANNELS}
    assert channels["email"].deliver is deliver_email
    assert channels["webhook"].deliver is deliver_http
    assert channels["inbox"].deliver is None
