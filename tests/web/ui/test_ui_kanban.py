"""Kanban views: columns per option / state in declaration order with counts, cards read
like the list (scope, filters), moves through the record service — by form and by the
board's script — refused and stale moves; state boards move by workflow actions (their own
tests: test_ui_kanban_workflow.py) (engine/web/ui/kanban.py)."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from engine.runtime.engine import Engine
from engine.spec.model import EntitySpec
from engine.web.ui import kanban
from engine.web.ui.kanban import MoveTarget, kanban_move_target

ClientFactory = Callable[[str], FlaskClient]
CSRF = "test-csrf-token"
JSON = {"Accept": "application/json"}


def _customer(engine: Engine, owner: str, name: str, level: str) -> int:
    """A customer at version 1: its team given, so rules/customer_team_default.yaml does not
    fill it in (a second version)."""
    actor = engine.actor(owner)
    values = {"name": name, "level": level, "team": actor.team_id}
    created = engine.records.create(actor, "customer", values)
    assert created.version == 1
    return created.id


def _columns(html: str) -> list[tuple[str, str, list[str]]]:
    """(column value, count, card titles) of each column on the board."""
    found = []
    for part in html.split('<section class="board-col" data-column="')[1:]:
        value = part.split('"', 1)[0]
        count = re.search(r"data-count[^>]*>(\d+)<", part)
        titles = re.findall(r'class="card-title" href="[^"]+">([^<]+)</a>', part)
        found.append((value, count.group(1) if count else "", titles))
    return found


def _move(client: FlaskClient, record_id: int, to: str, version: int, **headers: str) -> object:
    data = {"csrf_token": CSRF, "view": "by_level", "to": to, "_version": str(version)}
    data["next"] = "/e/customer?view=by_level"
    return client.post(f"/e/customer/{record_id}/move", data=data, headers=headers)


def test_a_board_has_a_column_per_option_in_order_with_the_readers_cards(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    _customer(web_engine, "rep_east_1", "Alpha", "A")
    _customer(web_engine, "rep_east_1", "Charlie", "C")
    _customer(web_engine, "rep_east_1", "Cedar", "C")
    _customer(web_engine, "rep_west_1", "Westy", "A")  # another rep's: never on this board
    html = client_for("rep_east_1").get("/e/customer?view=by_level").get_data(as_text=True)
    assert _columns(html) == [
        ("A", "1", ["Alpha"]),
        ("B", "0", []),
        ("C", "2", ["Charlie", "Cedar"]),  # the view has no sort: oldest first
        ("D", "0", []),
    ]
    assert "A · Strategic" in html and "board-red" in html  # the option's label and colour
    assert 'class="card-move"' in html and 'draggable="true"' in html
    assert "Westy" not in html


def test_the_board_applies_the_typed_filter_and_labels_in_chinese(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    _customer(web_engine, "rep_west_2", "华东科技", "A")
    _customer(web_engine, "rep_west_2", "华南贸易", "A")
    client = client_for("rep_west_2")
    html = client.get("/e/customer?view=by_level&filter=contains(name, '科技')").get_data(
        as_text=True
    )
    assert _columns(html)[0] == ("A", "1", ["华东科技"])
    assert "A类·战略客户" in html and "移动到" in html


def test_a_full_column_links_to_the_rest_in_the_list(
    web_engine: Engine, client_for: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kanban, "CARDS_PER_COLUMN", 2)
    for name in ("One", "Two", "Three"):
        _customer(web_engine, "rep_east_1", name, "B")
    client = client_for("rep_east_1")
    html = client.get("/e/customer?view=by_level").get_data(as_text=True)
    column = next(c for c in _columns(html) if c[0] == "B")
    assert column[1] == "3" and len(column[2]) == 2
    more = re.search(r'class="board-more" href="([^"]+)">([^<]+)<', html)
    assert more is not None and "1 more" in more.group(2)
    listed = client.get(html_module.unescape(more.group(1))).get_data(as_text=True)
    names = re.findall(r'class="primary">\s*<a href="[^"]+">([^<]+)</a>', listed)
    assert sorted(names) == ["One", "Three", "Two"]
    assert "Back to the board" in listed


def test_moving_a_card_by_form_updates_the_field_through_the_service(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    record_id = _customer(web_engine, "rep_east_1", "Mover", "C")
    client = client_for("rep_east_1")
    response = _move(client, record_id, "A", 1)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.headers["Location"] == "/e/customer?view=by_level"  # type: ignore[attr-defined]
    moved = web_engine.records.get(web_engine.actor("rep_east_1"), "customer", record_id)
    assert moved.values["level"] == "A" and moved.version == 2
    history = web_engine.records.history(web_engine.actor("rep_east_1"), "customer", record_id)
    assert history[-1].kind == "updated" and history[-1].changes == {"level": ["C", "A"]}
    board = client.get("/e/customer?view=by_level").get_data(as_text=True)
    assert _columns(board)[0] == ("A", "1", ["Mover"])
    assert "Moved “Mover”." in board


def test_the_boards_script_gets_json_with_the_new_version(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    record_id = _customer(web_engine, "rep_east_1", "Scripted", "C")
    response = _move(client_for("rep_east_1"), record_id, "B", 1, **JSON)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.get_json() == {  # type: ignore[attr-defined]
        "ok": True, "message": "Moved “Scripted”.", "version": 2,
    }  # fmt: skip


def test_a_stale_move_is_refused_and_changes_nothing(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    actor = web_engine.actor("rep_east_1")
    record_id = _customer(web_engine, "rep_east_1", "Stale", "C")
    web_engine.records.update(actor, "customer", record_id, {"name": "Stale Ltd"}, version=1)
    response = _move(client_for("rep_east_1"), record_id, "A", 1, **JSON)
    assert response.status_code == 409  # type: ignore[attr-defined]
    answer = response.get_json()  # type: ignore[attr-defined]
    assert answer["ok"] is False and answer["version"] == 2
    assert "Someone else changed this record" in answer["message"]
    assert web_engine.records.get(actor, "customer", record_id).values["level"] == "C"


def test_a_move_the_reader_may_not_make_is_refused_with_a_message(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    record_id = _customer(web_engine, "rep_east_1", "Guarded", "C")
    finance = client_for("finance")  # reads every customer, may change none
    board = finance.get("/e/customer?view=by_level").get_data(as_text=True)
    assert "Guarded" in board and 'class="card-move"' not in board
    response = _move(finance, record_id, "A", 1, **JSON)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert response.get_json()["message"] == "You may not change this record."  # type: ignore[attr-defined]
    refused = _move(finance, record_id, "A", 1)
    assert refused.status_code == 302  # type: ignore[attr-defined]
    page = finance.get("/e/customer?view=by_level").get_data(as_text=True)
    assert "flash-error" in page and "You may not change this record." in page
    other_rep = _move(client_for("rep_east_2"), record_id, "A", 1, **JSON)
    assert other_rep.status_code == 404  # type: ignore[attr-defined]  # not theirs to know of
    actor = web_engine.actor("rep_east_1")
    assert web_engine.records.get(actor, "customer", record_id).values["level"] == "C"


def test_a_move_without_the_csrf_token_or_to_an_unknown_column_is_refused(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    record_id = _customer(web_engine, "rep_east_1", "Tokenless", "C")
    client = client_for("rep_east_1")
    data = {"view": "by_level", "to": "A", "_version": "1"}
    assert client.post(f"/e/customer/{record_id}/move", data=data).status_code == 400
    assert _move(client, record_id, "Z", 1, **JSON).status_code == 400  # type: ignore[attr-defined]
    actor = web_engine.actor("rep_east_1")
    assert web_engine.records.get(actor, "customer", record_id).values["level"] == "C"


def test_a_workflow_state_board_moves_only_by_actions(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    actor = web_engine.actor("rep_east_1")
    customer = _customer(web_engine, "rep_east_1", "Buyer", "B")
    deal = web_engine.records.create(
        actor, "deal", {"name": "Big deal", "customer": customer, "amount": "10"}
    )
    client = client_for("rep_east_1")
    html = client.get("/e/deal?view=pipeline").get_data(as_text=True)
    columns = _columns(html)
    states = list(web_engine.app.entities["deal"].workflow.states)  # type: ignore[union-attr]
    assert [c[0] for c in columns] == states
    assert [c[0] for c in columns if "Big deal" in c[2]] == [deal.values["stage"]]
    assert 'class="card-move"' in html and "data-workflow" in html  # moves by actions
    data = {"csrf_token": CSRF, "view": "pipeline", "to": "won", "_version": "1"}
    response = client.post(f"/e/deal/{deal.id}/move", data=data, headers=JSON)
    assert response.status_code == 409  # no action leads from lead to won: never set directly
    assert web_engine.records.get(actor, "deal", deal.id).values["stage"] == deal.values["stage"]


def test_kanban_move_target_sets_plain_fields_and_leaves_states_to_the_workflow(
    web_engine: Engine,
) -> None:
    entities: dict[str, EntitySpec] = dict(web_engine.app.entities)
    customer, deal = entities["customer"], entities["deal"]
    assert kanban_move_target(customer, customer.fields["level"], "A") == MoveTarget("level", "A")
    through = MoveTarget("stage", "won", workflow=True)
    assert kanban_move_target(deal, deal.fields["stage"], "won") == through
