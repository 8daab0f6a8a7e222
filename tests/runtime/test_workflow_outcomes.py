"""Two workflow behaviours the sales incentives rely on, pinned on a small app: a rule that
takes a record out of an approval step by setting its state leaves the step (it never acts
as an approver or as the submitter), and a submission that ends in a state that is not final
(an approved claim may still be closed later) still tells the submitter its outcome."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from runtime_support import EngineFactory

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest

APP = """
app: claims
title: Claims
locales: [en]
timezone: UTC
roles:
  staff: {label: Staff}
"""

CLAIM = """
entity: claim
label: Claim
title_field: title
fields:
  title: {type: text, required: true}
  amount: {type: number}
  owner: {type: user, default: "=me()"}
  status: {type: state}
permissions:
  staff: {create: true, read: all, update: all}
workflow:
  field: status
  states:
    draft: {initial: true}
    review:
      editable: [amount]
      approval:
        approvers: [{type: users, users: [boss]}]
        allow: [recall]
    approved: {}
    closed: {final: true}
  transitions:
    submit: {from: draft, to: review}
    approve: {from: review, to: approved}
    send_back: {from: review, to: draft, comment: required}
    recall: {from: review, to: draft}
    close: {from: approved, to: closed}
"""

# A claim whose amount changes under review goes back to draft: only the approver's
# `send_back` and the submitter's `recall` lead there from `review`.
RESET = """
automation: reset_on_change
triggers:
  - {type: record_updated, entity: claim, changed: [amount]}
conditions:
  - "status == 'review'"
actions:
  - type: set
    values: {status: draft}
"""

FILES = {"app.yaml": APP, "entities/claim.yaml": CLAIM, "rules/reset_on_change.yaml": RESET}
SYSTEM = Actor.system()


@pytest.fixture
def claims(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> Engine:
    engine = make_engine(write_app_folder(FILES), database_url)
    for name in ("ann", "boss", "clerk"):
        engine.people.create_user(name)
        engine.people.grant_role("claims", name, "staff")
    return engine


def submitted(engine: Engine) -> int:
    claim = engine.records.create(engine.actor("ann"), "claim", {"title": "Taxi", "amount": 30})
    engine.workflows.act(engine.actor("ann"), "claim", claim.id, "submit", ActionRequest())
    return claim.id


def test_a_rule_moving_a_record_out_of_approval_leaves_the_step(claims: Engine) -> None:
    claim_id = submitted(claims)
    assert claims.workflows.pending_count(claims.actor("boss")) == 1
    claims.records.update(claims.actor("clerk"), "claim", claim_id, {"amount": 45}, version=None)
    assert claims.records.get(SYSTEM, "claim", claim_id)["status"] == "draft"
    [trail] = claims.workflows.trail(SYSTEM, "claim", claim_id)
    assert (trail.step.status, [t.status for t in trail.tasks]) == ("left", ["cancelled"])
    assert claims.workflows.pending_count(claims.actor("boss")) == 0
    moved = claims.records.history(SYSTEM, "claim", claim_id)[-1]
    assert (moved.kind, moved.changes["status"]) == ("transition", ["review", "draft"])
    assert (moved.details["action"], moved.details["automation"]) == (None, "reset_on_change")


def test_a_submission_ending_in_a_state_that_is_not_final_tells_the_submitter(
    claims: Engine,
) -> None:
    claim_id = submitted(claims)
    claims.workflows.act(claims.actor("boss"), "claim", claim_id, "approve", ActionRequest())
    inbox = claims.workflows.inbox(claims.actor("ann"))
    assert [(n.kind, n.by) for n in inbox.notifications] == [("outcome:approved", "boss")]
    # Closing it later, from a plain state, ends that submission's story: told again.
    claims.workflows.act(claims.actor("clerk"), "claim", claim_id, "close", ActionRequest())
    kinds = [n.kind for n in claims.workflows.inbox(claims.actor("ann")).notifications]
    assert sorted(kinds) == ["outcome:approved", "outcome:closed"]
    # Nobody is told of a plain move that ends no submission.
    other = claims.records.create(claims.actor("ann"), "claim", {"title": "Hotel"})
    assert other["status"] == "draft"
    assert claims.workflows.inbox(claims.actor("boss")).notifications == ()
