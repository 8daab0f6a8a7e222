"""One record created through the REST API, against a minimal Flask endpoint that does a
SQLAlchemy Core insert + commit into an equivalent table, both in this process."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request

from bench.harness import Comparison, compare, sales_engine, write_section
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.records import WriteOptions
from engine.storage.database import Database
from engine.web import create_app

INTRO = """### Create a record through the REST API (issue 3)

Subject: `POST /api/v1/sales_crm/deal` with a bearer token through Flask's test client on
SQLite (WAL, `synchronous=NORMAL`): the caller's actor (from the few-second token cache of
`engine/web/api/identity.py` after the first call), JSON parsing, the record service
(permission check, defaults, parsing, validation, formula, link check, sequence, the write
as `INSERT … RETURNING` so no read-back SELECT, history row) and the JSON response.
Baseline: a minimal Flask endpoint in the same process that parses the same JSON body, does
one SQLAlchemy Core insert + commit into an equivalent table (same columns, same database
settings) and returns the id. Each timed unit is 100 requests.
Targets (issue 3): ≤ 1.5× the baseline, and ≥ 1,500 creates/s (≤ 667 µs per create)."""

BATCH = 100
BODY_KEYS = ("name", "customer", "amount", "expected_close", "next_step")


def _baseline_app(folder: Path) -> Flask:
    """Flask + Core insert + commit: the floor any create endpoint stands on."""
    db = Database(f"sqlite:///{(folder / 'baseline.db').as_posix()}")
    metadata = sa.MetaData()
    table = sa.Table(
        "deal",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("customer", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("expected_close", sa.Date),
        sa.Column("next_step", sa.String(200)),
        sa.Column("owner", sa.String(64)),
        sa.Column("stage", sa.String(32)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    with db.begin() as connection:
        metadata.create_all(connection)
    app = Flask("baseline")

    @app.post("/deal")
    def create() -> Any:
        body = request.get_json()
        row = {key: body.get(key) for key in ("name", "customer", "next_step")}
        row.update(amount=int(body["amount"] * 100), owner="rep", stage="lead", version=1)
        with db.begin() as connection:
            result = connection.execute(table.insert().values(**row))
            key = result.inserted_primary_key
            assert key is not None
            new_id = key[0]
        return jsonify({"id": new_id, **row}), 201

    return app


def _subject_app(folder: Path) -> tuple[Flask, dict[str, str], int, Engine]:
    engine = sales_engine(f"sqlite:///{(folder / 'api.db').as_posix()}", folder)
    engine.people.create_user("rep")
    engine.people.grant_role(engine.app.id, "rep", "sales_rep")
    customer = engine.records.create(engine.actor("rep"), "customer", {"name": "Bench Co"})
    headers = {"Authorization": f"Bearer {engine.people.create_token('rep')}"}
    app = create_app(test_config={"SECRET_KEY": "bench"}, engine=engine)
    return app, headers, customer.id, engine


def _service_creator(engine: Engine, customer: int) -> Any:
    """The same creates straight through the record service (no HTTP, no token)."""
    actor = engine.actor("rep")
    numbers = itertools.count()

    def create_batch() -> None:
        for _ in range(BATCH):
            n = next(numbers)
            values = {"name": f"Direct {n}", "customer": customer, "amount": 1000 + n,
                      "next_step": "call back"}  # fmt: skip
            engine.records.create(actor, "deal", values)

    return create_batch


def _bulk_creators(engine: Engine, customer: int) -> tuple[Any, Any]:
    """The seeder's path: BATCH trusted creates in one transaction, one `create_in` each
    (baseline) or one `create_many_in` (subject)."""
    actor = Actor.system()
    options = WriteOptions(trusted=True, comment="bench")
    numbers = itertools.count()

    def rows() -> list[dict[str, Any]]:
        return [
            {"name": f"Bulk {n}", "customer": customer, "amount": 1000 + n, "owner": "rep"}
            for n in itertools.islice(numbers, BATCH)
        ]

    def one_by_one() -> None:
        with engine.db.begin() as connection:
            for values in rows():
                engine.records.create_in(connection, actor, "deal", values, options=options)

    def many() -> None:
        with engine.db.begin() as connection:
            engine.records.create_many_in(connection, actor, "deal", rows(), options)

    return one_by_one, many


def _poster(app: Flask, path: str, headers: dict[str, str], customer: int) -> Any:
    client = app.test_client()
    numbers = itertools.count()

    def post_batch() -> None:
        for _ in range(BATCH):
            n = next(numbers)
            body = {"name": f"Deal {n}", "customer": customer, "amount": 1000 + n,
                    "next_step": "call back"}  # fmt: skip
            response = client.post(path, json=body, headers=headers)
            assert response.status_code == 201, response.get_data(as_text=True)

    return post_batch


def run() -> list[Comparison]:
    """Measure API creates against the Flask + Core baseline."""
    folder = Path(tempfile.mkdtemp(prefix="formwork-bench-api-"))
    subject_app, headers, customer, engine = _subject_app(folder)
    baseline = _poster(_baseline_app(folder), "/deal", {}, customer)
    subject = _poster(subject_app, "/api/v1/sales_crm/deal", headers, customer)
    row = compare(
        f"API create ({BATCH} requests)",
        f"Flask + Core insert+commit ({BATCH} requests)",
        baseline,
        subject,
        repetitions=5,
        target_ratio=1.5,
        target_abs_s=BATCH / 1500,
    )
    layer = compare(
        f"API create ({BATCH} requests)",
        f"record service create ({BATCH} calls, no HTTP)",
        _service_creator(engine, customer),
        subject,
        repetitions=5,
    )
    one_by_one, many = _bulk_creators(engine, customer)
    bulk = compare(
        f"create_many_in ({BATCH} rows, one transaction)",
        f"create_in × {BATCH} (one transaction)",
        one_by_one,
        many,
        repetitions=5,
    )
    rate = BATCH / row.subject_s
    intro = (
        f"{INTRO}\n\nThis run: {rate:,.0f} API creates/s (baseline "
        f"{BATCH / row.baseline_s:,.0f}/s). The second row isolates the HTTP layer (routing, "
        "actor, JSON in and out) from the record service's own work. The third is the "
        "seeder's bulk path (trusted, system actor) against the same rows created one by one."
    )
    rows = [row, layer, bulk]
    print(write_section("api", intro, rows))
    return rows


if __name__ == "__main__":
    run()
