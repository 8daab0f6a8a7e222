"""Workflow logic: one initial state, reachability, ways out, approval steps, comments, the
state map, and the state field."""

from __future__ import annotations

import textwrap
from typing import Any

from minimal_app import references, where

from engine.diagnostics import Severity

FIELDS = """
entity: order
fields:
  customer: {type: link, to: customer}
  owner: {type: user}
  amount: {type: money}
  reason: {type: long_text}
  due: {type: date}
workflow:
"""


def order(workflow: str) -> dict[str, str]:
    """The order entity with `workflow` (written at column 1) as its workflow: line 9 of the
    file is the workflow's first line."""
    return {"entities/order.yaml": FIELDS + textwrap.indent(workflow.lstrip("\n"), "  ")}


def problems(make_app: Any, registry: Any, workflow: str) -> set[tuple[str, str, str]]:
    """(code, pointer, position) of every diagnostic of the app with this workflow."""
    return where(references(make_app(order(workflow)), registry))


GOOD = """
states:
  draft: {initial: true}
  review:
    approval: {approvers: [{type: role, role: boss}], mode: any}
  done: {final: true}
  rejected: {final: true}
transitions:
  submit: {from: draft, to: review}
  approve: {from: review, to: done}
  reject: {from: review, to: rejected, comment: required}
"""


def test_a_sound_workflow_has_no_problems(make_app: Any, registry: Any) -> None:
    assert problems(make_app, registry, GOOD) == set()


def test_no_initial_state(make_app: Any, registry: Any) -> None:
    found = problems(make_app, registry, GOOD.replace("draft: {initial: true}", "draft: {}"))
    assert found == {("R201", "/workflow/states", "entities/order.yaml:9:3")}


def test_two_initial_states(make_app: Any, registry: Any) -> None:
    workflow = GOOD.replace("done: {final: true}", "done: {final: true, initial: true}")
    found = problems(make_app, registry, workflow)
    assert found == {("R201", "/workflow/states/done/initial", "entities/order.yaml:13:34")}


def test_unreachable_state_and_dead_end(make_app: Any, registry: Any) -> None:
    workflow = GOOD.replace("rejected: {final: true}", "rejected: {final: true}\n  limbo: {}")
    found = problems(make_app, registry, workflow)
    assert found == {
        ("R202", "/workflow/states/limbo", "entities/order.yaml:15:5"),
        ("W121", "/workflow/states/limbo", "entities/order.yaml:15:5"),
    }


def test_transition_out_of_a_final_state(make_app: Any, registry: Any) -> None:
    workflow = GOOD.replace(
        "submit: {from: draft, to: review}", "submit: {from: [draft, done], to: review}"
    )
    found = problems(make_app, registry, workflow)
    assert found == {("R203", "/workflow/transitions/submit/from/1", "entities/order.yaml:16:28")}


def test_approval_state_needs_approve_and_approvers(make_app: Any, registry: Any) -> None:
    workflow = GOOD.replace("approve: {from: review, to: done}", "finish: {from: review, to: done}")
    workflow = workflow.replace("approvers: [{type: role, role: boss}], ", "approvers: [], ")
    found = problems(make_app, registry, workflow)
    assert found == {
        ("R205", "/workflow/states/review/approval", "entities/order.yaml:12:17"),
        ("R204", "/workflow/states/review", "entities/order.yaml:11:5"),
    }


def test_completion_modes_need_their_numbers(make_app: Any, registry: Any) -> None:
    workflow = GOOD.replace("mode: any}", "mode: n_of_m}")
    assert problems(make_app, registry, workflow) == {
        ("R206", "/workflow/states/review/approval/mode", "entities/order.yaml:12:63")
    }
    workflow = GOOD.replace("mode: any}", "mode: percentage}")
    assert problems(make_app, registry, workflow) == {
        ("R206", "/workflow/states/review/approval/mode", "entities/order.yaml:12:63")
    }
    workflow = GOOD.replace("mode: any}", "mode: percentage, percent: 50}")
    assert problems(make_app, registry, workflow) == set()


def test_reject_and_send_back_comments(make_app: Any, registry: Any) -> None:
    workflow = GOOD.replace("comment: required}", "comment: none}") + (
        "  send_back: {from: review, to: draft}\n"
    )
    found = references(make_app(order(workflow)), registry)
    assert where(found) == {
        ("R207", "/workflow/transitions/reject/comment", "entities/order.yaml:18:51"),
        ("W122", "/workflow/transitions/send_back", "entities/order.yaml:19:16"),
    }
    warning = next(d for d in found if d.code == "W122")
    assert warning.severity is Severity.WARNING


def test_allow_lists_approval_actions_only(make_app: Any, registry: Any) -> None:
    workflow = GOOD.replace("mode: any}", "mode: any, allow: [transfer, delegate]}")
    found = references(make_app(order(workflow)), registry)
    assert where(found) == {
        ("R208", "/workflow/states/review/approval/allow/1", "entities/order.yaml:12:86")
    }
    assert found[0].message == "unknown approval action 'delegate'"


def test_stateless_actions_are_not_transitions(make_app: Any, registry: Any) -> None:
    workflow = GOOD + "  transfer: {from: review, to: review}\n"
    found = problems(make_app, registry, workflow)
    assert found == {("R210", "/workflow/transitions/transfer", "entities/order.yaml:19:5")}


def test_state_map_from_live_state_or_to_unknown(make_app: Any, registry: Any) -> None:
    workflow = GOOD + "state_map: {pending: reviw, draft: review}\n"
    found = references(make_app(order(workflow)), registry)
    assert where(found) == {
        ("R105", "/workflow/state_map/pending", "entities/order.yaml:19:24"),
        ("R209", "/workflow/state_map/draft", "entities/order.yaml:19:31"),
    }
    assert next(d for d in found if d.code == "R105").hint == "did you mean 'review'?"


def test_state_field_must_be_a_state_field(make_app: Any, registry: Any) -> None:
    workflow = "field: amount" + GOOD
    found = references(make_app(order(workflow)), registry)
    assert ("R111", "/workflow/field", "entities/order.yaml:9:10") in where(found)
    # the app's other files read `status`, which is now no field at all
    assert {d.code for d in found} == {"R111", "R103", "X103"}


def test_from_star_leaves_every_state_but_not_final_ones(make_app: Any, registry: Any) -> None:
    workflow = GOOD + '  recall: {from: "*", to: draft}\n'
    assert problems(make_app, registry, workflow) == set()


def test_approvers_user_fields_and_due_field(make_app: Any, registry: Any) -> None:
    workflow = GOOD.replace(
        "approvers: [{type: role, role: boss}], mode: any}",
        "approvers: [{type: manager, of: amount}, {type: user_field, field: ownr}],"
        " due: {field: owner, offset: -1d}}",
    )
    found = problems(make_app, registry, workflow)
    assert found == {
        ("R111", "/workflow/states/review/approval/approvers/0/of", "entities/order.yaml:12:50"),
        ("R103", "/workflow/states/review/approval/approvers/1/field", "entities/order.yaml:12:85"),
        ("R111", "/workflow/states/review/approval/due/field", "entities/order.yaml:12:106"),
    }
