"""Helpers of the outbox tests (imported by name): a fake HTTP receiver and a fake SMTP
server, both threaded on 127.0.0.1 port 0, a tiny app to migrate, and a worker process.

`FakeHttpServer` records every request, keeps the first one of each `Idempotency-Key`
(`accepted`), can fail the next N requests, stall requests (to kill a worker mid-delivery)
or answer through a `responder` (the chat-robot protocols). `FakeSmtpServer` speaks enough
SMTP for smtplib (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, QUIT) and can refuse recipients.

Run as a script, this module is a worker process: it loads the app folder over the
database URL and calls `OutboxDelivery.deliver_due` until nothing is pending or sending.
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import json
import socketserver
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent.parent
APP_ID = "relay"
APP_FILES = {
    "app.yaml": "app: relay\ntitle: Relay\nlocales: [en]\nroles:\n  clerk: {label: Clerk}\n",
    "entities/note.yaml": """\
        entity: note
        label: Note
        fields:
          title: {type: text, required: true}
        permissions:
          clerk: {create: true, read: all, update: all}
        """,
}
"""A tiny app: the outbox lives in the system tables every migrated app has."""

# -- HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One request the fake HTTP server got."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def key(self) -> str | None:
        return self.headers.get("idempotency-key")


Responder = Callable[[Received], tuple[int, Any]]
"""Given a request, the status and the JSON body to answer with."""


@dataclass
class _HttpState:
    responder: Responder | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Received] = field(default_factory=list)
    accepted: dict[str, Received] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)  # statuses of the next failures
    stall_after: int | None = None  # requests answered before the rest stall
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class FakeHttpServer:
    """A threaded HTTP receiver on 127.0.0.1 (a context manager)."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.state = _HttpState(responder)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _http_handler(self.state))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> FakeHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.state.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next `count` requests with `status`."""
        with self.state.lock:
            self.state.failures.extend([status] * count)

    def stall_after(self, answered: int) -> None:
        """Answer `answered` more requests, then hold every further one until `release`."""
        with self.state.lock:
            self.state.stall_after = len(self.state.requests) + answered

    def release(self) -> None:
        """Let stalled requests finish (answered 503) and stop stalling new ones."""
        with self.state.lock:
            self.state.stall_after = None
        self.state.release.set()

    @property
    def stalled(self) -> threading.Event:
        """Set once a request is being held."""
        return self.state.stalled

    @property
    def requests(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.requests)

    @property
    def accepted(self) -> dict[str, Received]:
        """The first successfully answered request of each idempotency key."""
        with self.state.lock:
            return dict(self.state.accepted)

    def key_counts(self) -> Counter[str | None]:
        """How many requests carried each idempotency key."""
        return Counter(request.key for request in self.requests)


