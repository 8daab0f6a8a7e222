"""Outbox delivery throughput: `OutboxDelivery.deliver_due` posting webhook messages to a local
fake receiver, against a raw loop POSTing the same payloads with urllib to the same receiver,
in the same run.

`python -m bench.bench_outbox [--pg URL] [--quick]`: SQLite always; PostgreSQL too when
`--pg` or FORMWORK_TEST_DATABASE_URL gives a server (the run works in a schema of its own
and drops it). `--quick` uses 3 repetitions of 50 messages instead of 7 of 200.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import textwrap
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.harness import ROOT, Comparison, bench_database, compare, write_section
from engine.plugins import default_registry
from engine.runtime.engine import Engine
from engine.runtime.outbox import OutboxDelivery, OutboxStore

APP = "relay"
BATCH = 200
REPETITIONS = 7
QUICK_BATCH = 50
QUICK_REPETITIONS = 3
PG_ENV = "FORMWORK_TEST_DATABASE_URL"
APP_YAML = "app: relay\ntitle: Relay\nlocales: [en]\nroles:\n  clerk: {label: Clerk}\n"
NOTE_YAML = """\
    entity: note
    label: Note
    fields:
      title: {type: text, required: true}
    permissions:
      clerk: {create: true, read: all, update: all}
    """

INTRO = """### Outbox delivery (issue 5)

Subject: `OutboxDelivery.deliver_due(limit={batch})` over {batch} due webhook messages — one
short transaction claims the batch (`FOR UPDATE SKIP LOCKED` on PostgreSQL), each message is
POSTed as JSON with its `Idempotency-Key` through `deliver_http` (urllib, outside any
transaction) and marked delivered in a transaction of its own. Baseline: a loop POSTing the
same {batch} payloads with the same headers straight to the same receiver with urllib. The
receiver is a threaded HTTP server on 127.0.0.1 in the same process that answers 200 at once,
so the figures are the outbox's own cost. {reps} interleaved repetitions after one warm-up,
medians; messages per second is {batch} / median. No target: for information."""


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@contextmanager
def _receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/in"
    finally:
        server.shutdown()
        server.server_close()


def _engine(url: str, folder: Path) -> Engine:
    app = folder / "relay"
    (app / "entities").mkdir(parents=True, exist_ok=True)
    (app / "app.yaml").write_text(APP_YAML, encoding="utf-8")
    (app / "entities" / "note.yaml").write_text(textwrap.dedent(NOTE_YAML), encoding="utf-8")
    registry, problems = default_registry(ROOT)
    assert not problems, problems
    engine = Engine.load(app, database_url=url, project_root=folder, registry=registry)
    engine.migrate()
    return engine


def _payload(url: str, n: int) -> dict[str, Any]:
    body = {"title": f"Deal {n} won", "record": {"entity": "deal", "id": n}, "amount": 1000 + n}
    return {"url": url, "method": "POST", "headers": {}, "body": body}


def _subject(engine: Engine, url: str, batch: int, rounds: int) -> Callable[[], None]:
    """Enqueue every round's messages up front; each call delivers one round of them."""
    store = OutboxStore(engine.tables.system, APP)
    with engine.db.begin() as connection:
        for n in range(batch * rounds):
            store.enqueue(
                connection, channel="webhook", payload=_payload(url, n),
                idempotency_key=f"bench:{uuid.uuid4().hex}", max_attempts=5,
                now=engine.clock.now(),
            )  # fmt: skip
    delivery = OutboxDelivery(
        engine.db, store, engine.registry.channels, {}, engine.clock, worker_id="bench"
    )

    def deliver_round() -> None:
        report = delivery.deliver_due(limit=batch)
        assert report.delivered == batch, report

    return deliver_round


def _baseline(url: str, batch: int) -> Callable[[], None]:
    def post_round() -> None:
        for n in range(batch):
            data = json.dumps(_payload(url, n)["body"]).encode("utf-8")
            request = urllib.request.Request(url, data=data, method="POST")
            request.add_header("Content-Type", "application/json; charset=utf-8")
            request.add_header("Idempotency-Key", f"raw:{n}")
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()

    return post_round


def _timings(kind: str, url: str, folder: Path, batch: int, reps: int) -> Comparison:
    engine = _engine(url, folder)
    try:
        with _receiver() as target:
            subject = _subject(engine, target, batch, reps + 1)
            return compare(
                f"{kind}: `deliver_due` of {batch} webhook messages",
                f"urllib POST loop of {batch}",
                _baseline(target, batch),
                subject,
                repetitions=reps,
            )
    finally:
        engine.close()


def run(pg_url: str | None = None, quick: bool = False) -> list[Comparison]:
    """Time outbox delivery against raw POSTs (SQLite, and PostgreSQL when given) and write
    the section of docs/performance.md."""
    pg_url = pg_url or os.environ.get(PG_ENV) or None
    batch, reps = (QUICK_BATCH, QUICK_REPETITIONS) if quick else (BATCH, REPETITIONS)
    folder = Path(tempfile.mkdtemp(prefix="formwork-bench-outbox-"))
    rows: list[Comparison] = []
    for kind in ["sqlite"] + (["postgresql"] if pg_url else []):
        with bench_database(kind, folder, pg_url, "outbox") as url:
            rows.append(_timings(kind, url, folder, batch, reps))
    rates = [
        f"{row.name}: {batch / row.subject_s:,.0f} messages/s "
        f"(raw POSTs: {batch / row.baseline_s:,.0f}/s)"
        for row in rows
    ]
    intro = INTRO.format(batch=batch, reps=reps)
    if not pg_url:
        intro += f"\n\nPostgreSQL not measured in this run (no `--pg` and no {PG_ENV})."
    intro += "\n\n" + "\n".join(f"- {rate}" for rate in rates)
    print(write_section("outbox", intro, rows))
    print("\n".join(rates))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `python -m bench.bench_outbox [--pg URL] [--quick]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help=f"PostgreSQL URL (default: ${PG_ENV})")
    parser.add_argument("--quick", action="store_true", help="3 repetitions of 50 messages")
    args = parser.parse_args(argv)
    run(args.pg, args.quick)


if __name__ == "__main__":
    main()
