"""plugins/wecom.py against a fake WeCom group robot: the markdown message (title in bold,
body quoted), the key in the URL, error codes, the 4,096-byte limit, the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from outbox_support import FakeHttpServer, Received

from engine.automation.outbox import DeliveryFailed, OutboxMessage
from engine.plugins.loading import load_plugin_file

ROOT = Path(__file__).resolve().parent.parent.parent
KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
PAYLOAD = {"title": "Deal won", "body": "Acme signed.\nWell done.", "recipients": []}


def _robot(request: Received) -> tuple[int, Any]:
    """WeCom's answer: an unknown key is errcode 93000."""
    if request.path != "/cgi-bin/webhook/send" or request.query.get("key") != KEY:
        return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
    return 200, {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def wecom() -> ModuleType:
    return load_plugin_file(ROOT / "plugins" / "wecom.py")


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHttpServer]:
    with FakeHttpServer(_robot) as server:
        url = f"{server.url}/cgi-bin/webhook/send?key={KEY}"
        monkeypatch.setenv("FORMWORK_WECOM_WEBHOOK", url)
        yield server


def _message(payload: dict[str, Any] = PAYLOAD) -> OutboxMessage:
    return OutboxMessage(4, "relay", "wecom", "relay:4", payload, 1)


def test_a_markdown_message_with_the_title_in_bold(
    wecom: ModuleType, robot: FakeHttpServer
) -> None:
    wecom.deliver(_message(), {})
    [request] = robot.requests
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {"content": "**Deal won**\n>Acme signed.\n>Well done."},
    }
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.key in robot.accepted


def test_long_messages_are_cut_to_4096_bytes(wecom: ModuleType, robot: FakeHttpServer) -> None:
    wecom.deliver(_message({"title": "长", "body": "汉字" * 3000}), {})
    content = robot.requests[0].json["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.startswith("**长**\n>汉字")


@pytest.mark.parametrize(("code", "permanent"), [(45009, False), (93000, True), (40008, True)])
def test_error_codes_retry_only_the_rate_limit(
    wecom: ModuleType, monkeypatch: pytest.MonkeyPatch, code: int, permanent: bool
) -> None:
    with FakeHttpServer(lambda _: (200, {"errcode": code, "errmsg": "no"})) as server:
        monkeypatch.setenv("FORMWORK_WECOM_WEBHOOK", f"{server.url}/cgi-bin/webhook/send?key=k")
        with pytest.raises(DeliveryFailed, match=f"errcode {code} no") as failure:
            wecom.deliver(_message(), {})
    assert failure.value.permanent is permanent


def test_a_wrong_key_is_permanent_and_the_key_stays_out_of_the_error(
    wecom: ModuleType, robot: FakeHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMWORK_WECOM_WEBHOOK", f"{robot.url}/cgi-bin/webhook/send?key=wrong")
    with pytest.raises(DeliveryFailed, match="errcode 93000") as failure:
        wecom.deliver(_message(), {})
    assert failure.value.permanent


def test_the_webhook_comes_from_the_variable_the_settings_name(
    wecom: ModuleType, robot: FakeHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_ROBOT", f"{robot.url}/cgi-bin/webhook/send?key={KEY}")
    monkeypatch.delenv("FORMWORK_WECOM_WEBHOOK")
    wecom.deliver(_message(), {"webhook_env": "OPS_ROBOT"})
    assert len(robot.accepted) == 1
    with pytest.raises(DeliveryFailed, match="FORMWORK_WECOM_WEBHOOK is not set") as failure:
        wecom.deliver(_message(), {})
    assert failure.value.permanent


def test_server_errors_are_retried(wecom: ModuleType, robot: FakeHttpServer) -> None:
    robot.fail_next(1, status=502)
    with pytest.raises(DeliveryFailed, match="answered 502") as failure:
        wecom.deliver(_message(), {})
    assert not failure.value.permanent
    assert KEY not in str(failure.value)
