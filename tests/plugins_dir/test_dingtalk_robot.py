"""plugins/dingtalk.py against a fake DingTalk custom robot: the markdown message, the
signature (timestamp + sign in the query), error codes, and secrets from the environment."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from outbox_support import FakeHttpServer, Received

from engine.automation.outbox import DeliveryFailed, OutboxMessage
from engine.plugins.loading import load_plugin_file
from engine.spec.check import check_app
from engine.spec.registry import Registry

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "SEC0123456789abcdef"
TOKEN = "t0ken"
PAYLOAD = {"title": "Deal won", "body": "Acme signed **200k**.", "recipients": []}


def _robot(request: Received) -> tuple[int, Any]:
    """DingTalk's answer: the signature checked when the request carries one."""
    if request.query.get("access_token") != TOKEN:
        return 200, {"errcode": 300001, "errmsg": "token is not exist"}
    if "sign" in request.query:
        timestamp = request.query["timestamp"]
        digest = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256)
        if request.query["sign"] != base64.b64encode(digest.digest()).decode():
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
    return 200, {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def dingtalk() -> ModuleType:
    return load_plugin_file(ROOT / "plugins" / "dingtalk.py")


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHttpServer]:
    with FakeHttpServer(_robot) as server:
        monkeypatch.setenv(
            "FORMWORK_DINGTALK_WEBHOOK", f"{server.url}/robot/send?access_token={TOKEN}"
        )
        monkeypatch.delenv("FORMWORK_DINGTALK_SECRET", raising=False)
        yield server


def _message(payload: dict[str, Any] = PAYLOAD) -> OutboxMessage:
    return OutboxMessage(3, "relay", "dingtalk", "relay:3", payload, 1)


def test_a_signed_markdown_message(
    dingtalk: ModuleType, robot: FakeHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMWORK_DINGTALK_SECRET", SECRET)
    dingtalk.deliver(_message(), {})
    [request] = robot.requests
    assert (request.method, request.path) == ("POST", "/robot/send")
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert int(request.query["timestamp"]) > 1_600_000_000_000  # milliseconds
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {"title": "Deal won", "text": "#### Deal won\n\nAcme signed **200k**."},
    }
    assert request.key == "relay:3"
    assert request.key in robot.accepted


def test_the_sign_is_url_encoded_base64_of_the_hmac(dingtalk: ModuleType) -> None:
    digest = hmac.new(b"SECx", b"1700000000000\nSECx", hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode().replace("+", "%2B").replace("/", "%2F")
    assert dingtalk.sign("SECx", 1700000000000) == expected.replace("=", "%3D")


def test_without_a_secret_the_request_is_not_signed(
    dingtalk: ModuleType, robot: FakeHttpServer
) -> None:
    record = {"entity": "deal", "id": 7, "url": "https://crm.test/deal/7"}
    dingtalk.deliver(_message({**PAYLOAD, "record": record}), {})
    [request] = robot.requests
    assert set(request.query) == {"access_token"}
    assert request.json["markdown"]["text"].endswith("\n\n[Deal won](https://crm.test/deal/7)")


@pytest.mark.parametrize(("code", "permanent"), [(130101, False), (310000, True), (300001, True)])
def test_error_codes_retry_only_the_rate_limit(
    dingtalk: ModuleType, monkeypatch: pytest.MonkeyPatch, code: int, permanent: bool
) -> None:
    with FakeHttpServer(lambda _: (200, {"errcode": code, "errmsg": "no"})) as server:
        monkeypatch.setenv("FORMWORK_DINGTALK_WEBHOOK", f"{server.url}/robot/send?access_token=x")
        with pytest.raises(DeliveryFailed, match=f"errcode {code} no") as failure:
            dingtalk.deliver(_message(), {})
    assert failure.value.permanent is permanent


def test_a_wrong_secret_is_a_permanent_failure(
    dingtalk: ModuleType, robot: FakeHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMWORK_DINGTALK_SECRET", "SECwrong")
    with pytest.raises(DeliveryFailed, match="errcode 310000 sign not match") as failure:
        dingtalk.deliver(_message(), {})
    assert failure.value.permanent


def test_secrets_come_from_the_variables_the_settings_name(
    dingtalk: ModuleType, robot: FakeHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALES_ROBOT", f"{robot.url}/robot/send?access_token={TOKEN}")
    monkeypatch.setenv("SALES_SECRET", SECRET)
    monkeypatch.delenv("FORMWORK_DINGTALK_WEBHOOK")
    dingtalk.deliver(_message(), {"webhook_env": "SALES_ROBOT", "secret_env": "SALES_SECRET"})
    assert "sign" in robot.requests[0].query
    with pytest.raises(DeliveryFailed, match="FORMWORK_DINGTALK_WEBHOOK is not set") as failure:
        dingtalk.deliver(_message(), {})
    assert failure.value.permanent
    with pytest.raises(DeliveryFailed, match="MISSING is not set"):
        dingtalk.deliver(_message(), {"webhook_env": "SALES_ROBOT", "secret_env": "MISSING"})


def test_an_app_lists_the_plugin_and_names_its_variables(
    project_registry: Registry, write_app_folder: Callable[..., Path]
) -> None:
    assert project_registry.channels["dingtalk"].plugin == "dingtalk"
    assert project_registry.channels["dingtalk"].deliver is not None
    app = """\
        app: relay
        title: Relay
        locales: [en]
        plugins: [dingtalk]
        settings: {dingtalk: {webhook_env: SALES_ROBOT, secret_env: SALES_SECRET}}
        """
    result = check_app(write_app_folder({"app.yaml": app}), project_registry)
    assert result.ok, [str(d) for d in result.diagnostics]
    bad = app.replace("webhook_env: SALES_ROBOT", "webhook: https://oapi.dingtalk.com/x")
    result = check_app(write_app_folder({"app.yaml": bad}), project_registry)
    assert not result.ok
