"""plugins/feishu.py against a fake Feishu custom bot: the `post` message, the signature
(timestamp + sign in the body), error codes (both answer shapes), the environment."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from outbox_support import FakeHttpServer, Received

from engine.automation.outbox import DeliveryFailed, OutboxMessage
from engine.plugins.loading import load_plugin_file

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "fs-secret"
HOOK = "/open-apis/bot/v2/hook/0b1c2d3e"
PAYLOAD = {"title": "Deal won", "body": "Acme signed.", "recipients": []}


def _bot(request: Received) -> tuple[int, Any]:
    """Feishu's answer: the signature checked when the body carries one."""
    if request.path != HOOK:
        return 200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
    body = request.json
    if "sign" in body:
        key = f"{body['timestamp']}\n{SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if body["sign"] != expected:
            return 200, {
                "code": 19021,
                "msg": "sign match fail or timestamp is not within one hour",
            }
    return 200, {"code": 0, "msg": "success", "data": {}}


@pytest.fixture
def feishu() -> ModuleType:
    return load_plugin_file(ROOT / "plugins" / "feishu.py")


@pytest.fixture
def bot(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHttpServer]:
    with FakeHttpServer(_bot) as server:
        monkeypatch.setenv("FORMWORK_FEISHU_WEBHOOK", f"{server.url}{HOOK}")
        monkeypatch.delenv("FORMWORK_FEISHU_SECRET", raising=False)
        yield server


def _message(payload: dict[str, Any] = PAYLOAD) -> OutboxMessage:
    return OutboxMessage(5, "relay", "feishu", "relay:5", payload, 1)


POST = {
    "msg_type": "post",
    "content": {
        "post": {
            "zh_cn": {"title": "Deal won", "content": [[{"tag": "text", "text": "Acme signed."}]]}
        }
    },
}


def test_a_signed_post(
    feishu: ModuleType, bot: FakeHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMWORK_FEISHU_SECRET", SECRET)
    feishu.deliver(_message(), {})
    [request] = bot.requests
    body = request.json
    assert {k: v for k, v in body.items() if k not in ("timestamp", "sign")} == POST
    assert body["timestamp"].isdigit() and 1_600_000_000 < int(body["timestamp"]) < 10**10
    assert request.key in bot.accepted


def test_the_sign_is_the_hmac_of_nothing_keyed_by_timestamp_and_secret(feishu: ModuleType) -> None:
    digest = hmac.new(b"1700000000\nabc", b"", hashlib.sha256).digest()
    assert feishu.sign("abc", 1700000000) == base64.b64encode(digest).decode()


def test_without_a_secret_the_post_is_not_signed(feishu: ModuleType, bot: FakeHttpServer) -> None:
    record = {"entity": "deal", "id": 7, "url": "https://crm.test/deal/7"}
    feishu.deliver(_message({**PAYLOAD, "record": record}), {})
    body = bot.requests[0].json
    assert "sign" not in body and "timestamp" not in body
    assert body["content"]["post"]["zh_cn"]["content"] == [
        [{"tag": "text", "text": "Acme signed."},
         {"tag": "a", "text": "Deal won", "href": "https://crm.test/deal/7"}]
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [
        ({"code": 9499, "msg": "too many request"}, False),
        ({"code": 11232, "msg": "frequency limited"}, False),
        ({"code": 19021, "msg": "sign match fail"}, True),
        ({"StatusCode": 19001, "StatusMessage": "token invalid"}, True),
    ],
)
def test_error_codes_retry_only_the_rate_limits(
    feishu: ModuleType, monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any], permanent: bool
) -> None:
    with FakeHttpServer(lambda _: (200, answer)) as server:
        monkeypatch.setenv("FORMWORK_FEISHU_WEBHOOK", f"{server.url}{HOOK}")
        with pytest.raises(DeliveryFailed, match="Feishu refused the message: code") as failure:
            feishu.deliver(_message(), {})
    assert failure.value.permanent is permanent


def test_the_old_answer_shape_counts_as_success(
    feishu: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeHttpServer(lambda _: (200, {"StatusCode": 0, "StatusMessage": "success"})) as server:
        monkeypatch.setenv("FORMWORK_FEISHU_WEBHOOK", f"{server.url}{HOOK}")
        feishu.deliver(_message(), {})


def test_a_wrong_secret_is_permanent(
    feishu: ModuleType, bot: FakeHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMWORK_FEISHU_SECRET", "wrong")
    with pytest.raises(DeliveryFailed, match="code 19021") as failure:
        feishu.deliver(_message(), {})
    assert failure.value.permanent


def test_secrets_come_from_the_variables_the_settings_name(
    feishu: ModuleType, bot: FakeHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_BOT", f"{bot.url}{HOOK}")
    monkeypatch.setenv("OPS_SECRET", SECRET)
    monkeypatch.delenv("FORMWORK_FEISHU_WEBHOOK")
    feishu.deliver(_message(), {"webhook_env": "OPS_BOT", "secret_env": "OPS_SECRET"})
    assert "sign" in bot.requests[0].json
    with pytest.raises(DeliveryFailed, match="FORMWORK_FEISHU_WEBHOOK is not set"):
        feishu.deliver(_message(), {})
