"""`move_through_workflow`: a card dropped on another state column takes the workflow
action that leads there, or says why it cannot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from flask import Flask, g
from workflow_web_support import needs_director, new_contract, new_deal, record_state

from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest
from engine.web.ui.workflow_moves import WorkflowMove, move_through_workflow


@contextmanager
def _as(web_app: Flask, engine: Engine, username: str) -> Iterator[None]:
    """A request of `username` (what the board's move route runs in)."""
    with web_app.test_request_context("/"):
        g.fw_actor = engine.actor(username)
        yield


def _move(
    web_app: Flask, engine: Engine, username: str, entity: str, record_id: int,
    source: str, target: str, **options: bool,
) -> WorkflowMove:  # fmt: skip
    version = engine.records.get(engine.actor("admin"), entity, record_id).version
    with _as(web_app, engine, username):
        return move_through_workflow(entity, record_id, source, target, version=version, **options)


def test_a_move_takes_the_action_that_leads_there(web_app: Flask, web_engine: Engine) -> None:
    deal = new_deal(web_engine)
    moved = _move(web_app, web_engine, "rep_east_1", "deal", deal.id, "lead", "qualified")
    assert moved.moved and moved.status == 200 and moved.action == "qualify"
    assert moved.message == "Qualify: done."
    assert record_state(web_engine, "deal", deal.id) == "qualified"
    assert moved.record is not None and moved.record["probability"] == Decimal("0.3")


def test_no_action_from_here_to_there_is_explained(web_app: Flask, web_engine: Engine) -> None:
    deal = new_deal(web_engine)
    moved = _move(web_app, web_engine, "rep_east_1", "deal", deal.id, "lead", "won")
    assert moved.status == 409 and not moved.moved
    assert moved.message == "No workflow action leads from Lead to Won."
    assert record_state(web_engine, "deal", deal.id) == "lead"


def test_a_card_that_moved_meanwhile_is_a_conflict(web_app: Flask, web_engine: Engine) -> None:
    deal = new_deal(web_engine)
    moved = _move(web_app, web_engine, "rep_east_1", "deal", deal.id, "contacted", "qualified")
    assert moved.status == 409 and "now at Lead" in moved.message


def test_a_stale_version_is_a_conflict(web_app: Flask, web_engine: Engine) -> None:
    deal = new_deal(web_engine)
    with _as(web_app, web_engine, "rep_east_1"):
        moved = move_through_workflow(
            "deal", deal.id, "lead", "contacted", version=deal.version - 1
        )
    assert moved.status == 409 and "Someone changed this record" in moved.message
    assert record_state(web_engine, "deal", deal.id) == "lead"


def test_a_move_that_needs_input_points_to_the_dialog(web_app: Flask, web_engine: Engine) -> None:
    deal = new_deal(web_engine)
    moved = _move(web_app, web_engine, "rep_east_1", "deal", deal.id, "lead", "lost")
    assert moved.status == 422 and moved.action == "lose"
    assert moved.needs == ("lost_reason",)
    assert moved.url == f"/e/deal/{deal.id}?act=lose"
    assert record_state(web_engine, "deal", deal.id) == "lead"


def test_a_confirmation_is_asked_first(web_app: Flask, web_engine: Engine) -> None:
    deal = new_deal(web_engine)
    actor = web_engine.actor("rep_east_1")
    web_engine.workflows.act(actor, "deal", deal.id, "qualify", ActionRequest())
    web_engine.records.update(
        actor, "deal", deal.id, {"expected_close": "2026-06-30"}, version=None
    )
    web_engine.workflows.act(actor, "deal", deal.id, "propose", ActionRequest())
    asked = _move(web_app, web_engine, "rep_east_1", "deal", deal.id, "proposal", "won")
    assert asked.status == 422 and asked.needs == ("confirm",)
    assert asked.message.startswith("Mark this deal as won?")
    done = _move(
        web_app, web_engine, "rep_east_1", "deal", deal.id, "proposal", "won", confirmed=True
    )
    assert done.moved and record_state(web_engine, "deal", deal.id) == "won"


def test_an_action_of_someone_else_is_refused(web_app: Flask, web_engine: Engine) -> None:
    contract = new_contract(web_engine)
    web_engine.workflows.act(web_engine.actor("rep_east_1"), "contract", contract.id, "submit")
    # a rep cannot approve their own contract: the move exists, but not for them
    moved = _move(web_app, web_engine, "rep_east_1", "contract", contract.id, "review", "finance")
    assert moved.status == 403
    assert moved.message == "You may not move it from Manager review to Finance review now."
    assert record_state(web_engine, "contract", contract.id) == "review"


def test_the_approver_moves_the_card_to_the_next_step(web_app: Flask, web_engine: Engine) -> None:
    contract = new_contract(web_engine)
    needs_director(web_engine, contract.id)
    web_engine.workflows.act(web_engine.actor("rep_east_1"), "contract", contract.id, "submit")
    # with director approval needed, approving leads to the director, not to finance
    skipping = _move(
        web_app, web_engine, "manager_east", "contract", contract.id, "review", "finance"
    )
    assert skipping.status == 403
    moved = _move(
        web_app, web_engine, "manager_east", "contract", contract.id, "review", "director"
    )
    assert moved.moved and moved.action == "approve"
    assert record_state(web_engine, "contract", contract.id) == "director"


def test_a_send_back_by_drop_needs_its_comment(web_app: Flask, web_engine: Engine) -> None:
    contract = new_contract(web_engine)
    web_engine.workflows.act(web_engine.actor("rep_east_1"), "contract", contract.id, "submit")
    moved = _move(web_app, web_engine, "manager_east", "contract", contract.id, "review", "draft")
    assert moved.status == 422 and moved.action == "send_back" and moved.needs == ("comment",)


def test_an_entity_without_workflow_is_a_bad_request(web_app: Flask, web_engine: Engine) -> None:
    with _as(web_app, web_engine, "rep_east_1"):
        moved = move_through_workflow("customer", 1, "a", "b", version=None)
    assert moved.status == 400
