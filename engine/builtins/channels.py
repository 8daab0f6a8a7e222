"""The built-in notification channels, declared through `formwork_channels`.

A channel's `settings_schema` describes `settings.<channel>` in app.yaml (an object schema).
Server secrets (SMTP passwords, signing keys) come from the environment, never from YAML.
`email` and `webhook` leave the process: their messages go through the outbox and the
worker delivers them (`engine.builtins.deliveries`); `inbox` is written in the transaction.
"""

from __future__ import annotations

from engine.builtins.deliveries import deliver_email, deliver_http
from engine.builtins.hooks import hookimpl
from engine.spec.registry import ChannelType

__all__ = ["BUILTIN_CHANNELS", "formwork_channels"]

_NO_SETTINGS = {"type": "object", "properties": {}, "additionalProperties": False}


def _timeout(default: int) -> dict[str, object]:
    return {
        "type": "integer",
        "minimum": 1,
        "maximum": 60,
        "default": default,
        "description": "How long one delivery attempt may take.",
    }


_MAX_ATTEMPTS = {
    "type": "integer",
    "minimum": 1,
    "maximum": 20,
    "default": 5,
    "description": "Deliveries tried (with backoff) before a dead letter.",
}

BUILTIN_CHANNELS: tuple[ChannelType, ...] = (
    ChannelType(
        "inbox",
        "The in-app inbox of each recipient (always available).",
        _NO_SETTINGS,
    ),
    ChannelType(
        "email",
        "E-mail to each recipient's address, sent by the worker through the outbox (the "
        "SMTP server comes from the environment variable `FORMWORK_SMTP_URL`).",
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "from": {
                    "type": "string",
                    "pattern": r"^[^@\s]+@[^@\s]+$|^.+<[^@\s]+@[^@\s]+>$",
                    "description": "The sender: `crm@example.com` or `CRM <crm@example.com>`.",
                },
                "reply_to": {
                    "type": "string",
                    "pattern": r"^[^@\s]+@[^@\s]+$",
                    "description": "The address replies go to.",
                },
                "subject_prefix": {
                    "type": "string",
                    "maxLength": 40,
                    "description": "Text put before every subject (`[CRM] `).",
                },
                "timeout_seconds": _timeout(30),
                "max_attempts": _MAX_ATTEMPTS,
            },
        },
        deliver=deliver_email,
    ),
    ChannelType(
        "webhook",
        "An HTTP POST of the notification as JSON, sent by the worker through the outbox.",
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "url": {
                    "type": "string",
                    "pattern": "^https?://.+",
                    "description": "Where notifications are posted.",
                },
                "timeout_seconds": _timeout(10),
                "max_attempts": _MAX_ATTEMPTS,
            },
        },
        deliver=deliver_http,
    ),
)
"""Every built-in channel."""


@hookimpl
def formwork_channels() -> list[ChannelType]:
    """The built-in notification channels."""
    return list(BUILTIN_CHANNELS)
