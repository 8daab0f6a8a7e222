"""Admin page for the outbox (`/admin/outbox`): the messages waiting to leave, being sent,
delivered and given up (dead letters), with their attempts, last error and next attempt,
and **Retry** for dead letters (pending again, due now, attempts reset)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine.runtime.engine import Engine
from engine.runtime.outbox import STATUSES, OutboxRow, OutboxStore
from engine.web.admin.blueprint import bp
from engine.web.i18n import translate
from engine.web.state import web_state
from engine.web.ui.blueprint import page

__all__ = ["PAGE_SIZE", "outbox", "retry_outbox", "status_counts"]

PAGE_SIZE = 100
_COLORS: Mapping[str, str] = {
    "pending": "yellow",
    "sending": "blue",
    "delivered": "green",
    "dead": "red",
}


def status_counts(engine: Engine) -> dict[str, int]:
    """How many messages of the app are in each status (every status listed)."""
    store = OutboxStore(engine.tables.system, engine.app.id)
    with engine.db.begin(readonly=True) as connection:
        return store.counts(connection)


def _summary(message: OutboxRow) -> str:
    """What the message says: its title, else where it goes."""
    payload = message.payload
    body = payload.get("body") if isinstance(payload.get("body"), Mapping) else payload
    title = body.get("title") if isinstance(body, Mapping) else None
    if isinstance(title, str) and title:
        return title
    url = payload.get("url")
    return str(url) if isinstance(url, str) else ""


def _row(message: OutboxRow) -> dict[str, Any]:
    presenter = page().presenter
    waiting = message.status in ("pending", "sending")
    return {
        "message": message,
        "color": _COLORS.get(message.status, "gray"),
        "summary": _summary(message),
        "created": presenter.moment(message.created_at),
        "next": presenter.moment(message.next_attempt_at) if waiting else "",
        "delivered": presenter.moment(message.delivered_at) if message.delivered_at else "",
    }


@bp.route("/outbox")
def outbox() -> str:
    """The outbox, newest first (`?status=` one of pending, sending, delivered, dead)."""
    engine = web_state().engine
    status = request.args.get("status") or None
    if status not in STATUSES:
        status = None
    with engine.db.begin(readonly=True) as connection:
        messages = engine.automations.outbox.list_messages(connection, status, PAGE_SIZE)
    counts = status_counts(engine)
    return render_template(
        "admin/outbox.html", status=status, messages=[_row(m) for m in messages],
        counts=[(s, counts[s], _COLORS[s]) for s in STATUSES], total=sum(counts.values()),
        page_size=PAGE_SIZE,
        status_names={s: translate(f"admin.outbox.status.{s}") for s in STATUSES},
    )  # fmt: skip


@bp.route("/outbox/retry", methods=["POST"])
def retry_outbox() -> Any:
    """Send the chosen dead letters again (`id`, one or more)."""
    engine = web_state().engine
    ids = [int(text) for text in request.form.getlist("id") if text.isdigit()]
    with engine.db.begin() as connection:
        count = engine.automations.outbox.retry_dead(connection, ids, engine.clock.now())
    if count:
        flash(translate("admin.outbox.retried", count=count), "success")
    else:
        flash(translate("admin.outbox.nothing_to_retry"), "error")
    return redirect(url_for("admin.outbox", status=request.form.get("status") or None))
