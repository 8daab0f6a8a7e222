"""The built-in deliverers: e-mail over SMTP and JSON over HTTP (webhooks), and the HTTP and
environment helpers the chat-robot plugins share.

A deliverer gets an outbox message and its channel's settings and returns when the receiver
took the message, or raises `DeliveryFailed` — `permanent` when a retry cannot help (a
rejected address, a 4xx other than 408/429, a missing server setting). Every attempt of a
message carries its idempotency key: the `Idempotency-Key` header over HTTP, a `Message-ID`
derived from it in e-mail, so a receiver can recognise a repeat.

Secrets never sit in app.yaml: the SMTP server (with its password) comes from
`FORMWORK_SMTP_URL`, robots' webhook URLs and signing secrets from environment variables
whose names the settings give.
"""

from __future__ import annotations

import hashlib
import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from engine.automation.outbox import DeliveryFailed, OutboxMessage

__all__ = [
    "DEFAULT_TIMEOUT",
    "SMTP_URL_ENV",
    "HttpAnswer",
    "SmtpServer",
    "deliver_email",
    "deliver_http",
    "environment_value",
    "parse_smtp_url",
    "post_json",
    "post_to_robot",
    "robot_settings_schema",
    "timeout_of",
]

SMTP_URL_ENV = "FORMWORK_SMTP_URL"
DEFAULT_TIMEOUT = 10
"""Seconds one delivery attempt may take unless `settings.<channel>.timeout_seconds` says."""

USER_AGENT = "Formwork-Outbox/1"
_RETRY_STATUSES = frozenset({408, 429})
_SNIPPET = 200


# -- the environment --------------------------------------------------------------------------


