"""The record page's workflow panel and its action route, through the Flask test client:
the diagram with the current state, the action buttons and dialogs, success, 409 (stale
version), 403 (not yours), 422 (missing input, kept), the approval trail and the workflow
details of the history timeline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from api_clients import sales_engine
from flask import Flask
from flask.testing import FlaskClient
from web_support import CSRF_TOKEN, ClientFactory
from werkzeug.test import TestResponse
from workflow_web_support import (
    needs_director,
    new_contract,
    new_deal,
    record_state,
    version_of,
)

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.spec.registry import Registry
from engine.web import create_app


def _act(
    client: FlaskClient, entity: str, record_id: int, action: str, csrf: str, **fields: str
) -> TestResponse:
    page = client.get(f"/e/{entity}/{record_id}").get_data(as_text=True)
    data = {"csrf_token": csrf, "_version": str(version_of(page)), **fields}
    return client.post(f"/e/{entity}/{record_id}/act/{action}", data=data)


def _dialog(html: str, action: str) -> str:
    found = re.search(rf'<dialog[^>]*id="wf-dlg-{action}".*?</dialog>', html, re.S)
    assert found is not None, f"no dialog for {action}"
    return found.group(0)


def test_the_panel_shows_the_diagram_with_the_current_state_and_the_actions(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    contract = new_contract(web_engine)
    html = client_for("rep_east_1").get(f"/e/contract/{contract.id}").get_data(as_text=True)
    assert '<svg class="wf-diagram"' in html
    current = re.findall(r'<g class="wf-node wf-current" data-state="(\w+)"', html)
    assert current == ["draft"]
    for state in ("review", "director", "finance", "approved", "rejected"):
        assert f'data-state="{state}"' in html
    assert "<title>Contract approval: now at Draft</title>" in html
    assert 'data-action="submit"' in html
    assert 'data-action="approve"' not in html  # nobody's approval is waiting here
    # submit asks for nothing that is blank, but offers a comment: a dialog
    assert "wf-dlg-submit" in html


def test_an_entity_without_workflow_has_no_panel(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    contract = new_contract(web_engine)
    html = (
        client_for("rep_east_1").get(f"/e/customer/{contract['customer']}").get_data(as_text=True)
    )
    assert "wf-panel" not in html and "wf-diagram" not in html


def test_submit_then_the_manager_sees_the_approval_actions(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    contract = new_contract(web_engine)
    answer = _act(client_for("rep_east_1"), "contract", contract.id, "submit", csrf)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/e/contract/{contract.id}"
    assert record_state(web_engine, "contract", contract.id) == "review"
    html = client_for("manager_east").get(f"/e/contract/{contract.id}").get_data(as_text=True)
    actions = re.findall(r'data-action="(\w+)"', html)
    assert actions == ["approve", "reject", "send_back", "transfer", "add_approver"]
    assert re.findall(r'<g class="wf-node wf-current" data-state="(\w+)"', html) == ["review"]
    transfer = _dialog(html, "transfer")
    assert 'data-lookup="/workflow/users"' in transfer and 'name="to_user"' in transfer
    add = _dialog(html, "add_approver")
    assert 'name="position" value="before"' in add and 'value="after" checked' in add
    # the approval trail: the open step and the manager's task
    trail = html[html.index('class="card wf-trail"') :]
    assert "Manager review" in trail and "In progress" in trail
    assert "Manager East" in trail and "To act" in trail


def test_a_stale_version_is_a_409_with_the_dialog_kept(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    contract = new_contract(web_engine)
    client = client_for("rep_east_1")
    page = client.get(f"/e/contract/{contract.id}").get_data(as_text=True)
    old = version_of(page)
    web_engine.records.update(
        web_engine.actor("rep_east_1"), "contract", contract.id, {"notes": "changed meanwhile"},
        version=old,
    )  # fmt: skip
    data = {"csrf_token": csrf, "_version": str(old), "comment": "please check"}
    answer = client.post(f"/e/contract/{contract.id}/act/submit", data=data)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert 'id="wf-error"' in html and "Someone changed this record" in html
    dialog = _dialog(html, "submit")
    assert " open data-reopen" in dialog and ">please check</textarea>" in dialog
    assert record_state(web_engine, "contract", contract.id) == "draft"


def test_an_action_that_is_not_yours_is_a_403_on_the_page(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    contract = new_contract(web_engine)
    assert (
        _act(client_for("rep_east_1"), "contract", contract.id, "submit", csrf).status_code == 302
    )
    # the director may read the contract but no approval of theirs waits in this step
    answer = _act(client_for("director"), "contract", contract.id, "approve", csrf)
    assert answer.status_code == 403
    html = answer.get_data(as_text=True)
    assert "You have no approval waiting on this record." in html
    assert record_state(web_engine, "contract", contract.id) == "review"


def test_a_missing_required_field_is_a_422_and_what_was_typed_stays(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    deal = new_deal(web_engine)
    client = client_for("rep_east_1")
    html = client.get(f"/e/deal/{deal.id}").get_data(as_text=True)
    lose = _dialog(html, "lose")
    assert 'name="lose-lost_reason"' in lose and "Price too high" in lose
    assert 'name="comment"' in lose
    answer = _act(
        client, "deal", deal.id, "lose", csrf, comment="Went cold", **{"lose-lost_reason": ""}
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    dialog = _dialog(page, "lose")
    assert " open data-reopen" in dialog
    assert ">Went cold</textarea>" in dialog
    assert 'id="lose-lost_reason-errors"' in dialog
    assert record_state(web_engine, "deal", deal.id) == "lead"
    done = _act(
        client, "deal", deal.id, "lose", csrf, comment="Went cold",
        **{"lose-lost_reason": "competitor"},
    )  # fmt: skip
    assert done.status_code == 302
    assert record_state(web_engine, "deal", deal.id) == "lost"
    shown = client.get(f"/e/deal/{deal.id}").get_data(as_text=True)
    assert "Lost: done." in shown
    timeline = shown[shown.index('class="timeline"') :]
    assert "Went cold" in timeline and "Lost to a competitor" in timeline


def test_a_required_comment_is_a_422_on_the_comment(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    contract = new_contract(web_engine)
    _act(client_for("rep_east_1"), "contract", contract.id, "submit", csrf)
    answer = _act(client_for("manager_east"), "contract", contract.id, "reject", csrf)
    assert answer.status_code == 422
    dialog = _dialog(answer.get_data(as_text=True), "reject")
    assert 'id="wf-reject-comment-errors"' in dialog
    assert "A comment is required for this action." in dialog


def test_send_back_offers_the_earlier_steps_and_the_history_says_what_happened(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    contract = new_contract(web_engine)
    needs_director(web_engine, contract.id)
    _act(client_for("rep_east_1"), "contract", contract.id, "submit", csrf)
    assert (
        _act(client_for("manager_east"), "contract", contract.id, "approve", csrf).status_code
        == 302
    )
    assert record_state(web_engine, "contract", contract.id) == "director"
    director = client_for("director")
    dialog = _dialog(director.get(f"/e/contract/{contract.id}").get_data(as_text=True), "send_back")
    targets = re.findall(r'name="to_state" value="(\w+)"', dialog)
    assert targets == ["draft", "review"]
    answer = _act(
        director, "contract", contract.id, "send_back", csrf, to_state="review",
        comment="Check the payment terms",
    )  # fmt: skip
    assert answer.status_code == 302
    assert record_state(web_engine, "contract", contract.id) == "review"
    html = director.get(f"/e/contract/{contract.id}").get_data(as_text=True)
    timeline = html[html.index('class="timeline"') :]
    newest = timeline[: timeline.index("</li>\n    \n    <li>")]
    assert 'Action</span>: <span class="new">Send back' in newest
    assert 'Step</span>: <span class="new">Director approval' in newest
    assert 'Now at</span>: <span class="new">Manager review' in newest
    assert "Check the payment terms" in newest
    trail = html[html.index('class="card wf-trail"') :]
    assert "Sent back" in trail and "Check the payment terms" in trail


def test_transfer_names_the_new_approver_in_history_and_trail(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    contract = new_contract(web_engine)
    _act(client_for("rep_east_1"), "contract", contract.id, "submit", csrf)
    manager = client_for("manager_east")
    answer = _act(
        manager, "contract", contract.id, "transfer", csrf, to_user="manager_west",
        comment="On leave",
    )  # fmt: skip
    assert answer.status_code == 302
    html = client_for("rep_east_1").get(f"/e/contract/{contract.id}").get_data(as_text=True)
    assert 'To</span>: <span class="new">Manager West' in html
    trail = html[html.index('class="card wf-trail"') :]
    assert "Transferred" in trail and "Manager West" in trail
    missing = _act(client_for("manager_west"), "contract", contract.id, "transfer", csrf)
    assert missing.status_code == 422
    assert 'id="wf-transfer-to_user-errors"' in missing.get_data(as_text=True)


def test_the_act_link_opens_the_dialog_without_script(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    deal = new_deal(web_engine)
    html = client_for("rep_east_1").get(f"/e/deal/{deal.id}?act=lose").get_data(as_text=True)
    assert " open data-reopen" in _dialog(html, "lose")
    assert " open" not in _dialog(html, "qualify")


def test_the_win_confirmation_is_shown_in_its_dialog(
    web_engine: Engine, client_for: ClientFactory, csrf: str
) -> None:
    deal = new_deal(web_engine)
    client = client_for("rep_east_1")
    _act(client, "deal", deal.id, "qualify", csrf)
    web_engine.records.update(
        web_engine.actor("rep_east_1"), "deal", deal.id,
        {"amount": "80000", "expected_close": "2026-06-30"}, version=None,
    )  # fmt: skip
    assert _act(client, "deal", deal.id, "propose", csrf).status_code == 302
    html = client.get(f"/e/deal/{deal.id}").get_data(as_text=True)
    assert "Mark this deal as won? Its amount will count towards targets." in _dialog(html, "win")


def test_the_user_picker_lists_active_users_but_not_me(
    client_for: ClientFactory,
) -> None:
    found = client_for("manager_east").get("/workflow/users?q=manager").get_json()
    assert [u["value"] for u in found] == ["manager_west"]


def test_actions_need_the_csrf_token(web_engine: Engine, client_for: ClientFactory) -> None:
    contract = new_contract(web_engine)
    answer = client_for("rep_east_1").post(f"/e/contract/{contract.id}/act/submit", data={})
    assert answer.status_code == 400
    assert record_state(web_engine, "contract", contract.id) == "draft"


def test_an_overdue_step_is_marked_in_the_trail(
    web_engine: Engine, web_clock: FixedClock, client_for: ClientFactory, csrf: str
) -> None:
    contract = new_contract(web_engine)
    _act(client_for("rep_east_1"), "contract", contract.id, "submit", csrf)
    web_clock.advance(timedelta(hours=49))
    html = client_for("manager_east").get(f"/e/contract/{contract.id}").get_data(as_text=True)
    trail = html[html.index('class="card wf-trail"') :]
    assert 'class="wf-overdue"' in trail and "overdue" in trail


@pytest.fixture
def any_database(
    database_url: str, tmp_path: Path, project_registry: Registry, web_clock: FixedClock
) -> Iterator[tuple[Flask, Engine]]:
    """The UI over SQLite and (when configured) PostgreSQL."""
    engine = sales_engine(database_url, tmp_path, project_registry, web_clock)
    config = {"TESTING": True, "SECRET_KEY": "test", "PROJECT_ROOT": str(tmp_path)}
    yield create_app(test_config=config, engine=engine), engine
    engine.close()


def _logged_in(app: Flask, username: str) -> FlaskClient:
    from engine.web.auth import SESSION_CSRF, SESSION_USER

    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_USER] = username
        session[SESSION_CSRF] = CSRF_TOKEN
    return client


def test_the_approval_round_on_every_database(any_database: tuple[Flask, Engine]) -> None:
    app, engine = any_database
    contract = new_contract(engine)
    rep, manager = _logged_in(app, "rep_east_1"), _logged_in(app, "manager_east")
    assert _act(rep, "contract", contract.id, "submit", CSRF_TOKEN).status_code == 302
    inbox = manager.get("/inbox").get_data(as_text=True)
    assert f'<a href="/e/contract/{contract.id}">' in inbox
    page = manager.get(f"/e/contract/{contract.id}").get_data(as_text=True)
    stale = {"csrf_token": CSRF_TOKEN, "_version": str(version_of(page) - 1)}
    answer = manager.post(f"/e/contract/{contract.id}/act/approve", data=stale)
    assert answer.status_code == 409
    assert _act(manager, "contract", contract.id, "approve", CSRF_TOKEN).status_code == 302
    assert record_state(engine, "contract", contract.id) == "finance"
    assert (
        _act(_logged_in(app, "finance"), "contract", contract.id, "approve", CSRF_TOKEN).status_code
        == 302
    )
    assert record_state(engine, "contract", contract.id) == "approved"


def test_the_panel_reads_in_chinese(web_engine: Engine, client_for: ClientFactory) -> None:
    contract = new_contract(web_engine, owner="rep_west_2")
    html = client_for("rep_west_2").get(f"/e/contract/{contract.id}").get_data(as_text=True)
    assert "<title>合同审批：当前为「草稿」</title>" in html
    assert ">提交审批</a>" in html and ">意见 <span" in html
    assert '<a class="inboxlink" id="nav-inbox" href="/inbox">待办</a>' in html
