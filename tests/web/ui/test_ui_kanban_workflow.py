"""Kanban boards of workflow states (the sales pipeline board, `deal` by `stage`): a move
takes the workflow action that leads from the card's state to the column, or says why it
cannot — no action leads there (409), input a drop cannot give (422 with the action's
dialog), a confirmation (422, then `confirmed=1`), another team's deal (404), a stale card
(409) — by the board's script (JSON) and by the per-card form (flash and redirect); each
card's *Move to* menu offers only the states its actions reach
(engine/web/ui/kanban.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from workflow_web_support import new_deal, record_state

from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest

ClientFactory = Callable[[str], FlaskClient]
CSRF = "test-csrf-token"
JSON = {"Accept": "application/json"}
BOARD = "/e/deal?view=pipeline"


def _move(
    client: FlaskClient, deal_id: int, source: str, target: str, version: int,
    *, json: bool = True, **extra: str,
) -> TestResponse:  # fmt: skip
    data = {"csrf_token": CSRF, "view": "pipeline", "from": source, "to": target}
    data |= {"_version": str(version), "next": BOARD, **extra}
    return client.post(f"/e/deal/{deal_id}/move", data=data, headers=JSON if json else {})


def _version(engine: Engine, deal_id: int) -> int:
    return engine.records.get(engine.actor("admin"), "deal", deal_id).version


def _menu(html: str, deal_id: int) -> list[str] | None:
    """The states the card's *Move to* menu offers (None: the card has no menu)."""
    card = re.search(rf'data-card="{deal_id}".*?</li>', html, re.S)
    assert card is not None, f"no card {deal_id} on the board"
    select = re.search(r'<select id="move-\d+" name="to">(.*?)</select>', card.group(0), re.S)
    return re.findall(r'<option value="([^"]+)"', select.group(1)) if select else None


def _to_proposal(engine: Engine, deal_id: int) -> None:
    """Take the deal to `proposal` through the service (where `win` becomes possible)."""
    actor = engine.actor("rep_east_1")
    engine.workflows.act(actor, "deal", deal_id, "qualify", ActionRequest())
    engine.records.update(actor, "deal", deal_id, {"expected_close": "2026-06-30"}, version=None)
    engine.workflows.act(actor, "deal", deal_id, "propose", ActionRequest())