def environment_value(
    settings: Mapping[str, Any],
    key: str,
    default_name: str,
    *,
    channel: str,
    required: bool = True,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The value of the environment variable named by `settings[key]` (default
    `default_name`). Missing: a permanent DeliveryFailed saying which variable to set when
    `required` or when the settings name the variable themselves; else None."""
    name = settings.get(key) or default_name
    value = (os.environ if environ is None else environ).get(str(name), "").strip()
    if value:
        return value
    if required or key in settings:
        raise DeliveryFailed(
            f"the environment variable {name} is not set: set it for the worker "
            f"(`settings.{channel}.{key}` names the variable the {channel} channel reads)",
            permanent=True,
        )
    return None


def timeout_of(settings: Mapping[str, Any], default: float = DEFAULT_TIMEOUT) -> float:
    """`timeout_seconds` of a channel's settings, else `default`."""
    value = settings.get("timeout_seconds", default)
    return float(value) if isinstance(value, int | float) and value > 0 else default


def _env_name(default: str, what: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        "default": default,
        "description": f"The name of the environment variable that holds {what} (never "
        "the value itself: it is a secret).",
    }


def robot_settings_schema(webhook_env: str, secret_env: str | None = None) -> dict[str, Any]:
    """The settings of a chat-robot channel: the names of the environment variables with
    its webhook URL (and signing secret), the timeout and the attempts."""
    properties: dict[str, Any] = {"webhook_env": _env_name(webhook_env, "the robot's webhook URL")}
    if secret_env is not None:
        properties["secret_env"] = _env_name(secret_env, "the robot's signing secret")
    properties["timeout_seconds"] = {
        "type": "integer",
        "minimum": 1,
        "maximum": 60,
        "default": DEFAULT_TIMEOUT,
        "description": "How long one delivery attempt may take.",
    }
    properties["max_attempts"] = {
        "type": "integer",
        "minimum": 1,
        "maximum": 20,
        "default": 5,
        "description": "Deliveries tried (with backoff) before a dead letter.",
    }
    return {"type": "object", "additionalProperties": False, "properties": properties}


# -- HTTP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpAnswer:
    """A 2xx answer: its status and body (parsed JSON when it is JSON, else None)."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET without its body: report it instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _snippet(body: bytes) -> str:
    text = body[:_SNIPPET].decode("utf-8", "replace").strip()
    return f": {text}" if text else ""


def post_json(
    url: str,
    body: Any,
    *,
    idempotency_key: str,
    timeout: float = DEFAULT_TIMEOUT,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
) -> HttpAnswer:
    """Send `body` as JSON to `url` with the `Idempotency-Key` header; the 2xx answer.
    408, 429, 5xx and network errors raise a DeliveryFailed to retry; other statuses
    (3xx, 4xx) a permanent one."""
    where = f"{method} {_safe_url(url)}"
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryFailed(
            f"{where}: the URL must start with http:// or https://", permanent=True
        )
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    for name, value in (headers or {}).items():
        request.add_header(str(name), str(value))
    if data is not None:
        request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("Idempotency-Key", idempotency_key)
    request.add_header("User-Agent", USER_AGENT)
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=timeout) as response:
            return HttpAnswer(int(response.status), response.read())
    except urllib.error.HTTPError as error:
        status, answer = int(error.code), error.read()
        retry = status in _RETRY_STATUSES or status >= 500
        text = f"{where} answered {status}{_snippet(answer)}"
        raise DeliveryFailed(text, permanent=not retry) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(f"{where} failed: {reason}") from error


def post_to_robot(
    robot: str,
    url: str,
    body: Any,
    message: OutboxMessage,
    settings: Mapping[str, Any],
    *,
    codes: tuple[str, ...],
    texts: tuple[str, ...],
    retry_codes: frozenset[int],
) -> None:
    """Post a chat robot's message and read its JSON answer: the first of `codes` present
    is its result code (0: delivered), the first of `texts` its message. A rate-limit code
    (`retry_codes`) is retried; any other non-zero code is a dead letter at once."""
    answer = post_json(
        url, body, idempotency_key=message.idempotency_key, timeout=timeout_of(settings)
    ).json()
    found = answer if isinstance(answer, Mapping) else {}
    code = next((found[key] for key in codes if key in found), None)
    if code is None:
        raise DeliveryFailed(f"{robot} answered something that is not its JSON: {answer!r}")
    if code != 0:
        text = next((str(found[key]) for key in texts if found.get(key)), "")
        raise DeliveryFailed(
            f"{robot} refused the message: {codes[0]} {code} {text}".strip(),
            permanent=code not in retry_codes,
        )


def _safe_url(url: str) -> str:
    """The URL without its query (robots put their access tokens there) and password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def deliver_http(message: OutboxMessage, settings: Mapping[str, Any]) -> None:
    """A webhook: POST (or `method`) the payload's `body` as JSON to its `url` (else
    `settings.url`) with its `headers`; see `post_json` for what is retried."""
    payload = message.payload
    url = payload.get("url") or settings.get("url")
    if not isinstance(url, str) or not url:
        raise DeliveryFailed(
            f"the {message.channel} message has no `url` and `settings.{message.channel}.url` "
            "is not set",
            permanent=True,
        )
    method = str(payload.get("method") or "POST").upper()
    headers = payload.get("headers") or {}
    if not isinstance(headers, Mapping):
        raise DeliveryFailed("the webhook's `headers` must be an object", permanent=True)
    post_json(
        url,
        payload.get("body"),
        idempotency_key=message.idempotency_key,
        timeout=timeout_of(settings),
        method=method,
        headers={str(k): str(v) for k, v in headers.items()},
    )


# -- e-mail ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpServer:
    """Where e-mail goes, from `FORMWORK_SMTP_URL`."""

    host: str
    port: int
    tls: bool  # smtps://: TLS from the first byte
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://[user:pass@]host[:port][?starttls=1]` or `smtps://…` (ValueError when it is
    not one)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(
            f"{SMTP_URL_ENV} must look like smtp://user:password@host:587?starttls=1 or "
            f"smtps://user:password@host:465, not '{_safe_url(url)}'"
        )
    tls = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        tls=tls,
        starttls=starttls and not tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _message_id(key: str, address: str, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "formwork.invalid"
    digest = hashlib.sha256(f"{key}\n{address.lower()}".encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def _email(
    message: OutboxMessage, settings: Mapping[str, Any], name: str, address: str
) -> EmailMessage:
    payload = message.payload
    sender = str(settings["from"])
    email = EmailMessage()
    email["From"] = sender
    email["To"] = formataddr((name, address)) if name else address
    email["Subject"] = f"{settings.get('subject_prefix', '')}{payload.get('title') or ''}"
    if settings.get("reply_to"):
        email["Reply-To"] = str(settings["reply_to"])
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = _message_id(message.idempotency_key, address, sender)
    text = str(payload.get("body") or "")
    record = payload.get("record")
    if isinstance(record, Mapping) and record.get("url"):
        text = f"{text}\n\n{record['url']}" if text else str(record["url"])
    email.set_content(text + "\n")
    return email


def _recipients(message: OutboxMessage) -> list[tuple[str, str]]:
    people = message.payload.get("recipients") or []
    found = [
        (str(p.get("name") or ""), str(p["email"]))
        for p in people
        if isinstance(p, Mapping) and p.get("email")
    ]
    if not found:
        names = ", ".join(
            str(p.get("username")) for p in people if isinstance(p, Mapping)
        )  # fmt: skip
        raise DeliveryFailed(
            f"none of the {len(people)} recipient(s) ({names or 'nobody'}) has an e-mail address",
            permanent=True,
        )
    return found


def _smtp_failure(error: smtplib.SMTPException, address: str) -> DeliveryFailed:
    code: int | None = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, text = next(iter(error.recipients.values()))
        detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    else:
        raw = getattr(error, "smtp_error", b"")
        detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(error)
    if code is None:
        return DeliveryFailed(f"SMTP to {address} failed: {error}")
    return DeliveryFailed(
        f"SMTP to {address} answered {code} {detail}".strip(), permanent=500 <= code < 600
    )


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    if server.tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    if server.starttls:
        client.starttls(context=ssl.create_default_context())
    if server.username:
        client.login(server.username, server.password or "")
    return client


def deliver_email(message: OutboxMessage, settings: Mapping[str, Any]) -> None:
    """E-mail the notification (plain text) to each recipient with an address, one message
    each, through the server of `FORMWORK_SMTP_URL`. SMTP 4xx answers and network errors
    are retried, 5xx answers are permanent."""
    url = os.environ.get(SMTP_URL_ENV, "").strip()
    if not url:
        raise DeliveryFailed(
            f"the environment variable {SMTP_URL_ENV} is not set: set it for the worker "
            "(smtp://user:password@host:587?starttls=1 or smtps://user:password@host:465)",
            permanent=True,
        )
    try:
        server = parse_smtp_url(url)
    except ValueError as error:
        raise DeliveryFailed(str(error), permanent=True) from error
    if not settings.get("from"):
        raise DeliveryFailed(
            f"`settings.{message.channel}.from` is not set in app.yaml: e-mail needs a sender",
            permanent=True,
        )
    recipients = _recipients(message)
    timeout = timeout_of(settings, 30)
    address = recipients[0][1]
    try:
        with _connect(server, timeout) as client:
            for name, address in recipients:
                client.send_message(_email(message, settings, name, address))
    except smtplib.SMTPException as error:
        raise _smtp_failure(error, address) from error
    except OSError as error:  # refused, unreachable, timed out
        raise DeliveryFailed(f"SMTP {server.host}:{server.port} failed: {error}") from error