def _http_handler(state: _HttpState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Received(self.command, parts.path, query, headers, body)
            with state.lock:
                state.requests.append(request)
                stall = state.stall_after is not None and len(state.requests) > state.stall_after
                failure = state.failures.pop(0) if state.failures and not stall else None
            if stall:
                state.stalled.set()
                state.release.wait(60)
                failure = 503
            status, answer = (failure, {"error": "failing"}) if failure else (200, {"ok": True})
            if failure is None and state.responder is not None:
                status, answer = state.responder(request)
            if 200 <= status < 300 and request.key is not None:
                with state.lock:
                    state.accepted.setdefault(request.key, request)
            data = json.dumps(answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PUT = do_PATCH = do_GET = _handle

    return Handler


# -- SMTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One message the fake SMTP server accepted."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage


@dataclass
class _SmtpState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    mails: list[Mail] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address → "550 reason"


class FakeSmtpServer:
    """A threaded SMTP server on 127.0.0.1 (a context manager)."""

    def __init__(self) -> None:
        self.state = _SmtpState()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _smtp_handler(self.state))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> FakeSmtpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def refuse(self, address: str, reply: str) -> None:
        """Answer RCPT TO `address` with `reply` (e.g. "550 no such user")."""
        with self.state.lock:
            self.state.refuse[address] = reply

    @property
    def mails(self) -> list[Mail]:
        with self.state.lock:
            return list(self.state.mails)

    @property
    def logins(self) -> list[tuple[str, str]]:
        with self.state.lock:
            return list(self.state.logins)


def _address(argument: str) -> str:
    return argument.partition(":")[2].strip().split(" ")[0].strip("<>")


def _smtp_handler(state: _SmtpState) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, text: str) -> None:
            self.wfile.write(text.encode("utf-8") + b"\r\n")

        def handle(self) -> None:
            self.reply("220 fake.test ESMTP")
            sender, recipients = "", []
            while line := self.rfile.readline():
                command, _, argument = line.decode("utf-8").rstrip("\r\n").partition(" ")
                verb = command.upper()
                if verb == "EHLO":
                    self.reply("250-fake.test\r\n250-AUTH PLAIN\r\n250 8BITMIME")
                elif verb == "HELO":
                    self.reply("250 fake.test")
                elif verb == "AUTH":
                    _, _, token = argument.partition(" ")
                    _, user, password = base64.b64decode(token).decode().split("\0")
                    with state.lock:
                        state.logins.append((user, password))
                    self.reply("235 ok")
                elif verb == "MAIL":
                    sender, recipients = _address(argument), []
                    self.reply("250 ok")
                elif verb == "RCPT":
                    address = _address(argument)
                    with state.lock:
                        refusal = state.refuse.get(address)
                    if refusal:
                        self.reply(refusal)
                    else:
                        recipients.append(address)
                        self.reply("250 ok")
                elif verb == "DATA":
                    self.reply("354 go ahead")
                    data = self._data()
                    message = email.message_from_bytes(data, policy=email.policy.default)
                    assert isinstance(message, EmailMessage)
                    with state.lock:
                        state.mails.append(Mail(sender, tuple(recipients), message))
                    self.reply("250 queued")
                elif verb in ("RSET", "NOOP"):
                    self.reply("250 ok")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

        def _data(self) -> bytes:
            lines = []
            while (line := self.rfile.readline()) not in (b".\r\n", b""):
                lines.append(line[1:] if line.startswith(b"..") else line)
            return b"".join(lines)

    return Handler


# -- the app and worker processes ---------------------------------------------------------


def worker_command(
    app_dir: Path, url: str, worker_id: str, *, lease_s: float, limit: int = 100
) -> list[str]:
    """The command line of a worker process (run it with cwd anywhere)."""
    return [
        sys.executable, str(Path(__file__).resolve()), "--app-dir", str(app_dir),
        "--url", url, "--worker-id", worker_id, "--lease", str(lease_s), "--limit", str(limit),
    ]  # fmt: skip


def _worker(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description="deliver an app's outbox until it is empty")
    parser.add_argument("--app-dir", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--lease", type=float, default=300.0)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--give-up-after", type=float, default=120.0)
    args = parser.parse_args(argv)

    from engine.plugins import default_registry
    from engine.runtime.clock import SystemClock
    from engine.runtime.engine import Engine
    from engine.runtime.outbox import OutboxDelivery, OutboxStore

    registry, _ = default_registry(ROOT)
    folder = Path(args.app_dir)
    engine = Engine.load(folder, database_url=args.url, registry=registry, project_root=folder)
    delivery = OutboxDelivery(
        engine.db,
        OutboxStore(engine.tables.system, engine.app.id),
        registry.channels,
        engine.app.settings,
        SystemClock(),
        worker_id=args.worker_id,
        lease=timedelta(seconds=args.lease),
    )
    give_up = time.monotonic() + args.give_up_after
    try:
        while time.monotonic() < give_up:
            report = delivery.deliver_due(args.limit)
            print(f"{args.worker_id}: {report}", flush=True)
            if report.handled == 0:
                if delivery.undelivered() == 0:
                    return 0
                time.sleep(0.1)  # leased by another worker, or waiting for a retry
        return 1
    finally:
        engine.close()


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
