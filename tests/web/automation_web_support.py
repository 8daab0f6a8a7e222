"""Helpers of the automation web and CLI tests (imported by name): a small help-desk app
with a manual automation (`escalate`, which notifies the ticket's owner), a manual one that
fails under 1000 (`reclassify`), a rule that fails when a ticket's amount changes to under
1000 (`grade`: its decision table has no row for it), an engine over any test database,
logged-in test clients, and outbox messages in each status."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from engine.runtime.clock import Clock
from engine.runtime.engine import Engine
from engine.runtime.record import Record
from engine.spec.registry import Registry
from engine.web import create_app

CSRF = "automation-csrf"
ITERATIONS = 1_000

FILES = {
    "app.yaml": """
        app: desk
        title: Desk
        locales: [en, zh]
        timezone: Asia/Shanghai
        roles:
          agent: {label: Agent}
          lead: {label: Lead}
    """,
    "entities/ticket.yaml": """
        entity: ticket
        label: Ticket
        title_field: title
        fields:
          title: {type: text, required: true}
          owner: {type: user}
          amount: {type: money}
          level: {type: text}
          note: {type: text}
        permissions:
          agent: {create: true, read: all, update: all, delete: all}
          lead: {read: all}
    """,
    "tables/levels.yaml": """
        table: levels
        label: Levels
        hit_policy: first
        inputs:
          - {name: amount, type: money}
        outputs:
          - {name: level, type: text}
        rules:
          - {when: {amount: ">= 1000"}, then: {level: gold}}
    """,
    "rules/escalate.yaml": """
        automation: escalate
        label: Escalate
        triggers:
          - {type: manual, entity: ticket, label: {en: Escalate now, zh: 立即升级}}
        conditions:
          - "amount > 0"
        actions:
          - {type: set, values: {note: "escalated"}}
          - type: notify
            to: [{type: user_field, field: owner}]
            title: "Escalated {{ record.title }}"
            body: "Amount {{ record.amount }}"
    """,
    "rules/reclassify.yaml": """
        automation: reclassify
        label: Reclassify
        triggers:
          - {type: manual, entity: ticket}
        actions:
          - {type: lookup, table: levels, inputs: {amount: "=amount"}, as: found}
          - {type: set, values: {level: "=found.level"}}
    """,
    "rules/grade.yaml": """
        automation: grade
        label: Grade
        triggers:
          - {type: record_updated, entity: ticket, changed: [amount]}
        actions:
          - {type: lookup, table: levels, inputs: {amount: "=amount"}, as: found}
          - {type: set, values: {level: "=found.level"}}
    """,
}


def write_desk(folder: Path) -> Path:
    """Write the desk app into `folder` (created) and return it."""
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def desk_engine(folder: Path, url: str, registry: Registry, clock: Clock, root: Path) -> Engine:
    """The desk app over `url`, migrated, with `ann` and `bob` (agents), `lee` (lead,
    read only) and `root` (admin)."""
    engine = Engine.load(
        write_desk(folder), database_url=url, clock=clock, project_root=root,
        registry=registry, password_iterations=ITERATIONS,
    )  # fmt: skip
    engine.migrate()
    people = engine.people
    for name in ("ann", "bob"):
        people.create_user(name, name=name.title(), password="demo", locale="en")
        people.grant_role("desk", name, "agent")
    people.create_user("lee", password="demo", locale="en")
    people.grant_role("desk", "lee", "lead")
    people.create_user("root", password="demo", is_admin=True, locale="en")
    return engine


def desk_app(engine: Engine, root: Path) -> Flask:
    """The Flask app serving `engine` (TESTING, a fixed secret key)."""
    config = {"TESTING": True, "SECRET_KEY": "desk", "PROJECT_ROOT": str(root)}
    return create_app(test_config=config, engine=engine)


def logged_in(app: Flask, username: str) -> FlaskClient:
    """A test client logged in as `username`, holding the CSRF token `CSRF`."""
    from engine.web.auth import SESSION_CSRF, SESSION_USER

    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_USER] = username
        session[SESSION_CSRF] = CSRF
    return client


def ticket(engine: Engine, amount: int = 5, title: str = "Printer") -> Record:
    """A ticket of ann's."""
    ann = engine.actor("ann")
    values = {"title": title, "owner": "ann", "amount": Decimal(amount)}
    return engine.records.create(ann, "ticket", values)


def failed_run(engine: Engine, record: Record) -> int:
    """Change the ticket's amount so that `grade` fails; the failed run's id."""
    from engine.errors import AutomationFailed

    ann = engine.actor("ann")
    try:
        engine.records.update(ann, "ticket", record.id, {"amount": Decimal(10)}, version=None)
    except AutomationFailed:
        pass
    else:  # pragma: no cover - the app is written to fail here
        raise AssertionError("the grade rule should have failed")
    return engine.automations.runs(status="failed", limit=1)[0].id


def outbox_messages(engine: Engine) -> dict[str, int]:
    """One outbox message per status (pending, sending, delivered, dead): their ids."""
    store = engine.automations.outbox
    now = engine.clock.now()
    ids: dict[str, int] = {}
    with engine.db.begin() as connection:
        for status in ("pending", "sending", "delivered", "dead"):
            ids[status] = store.enqueue(
                connection, channel="webhook", idempotency_key=f"test:{status}",
                payload={"url": f"http://127.0.0.1:9/{status}", "body": {"title": status}},
                max_attempts=3, now=now,
            )  # fmt: skip
        store.claim(connection, worker_id="w1", now=now + timedelta(seconds=1),
                    lease=timedelta(minutes=5), limit=10)  # fmt: skip
        store.mark_failed(connection, ids["pending"], "w1", "HTTP 503", now + timedelta(hours=1))
        store.mark_delivered(connection, ids["delivered"], "w1", now)
        store.mark_failed(connection, ids["dead"], "w1", "attempt 1: permanent failure: 404", None)
    return ids