def test_a_move_takes_the_action_leading_to_the_column(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    deal = new_deal(web_engine)
    response = _move(client_for("rep_east_1"), deal.id, "lead", "contacted", deal.version)
    assert response.status_code == 200
    answer: dict[str, Any] = response.get_json()
    assert answer["ok"] is True and answer["message"] == "Mark contacted: done."
    assert answer["action"] == "contact" and answer["state"] == "contacted"
    moved = web_engine.records.get(web_engine.actor("rep_east_1"), "deal", deal.id)
    assert moved.values["stage"] == "contacted" and moved.values["probability"] == Decimal("0.1")
    assert answer["version"] == moved.version > deal.version
    history = web_engine.records.history(web_engine.actor("rep_east_1"), "deal", deal.id)
    assert history[-1].kind == "transition"
    assert history[-1].details["action"] == "contact"
    assert (history[-1].details["from"], history[-1].details["to"]) == ("lead", "contacted")


def test_the_card_menu_offers_only_the_states_its_actions_reach(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    deal = new_deal(web_engine)
    html = client_for("rep_east_1").get(BOARD).get_data(as_text=True)
    # from lead: contact, qualify, lose (its own column first, as the current choice)
    assert _menu(html, deal.id) == ["lead", "contacted", "qualified", "lost"]
    assert f'data-card="{deal.id}" data-version="{deal.version}" draggable="true"' in html
    assert 'name="from" value="lead"' in html
    assert "Stage changes by the workflow&#39;s actions" in html
    assert "this board only shows it" not in html
    # a lost deal is reopened by a manager only: the rep's card has no menu, no drag
    actor = web_engine.actor("rep_east_1")
    lost = new_deal(web_engine, name="Gone")
    lost = web_engine.records.update(
        actor, "deal", lost.id, {"lost_reason": "price"}, version=lost.version
    )
    web_engine.workflows.act(actor, "deal", lost.id, "lose", ActionRequest())
    html = client_for("rep_east_1").get(BOARD).get_data(as_text=True)
    assert _menu(html, lost.id) is None
    assert re.search(rf'data-card="{lost.id}" data-version="\d+">', html)
    managed = client_for("manager_east").get(BOARD).get_data(as_text=True)
    assert _menu(managed, lost.id) == ["lost", "qualified"]


def test_a_move_no_action_leads_to_is_a_conflict(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    deal = new_deal(web_engine)
    response = _move(client_for("rep_east_1"), deal.id, "lead", "won", deal.version)
    assert response.status_code == 409
    assert response.get_json()["message"] == "No workflow action leads from Lead to Won."
    assert record_state(web_engine, "deal", deal.id) == "lead"


def test_a_move_needing_a_reason_points_to_the_actions_dialog(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    deal = new_deal(web_engine)
    client = client_for("rep_east_1")
    response = _move(client, deal.id, "lead", "lost", deal.version)
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["ok"] is False and answer["action"] == "lose"
    assert answer["needs"] == ["lost_reason"]
    assert answer["url"] == f"/e/deal/{deal.id}?act=lose"
    assert record_state(web_engine, "deal", deal.id) == "lead"
    # without script the form is sent to the record page, the dialog open, with the reason
    plain = _move(client, deal.id, "lead", "lost", deal.version, json=False)
    assert plain.status_code == 302 and plain.headers["Location"] == f"/e/deal/{deal.id}?act=lose"
    page = client.get(plain.headers["Location"]).get_data(as_text=True)
    assert "Lost needs more from you: finish it on the record&#39;s page." in page
    assert record_state(web_engine, "deal", deal.id) == "lead"


def test_a_win_is_confirmed_first(web_engine: Engine, client_for: ClientFactory) -> None:
    deal = new_deal(web_engine)
    _to_proposal(web_engine, deal.id)
    client = client_for("rep_east_1")
    version = _version(web_engine, deal.id)
    asked = _move(client, deal.id, "proposal", "won", version)
    assert asked.status_code == 422
    answer = asked.get_json()
    assert answer["needs"] == ["confirm"] and answer["url"] == f"/e/deal/{deal.id}?act=win"
    assert answer["message"].startswith("Mark this deal as won?")
    assert record_state(web_engine, "deal", deal.id) == "proposal"
    plain = _move(client, deal.id, "proposal", "won", version, json=False)
    assert plain.status_code == 302 and plain.headers["Location"] == f"/e/deal/{deal.id}?act=win"
    page = client.get(plain.headers["Location"]).get_data(as_text=True)
    assert "Confirm it on the record&#39;s page." in page
    done = _move(client, deal.id, "proposal", "won", version, confirmed="1")
    assert done.status_code == 200 and done.get_json()["state"] == "won"
    assert record_state(web_engine, "deal", deal.id) == "won"


def test_another_teams_deal_is_not_found(web_engine: Engine, client_for: ClientFactory) -> None:
    deal = new_deal(web_engine)
    response = _move(client_for("rep_west_1"), deal.id, "lead", "contacted", deal.version)
    assert response.status_code == 404
    assert response.get_json()["message"] == "This record is not there any more."
    assert record_state(web_engine, "deal", deal.id) == "lead"


def test_a_stale_card_is_a_conflict(web_engine: Engine, client_for: ClientFactory) -> None:
    deal = new_deal(web_engine)
    actor = web_engine.actor("rep_east_1")
    web_engine.records.update(actor, "deal", deal.id, {"next_step": "Call"}, version=deal.version)
    response = _move(client_for("rep_east_1"), deal.id, "lead", "contacted", deal.version)
    assert response.status_code == 409
    assert "Someone changed this record" in response.get_json()["message"]
    assert record_state(web_engine, "deal", deal.id) == "lead"


def test_a_card_that_moved_on_is_a_conflict_and_a_form_says_so(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    deal = new_deal(web_engine)
    client = client_for("rep_east_1")
    assert _move(client, deal.id, "lead", "contacted", deal.version).status_code == 200
    again = _move(client, deal.id, "lead", "qualified", _version(web_engine, deal.id), json=False)
    assert again.status_code == 302 and again.headers["Location"] == BOARD
    board = client.get(BOARD).get_data(as_text=True)
    assert "flash-error" in board and "now at Contacted" in board
    assert record_state(web_engine, "deal", deal.id) == "contacted"


def test_without_from_the_records_state_is_the_source(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    deal = new_deal(web_engine)
    data = {"csrf_token": CSRF, "view": "pipeline", "to": "qualified"}
    data["_version"] = str(deal.version)
    response = client_for("rep_east_1").post(f"/e/deal/{deal.id}/move", data=data, headers=JSON)
    assert response.status_code == 200 and response.get_json()["action"] == "qualify"
    assert record_state(web_engine, "deal", deal.id) == "qualified"
