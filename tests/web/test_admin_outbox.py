"""The outbox admin page (engine/web/admin/outbox.py): messages by status with attempts,
last error and next attempt; Retry makes a dead letter pending again."""

from __future__ import annotations

import re

from automation_web_support import CSRF, logged_in, outbox_messages
from flask import Flask
from web_support import START

from engine.runtime.engine import Engine


def _row(html: str, message_id: int) -> str:
    return html.split(f'<tr data-message="{message_id}">')[1].split("</tr>")[0]


def test_messages_show_by_status_with_attempts_errors_and_next_attempt(
    desk_web: Flask, desk: Engine
) -> None:
    ids = outbox_messages(desk)
    html = logged_in(desk_web, "root").get("/admin/outbox").get_data(as_text=True)
    counts = html.split('id="outbox-counts"')[1].split("</nav>")[0]
    for status in ("pending", "sending", "delivered", "dead"):
        assert re.search(rf'data-status="{status}".*?<span class="count">1</span>', counts, re.S)
    assert re.findall(r'<tr data-message="(\d+)">', html) == [
        str(ids[s]) for s in ("dead", "delivered", "sending", "pending")
    ]
    pending = _row(html, ids["pending"])
    assert "Pending" in pending and "1 / 3" in pending and "HTTP 503" in pending
    assert "2026-03-02 10:00" in pending  # next attempt: an hour on, in Shanghai time
    dead = _row(html, ids["dead"])
    assert "Dead letters" in dead and "permanent failure: 404" in dead
    assert ">Retry</button>" in dead
    for status in ("pending", "sending", "delivered"):
        assert ">Retry</button>" not in _row(html, ids[status])


def test_a_status_tab_lists_only_its_messages(desk_web: Flask, desk: Engine) -> None:
    ids = outbox_messages(desk)
    html = logged_in(desk_web, "root").get("/admin/outbox?status=dead").get_data(as_text=True)
    assert re.findall(r'<tr data-message="(\d+)">', html) == [str(ids["dead"])]
    every = logged_in(desk_web, "root").get("/admin/outbox?status=bogus").get_data(as_text=True)
    assert len(re.findall(r'<tr data-message="(\d+)">', every)) == 4


def test_retry_makes_a_dead_letter_pending_again_and_due_now(desk_web: Flask, desk: Engine) -> None:
    ids = outbox_messages(desk)
    root = logged_in(desk_web, "root")
    data = {"csrf_token": CSRF, "id": [str(ids["dead"]), str(ids["delivered"])]}
    response = root.post("/admin/outbox/retry", data=data)
    assert response.status_code == 302
    with desk.db.begin() as connection:
        rows = {m.id: m for m in desk.automations.outbox.list_messages(connection)}
    retried = rows[ids["dead"]]
    assert retried.status == "pending" and retried.attempts == 0
    assert retried.next_attempt_at == START
    assert rows[ids["delivered"]].status == "delivered"  # only dead letters are retried
    page = root.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 message(s) will be sent again." in page
    again = root.post("/admin/outbox/retry", data={"csrf_token": CSRF, "id": str(ids["dead"])})
    assert "There was no dead letter to retry." in root.get(again.headers["Location"]).get_data(
        as_text=True
    )


def test_retry_is_for_admins_with_the_csrf_token(desk_web: Flask, desk: Engine) -> None:
    ids = outbox_messages(desk)
    data = {"csrf_token": CSRF, "id": str(ids["dead"])}
    assert logged_in(desk_web, "ann").post("/admin/outbox/retry", data=data).status_code == 403
    root = logged_in(desk_web, "root")
    assert root.post("/admin/outbox/retry", data={"id": str(ids["dead"])}).status_code == 400
    with desk.db.begin() as connection:
        rows = {m.id: m for m in desk.automations.outbox.list_messages(connection)}
    assert rows[ids["dead"]].status == "dead"


def test_an_empty_outbox_says_so(desk_web: Flask) -> None:
    html = logged_in(desk_web, "root").get("/admin/outbox").get_data(as_text=True)
    assert "No messages." in html
