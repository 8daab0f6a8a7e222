"""DingTalk: notifications to a DingTalk group through its custom robot (自定义机器人).

List the plugin in app.yaml (`plugins: [dingtalk]`) and use `channel: dingtalk` in a
`notify`; the worker posts each message to the group as markdown through the outbox, with
retries. The robot's webhook URL (`https://oapi.dingtalk.com/robot/send?access_token=…`) and
its signing secret (`SEC…`, when the robot uses 加签) are secrets: they come from the
environment variables that `settings.dingtalk` names (`FORMWORK_DINGTALK_WEBHOOK` and
`FORMWORK_DINGTALK_SECRET` by default), never from app.yaml.

Signing: `timestamp` (ms) and `sign` = urlencode(base64(HMAC-SHA256(secret,
"{timestamp}\\n{secret}"))) are added to the URL. DingTalk answers `{"errcode": 0}`; 130101
(sending too fast) is retried, any other error code is permanent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from engine.builtins.deliveries import (
    environment_value,
    post_to_robot,
    robot_settings_schema,
)
from engine.plugins import ChannelType, OutboxMessage, PluginInfo, hookimpl

NAME = "dingtalk"
WEBHOOK_ENV = "FORMWORK_DINGTALK_WEBHOOK"
SECRET_ENV = "FORMWORK_DINGTALK_SECRET"
RETRY_CODES = frozenset({130101})
MAX_TEXT = 20_000  # characters of markdown kept


def sign(secret: str, timestamp: int) -> str:
    """The `sign` query value of a signed robot request (URL-encoded)."""
    text = f"{timestamp}\n{secret}".encode()
    digest = hmac.new(secret.encode(), text, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def markdown(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The robot message of a notification: a markdown message, the title as a heading."""
    title = str(payload.get("title") or "Formwork")
    text = f"#### {title}\n\n{payload.get('body') or ''}"
    record = payload.get("record")
    if isinstance(record, Mapping) and str(record.get("url") or "").startswith("http"):
        text += f"\n\n[{title}]({record['url']})"
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text[:MAX_TEXT]}}


def deliver(message: OutboxMessage, settings: Mapping[str, Any]) -> None:
    """Post the notification to the group's robot."""
    url = environment_value(settings, "webhook_env", WEBHOOK_ENV, channel=NAME)
    secret = environment_value(settings, "secret_env", SECRET_ENV, channel=NAME, required=False)
    assert url is not None
    if secret:
        timestamp = int(time.time() * 1000)
        joiner = "&" if "?" in url else "?"
        url = f"{url}{joiner}timestamp={timestamp}&sign={sign(secret, timestamp)}"
    body = markdown(message.payload)
    post_to_robot(
        "DingTalk", url, body, message, settings,
        codes=("errcode",), texts=("errmsg",), retry_codes=RETRY_CODES,
    )  # fmt: skip


@hookimpl
def formwork_plugin() -> PluginInfo:
    """Describe the plugin and the keys of `settings.dingtalk` in app.yaml."""
    return PluginInfo(
        name=NAME,
        description="Notifications to a DingTalk group robot.",
        settings_schema=robot_settings_schema(WEBHOOK_ENV, SECRET_ENV),
        module=__name__,
    )


@hookimpl
def formwork_channels() -> list[ChannelType]:
    """The `dingtalk` channel."""
    return [
        ChannelType(
            NAME,
            "A markdown message to a DingTalk group through its custom robot (the worker "
            "sends it through the outbox).",
            {"type": "object", "properties": {}, "additionalProperties": False},
            deliver=deliver,
        )
    ]
