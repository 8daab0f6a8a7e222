"""Feishu (飞书, Lark): notifications to a Feishu group through its custom bot (自定义机器人).

List the plugin in app.yaml (`plugins: [feishu]`) and use `channel: feishu` in a `notify`;
the worker posts each message to the group as a rich-text `post` through the outbox, with
retries. The bot's webhook URL (`https://open.feishu.cn/open-apis/bot/v2/hook/<token>`)
and its signing secret (签名校验) are secrets: they come from the environment variables that
`settings.feishu` names (`FORMWORK_FEISHU_WEBHOOK`, `FORMWORK_FEISHU_SECRET` by default),
never from app.yaml.

Signing: the body carries `timestamp` (seconds, a string) and `sign` =
base64(HMAC-SHA256(key="{timestamp}\\n{secret}", message="")). Feishu answers
`{"code": 0}` (older servers `{"StatusCode": 0}`); 9499 and 11232 (rate limits) are
retried, any other code is permanent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

from engine.builtins.deliveries import (
    environment_value,
    post_to_robot,
    robot_settings_schema,
)
from engine.plugins import ChannelType, OutboxMessage, PluginInfo, hookimpl

NAME = "feishu"
WEBHOOK_ENV = "FORMWORK_FEISHU_WEBHOOK"
SECRET_ENV = "FORMWORK_FEISHU_SECRET"
RETRY_CODES = frozenset({9499, 11232})


def sign(secret: str, timestamp: int) -> str:
    """The `sign` of a signed bot request."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def post(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The bot message of a notification: a `post` with the title and the body's text."""
    title = str(payload.get("title") or "Formwork")
    line: list[dict[str, Any]] = [{"tag": "text", "text": str(payload.get("body") or "")}]
    record = payload.get("record")
    if isinstance(record, Mapping) and str(record.get("url") or "").startswith("http"):
        line.append({"tag": "a", "text": title, "href": str(record["url"])})
    return {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": title, "content": [line]}}},
    }


def deliver(message: OutboxMessage, settings: Mapping[str, Any]) -> None:
    """Post the notification to the group's bot."""
    url = environment_value(settings, "webhook_env", WEBHOOK_ENV, channel=NAME)
    secret = environment_value(settings, "secret_env", SECRET_ENV, channel=NAME, required=False)
    assert url is not None
    body = post(message.payload)
    if secret:
        timestamp = int(time.time())
        body = {"timestamp": str(timestamp), "sign": sign(secret, timestamp), **body}
    post_to_robot(
        "Feishu", url, body, message, settings,
        codes=("code", "StatusCode"), texts=("msg", "StatusMessage"), retry_codes=RETRY_CODES,
    )  # fmt: skip


@hookimpl
def formwork_plugin() -> PluginInfo:
    """Describe the plugin and the keys of `settings.feishu` in app.yaml."""
    return PluginInfo(
        name=NAME,
        description="Notifications to a Feishu (飞书, Lark) group bot.",
        settings_schema=robot_settings_schema(WEBHOOK_ENV, SECRET_ENV),
        module=__name__,
    )


@hookimpl
def formwork_channels() -> list[ChannelType]:
    """The `feishu` channel."""
    return [
        ChannelType(
            NAME,
            "A rich-text post to a Feishu group through its custom bot (the worker sends it "
            "through the outbox).",
            {"type": "object", "properties": {}, "additionalProperties": False},
            deliver=deliver,
        )
    ]
