"""WeCom (企业微信): notifications to a WeCom group through its group robot (群机器人).

List the plugin in app.yaml (`plugins: [wecom]`) and use `channel: wecom` in a `notify`;
the worker posts each message to the group as markdown through the outbox, with retries.
The robot's webhook URL (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`) is a
secret: it comes from the environment variable that `settings.wecom.webhook_env` names
(`FORMWORK_WECOM_WEBHOOK` by default), never from app.yaml.

WeCom answers `{"errcode": 0, "errmsg": "ok"}`; 45009 (API frequency limit) is retried, any
other error code is permanent. A markdown message holds at most 4,096 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.builtins.deliveries import (
    environment_value,
    post_to_robot,
    robot_settings_schema,
)
from engine.plugins import ChannelType, OutboxMessage, PluginInfo, hookimpl

NAME = "wecom"
WEBHOOK_ENV = "FORMWORK_WECOM_WEBHOOK"
RETRY_CODES = frozenset({45009})
MAX_BYTES = 4_096


def _clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def markdown(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The robot message of a notification: the title in bold, the body quoted below."""
    title = str(payload.get("title") or "Formwork")
    lines = str(payload.get("body") or "").splitlines() or [""]
    content = f"**{title}**\n" + "\n".join(f">{line}" for line in lines)
    record = payload.get("record")
    if isinstance(record, Mapping) and str(record.get("url") or "").startswith("http"):
        content += f"\n[{title}]({record['url']})"
    return {"msgtype": "markdown", "markdown": {"content": _clip(content, MAX_BYTES)}}


def deliver(message: OutboxMessage, settings: Mapping[str, Any]) -> None:
    """Post the notification to the group's robot."""
    url = environment_value(settings, "webhook_env", WEBHOOK_ENV, channel=NAME)
    assert url is not None
    body = markdown(message.payload)
    post_to_robot(
        "WeCom", url, body, message, settings,
        codes=("errcode",), texts=("errmsg",), retry_codes=RETRY_CODES,
    )  # fmt: skip


@hookimpl
def formwork_plugin() -> PluginInfo:
    """Describe the plugin and the keys of `settings.wecom` in app.yaml."""
    return PluginInfo(
        name=NAME,
        description="Notifications to a WeCom (企业微信) group robot.",
        settings_schema=robot_settings_schema(WEBHOOK_ENV),
        module=__name__,
    )


@hookimpl
def formwork_channels() -> list[ChannelType]:
    """The `wecom` channel."""
    return [
        ChannelType(
            NAME,
            "A markdown message to a WeCom group through its group robot (the worker sends "
            "it through the outbox).",
            {"type": "object", "properties": {}, "additionalProperties": False},
            deliver=deliver,
        )
    ]
