"""The inbox page and the navigation's pending count, through the Flask test client."""

from __future__ import annotations

import re
from datetime import timedelta

from web_support import ClientFactory
from workflow_web_support import needs_director, new_contract

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest


def _act(engine: Engine, username: str, record_id: int, action: str, **request: str) -> None:
    engine.workflows.act(
        engine.actor(username), "contract", record_id, action, ActionRequest(**request)
    )


def _table(html: str, table_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert found is not None, f"no table {table_id}"
    return found.group(0)


def test_what_waits_for_me_links_to_the_record(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    contract = new_contract(web_engine)
    _act(web_engine, "rep_east_1", contract.id, "submit")
    html = client_for("manager_east").get("/inbox").get_data(as_text=True)
    pending = _table(html, "pending-table")
    assert f'<a href="/e/contract/{contract.id}">{contract["number"]}</a>' in pending
    assert "Contract" in pending and "Manager review" in pending
    assert "Rep East 1" in pending  # the submitter
    assert "2026-03-04 09:00" in pending  # due 48 hours after 2 March 09:00 (Shanghai)
    assert "is-overdue" not in pending
    # the navigation says one thing waits
    nav = re.search(r'<a class="inboxlink".*?</a>', html, re.S)
    assert nav is not None and '<span class="count"' in nav.group(0) and ">1</span>" in nav.group(0)


def test_an_overdue_task_is_highlighted(
    web_engine: Engine, web_clock: FixedClock, client_for: ClientFactory
) -> None:
    contract = new_contract(web_engine)
    _act(web_engine, "rep_east_1", contract.id, "submit")
    web_clock.advance(timedelta(hours=50))
    pending = _table(
        client_for("manager_east").get("/inbox").get_data(as_text=True), "pending-table"
    )
    assert '<tr class="is-overdue">' in pending and "overdue" in pending


def test_what_i_submitted_shows_where_it_stands(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    contract = new_contract(web_engine)
    needs_director(web_engine, contract.id)
    _act(web_engine, "rep_east_1", contract.id, "submit")
    _act(web_engine, "manager_east", contract.id, "approve")
    html = client_for("rep_east_1").get("/inbox").get_data(as_text=True)
    submitted = _table(html, "submitted-table")
    assert contract["number"] in submitted and "Director approval" in submitted
    assert "Nothing waits for you." in html
    assert '<span class="count"' not in html  # nothing pending: no count in the navigation


def test_notifications_are_listed_and_marked_read(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    contract = new_contract(web_engine)
    _act(web_engine, "rep_east_1", contract.id, "submit")
    _act(web_engine, "manager_east", contract.id, "send_back", comment="Add the discount")
    client = client_for("rep_east_1")
    html = client.get("/inbox").get_data(as_text=True)
    notes = html[html.index('id="notes"') :]
    assert "Sent back to you" in notes and contract["number"] in notes
    assert "Manager East" in notes and "is-unread" in notes
    assert "1 new" in html
    answer = client.post("/inbox/read", data={"csrf_token": csrf})
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox"
    after = client.get("/inbox").get_data(as_text=True)
    assert "is-unread" not in after and "Mark all read" not in after
    assert "Sent back to you" in after  # still listed, read


def test_a_cc_reaches_finance_when_the_contract_is_approved(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    contract = new_contract(web_engine)
    _act(web_engine, "rep_east_1", contract.id, "submit")
    _act(web_engine, "manager_east", contract.id, "approve")
    _act(web_engine, "finance", contract.id, "approve")
    html = client_for("finance").get("/inbox").get_data(as_text=True)
    notes = html[html.index('id="notes"') :]
    assert "Copied to you" in notes and "Approved" in notes
    outcome = client_for("rep_east_1").get("/inbox").get_data(as_text=True)
    assert "Approval finished" in outcome[outcome.index('id="notes"') :]


def test_the_inbox_reads_in_chinese(web_engine: Engine, client_for: ClientFactory) -> None:
    html = client_for("rep_west_2").get("/inbox").get_data(as_text=True)
    assert "<h1>待办</h1>" in html and "待我处理" in html and "暂无通知。" in html


def test_the_inbox_needs_a_login(anonymous) -> None:  # type: ignore[no-untyped-def]
    answer = anonymous.get("/inbox")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_badge_counts_unread_notifications_until_read(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    manager = web_engine.actor("manager_east")
    customer = web_engine.records.create(manager, "customer", {"name": "Lead Co"})
    # rules/lead_round_robin.yaml gives the ownerless lead to the first East rep and tells them
    web_engine.records.create(
        manager, "deal", {"name": "Inquiry", "customer": customer.id, "amount": 1000, "owner": None}
    )
    client = client_for("rep_east_1")
    html = client.get("/e/customer").get_data(as_text=True)
    nav = re.search(r'<a class="inboxlink".*?</a>', html, re.S)
    assert nav is not None and ">1</span>" in nav.group(0) and 'title="1 new"' in nav.group(0)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "New lead assigned to you: Inquiry" in inbox
    client.post("/inbox/read", data={"csrf_token": csrf})
    html = client.get("/e/customer").get_data(as_text=True)
    assert '<span class="count"' not in html
