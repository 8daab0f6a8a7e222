"""Contract approval of the sales template through the workflow service: every approval
feature (modes, recall, send back, transfer, add approver, self-approval, skips, CC, due
times), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from runtime_support import SALES_APP, EngineFactory
from workflow_support import act, add_sales_people, new_contract, state

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime.actor import Actor
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.preparation import WriteOptions
from engine.runtime.record import Record


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str) -> Engine:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    return engine


def needs_director(engine: Engine, contract: Record) -> Record:
    """Mark the contract for director approval (the threshold rule's job, issue 5)."""
    with engine.db.begin() as connection:
        return engine.records.update_in(
            connection, Actor.system(), "contract", contract.id, {"director_required": True},
            version=None, options=WriteOptions(trusted=True),
        )  # fmt: skip


def tasks(engine: Engine, contract: Record) -> list[tuple[str, str, str]]:
    trail = engine.workflows.trail(engine.actor("admin"), "contract", contract.id)
    return [(t.step.state, task.assignee, task.status) for t in trail for task in t.tasks]


def actions(engine: Engine, username: str, contract: Record) -> list[str]:
    found = engine.workflows.actions(engine.actor(username), "contract", contract.id)
    return [a.name for a in found]


def test_submit_and_approve_through_manager_and_finance(sales: Engine) -> None:
    contract = new_contract(sales, "rep_east_1")
    assert actions(sales, "rep_east_1", contract) == ["submit"]
    assert actions(sales, "manager_east", contract) == ["submit"]  # may edit: subteams
    act(sales, "rep_east_1", contract, "submit")
    assert state(sales, contract) == "review"
    assert actions(sales, "manager_east", contract) == [
        "approve", "reject", "send_back", "transfer", "add_approver",
    ]  # fmt: skip
    assert actions(sales, "rep_east_1", contract) == ["recall"]
    assert sales.workflows.pending_count(sales.actor("manager_east")) == 1
    assert sales.workflows.pending_count(sales.actor("rep_east_1")) == 0
    with pytest.raises(NotFound):  # another team's manager cannot even read it
        actions(sales, "manager_west", contract)
    act(sales, "manager_east", contract, "approve", comment="fine")
    # Below the threshold the director step is not taken (its `if` is false).
    assert state(sales, contract) == "finance"
    assert tasks(sales, contract)[-2:] == [
        ("finance", "finance", "pending"),
        ("finance", "finance_2", "pending"),
    ]
    done = act(sales, "finance_2", contract, "approve")  # n_of_m, count 1
    assert done["status"] == "approved"
    today = sales.clock.now().astimezone(sales.runtime.contexts.timezone).date()
    assert done["approved_on"] == today
    assert tasks(sales, contract)[-2:] == [
        ("finance", "finance", "cancelled"),
        ("finance", "finance_2", "approved"),
    ]
    history = sales.records.history(sales.actor("admin"), "contract", contract.id)
    moves = [(h.kind, h.by, h.details.get("action"), h.comment) for h in history]
    assert moves == [
        ("created", "rep_east_1", None, None),
        ("transition", "rep_east_1", "submit", None),
        ("transition", "manager_east", "approve", "fine"),
        ("transition", "finance_2", "approve", None),
    ]
    assert history[-1].changes["status"] == ["finance", "approved"]
    inbox = sales.workflows.inbox(sales.actor("rep_east_1"))
    assert [n.kind for n in inbox.notifications] == ["outcome:approved"]
    # 抄送: finance and the owner's manager are copied when it takes effect.
    assert [n.kind for n in sales.workflows.inbox(sales.actor("manager_east")).notifications] == [
        "cc"
    ]


def test_director_step_needs_every_director_above_the_threshold(sales: Engine) -> None:
    contract = needs_director(sales, new_contract(sales, "rep_east_1", "900000"))
    act(sales, "rep_east_1", contract, "submit")
    act(sales, "manager_east", contract, "approve")
    assert state(sales, contract) == "director"
    act(sales, "director", contract, "approve")
    assert state(sales, contract) == "director"  # 会签: the other director still has to
    with pytest.raises(Forbidden):
        act(sales, "director", contract, "approve")
    act(sales, "director_2", contract, "approve")
    assert state(sales, contract) == "finance"
    kinds = [h.kind for h in sales.records.history(sales.actor("admin"), "contract", contract.id)]
    assert kinds.count("approval") == 1  # the first director's partial approval


def test_a_step_whose_approvers_already_approved_is_skipped(
    make_engine: EngineFactory, database_url: str
) -> None:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine, directors=1)
    # A manager's contract goes to their manager, the director, who then would approve the
    # director step too: with skip_if_approved it is skipped and recorded.
    contract = needs_director(engine, new_contract(engine, "manager_east", "900000"))
    act(engine, "manager_east", contract, "submit")
    assert tasks(engine, contract) == [("review", "director", "pending")]
    act(engine, "director", contract, "approve")
    assert state(engine, contract) == "finance"
    trail = engine.workflows.trail(engine.actor("admin"), "contract", contract.id)
    assert [(t.step.state, t.step.status) for t in trail] == [
        ("review", "approved"),
        ("director", "skipped"),
        ("finance", "open"),
    ]
    history = engine.records.history(engine.actor("admin"), "contract", contract.id)
    skip = [h.details for h in history if h.details.get("action") == "skip"]
    assert skip == [{"action": "skip", "step": "director", "reason": "already_approved"}]


def test_self_approval_is_refused(sales: Engine) -> None:
    # The director submits their own large contract: review has no approver (nobody above
    # them) and is skipped; in the director step only the other director approves.
    contract = needs_director(sales, new_contract(sales, "director", "900000"))
    act(sales, "director", contract, "submit")
    assert state(sales, contract) == "director"
    assert tasks(sales, contract) == [("director", "director_2", "pending")]
    with pytest.raises(Forbidden):
        act(sales, "director", contract, "approve")
    with pytest.raises(ValidationFailed) as refused:
        act(sales, "director_2", contract, "transfer", to_user="director")
    assert "to_user" in refused.value.fields
    act(sales, "director_2", contract, "approve")
    assert state(sales, contract) == "finance"


def test_recall_while_nobody_acted_and_refused_after(sales: Engine) -> None:
    contract = new_contract(sales, "rep_east_1")
    act(sales, "rep_east_1", contract, "submit")
    with pytest.raises(Forbidden):
        act(sales, "manager_east", contract, "recall")  # only the submitter
    act(sales, "rep_east_1", contract, "recall", comment="wrong amount")
    assert state(sales, contract) == "draft"
    assert tasks(sales, contract) == [("review", "manager_east", "cancelled")]
    # Resubmitted, large: once one director approved, it can no longer be recalled.
    needs_director(sales, contract)
    act(sales, "rep_east_1", contract, "submit")
    act(sales, "manager_east", contract, "approve")
    assert "recall" in actions(sales, "rep_east_1", contract)  # the directors did not act
    act(sales, "director", contract, "approve")
    assert "recall" not in actions(sales, "rep_east_1", contract)
    with pytest.raises(Conflict):
        act(sales, "rep_east_1", contract, "recall")
    assert state(sales, contract) == "director"


def test_send_back_to_a_chosen_earlier_step(sales: Engine) -> None:
    contract = needs_director(sales, new_contract(sales, "rep_east_1", "900000"))
    act(sales, "rep_east_1", contract, "submit")
    act(sales, "manager_east", contract, "approve")
    act(sales, "director", contract, "approve")
    act(sales, "director_2", contract, "approve")
    assert state(sales, contract) == "finance"
    with pytest.raises(ValidationFailed) as no_comment:
        act(sales, "finance", contract, "send_back", to_state="review")
    assert "comment" in no_comment.value.fields
    with pytest.raises(ValidationFailed) as bad_target:
        act(sales, "finance", contract, "send_back", to_state="approved", comment="x")
    assert "to_state" in bad_target.value.fields
    act(sales, "finance", contract, "send_back", to_state="review", comment="check the terms")
    assert state(sales, contract) == "review"
    assert tasks(sales, contract)[-1] == ("review", "manager_east", "pending")
    # Forward again, the directors who approved in this run are not asked twice.
    act(sales, "manager_east", contract, "approve")
    assert state(sales, contract) == "finance"
    # Without a choice, a send back goes to the previous step — and a step sent back to
    # looks again, even when its approvers approved before.
    act(sales, "finance", contract, "send_back", comment="directors, please")
    assert state(sales, contract) == "director"
    assert tasks(sales, contract)[-2:] == [
        ("director", "director", "pending"),
        ("director", "director_2", "pending"),
    ]
    act(sales, "director", contract, "send_back", comment="redo")
    assert state(sales, contract) == "review"
    history = sales.records.history(sales.actor("admin"), "contract", contract.id)
    back = [h for h in history if h.details.get("action") == "send_back"]
    assert [(h.by, h.comment, h.changes["status"]) for h in back] == [
        ("finance", "check the terms", ["finance", "review"]),
        ("finance", "directors, please", ["finance", "director"]),
        ("director", "redo", ["director", "review"]),
    ]


def test_reject_needs_a_comment_and_ends_the_approval(sales: Engine) -> None:
    contract = new_contract(sales, "rep_east_1")
    act(sales, "rep_east_1", contract, "submit")
    with pytest.raises(ValidationFailed):
        act(sales, "manager_east", contract, "reject")
    with pytest.raises(ValidationFailed) as too_long:
        act(sales, "manager_east", contract, "reject", comment="x" * 4001)
    assert "comment" in too_long.value.fields
    act(sales, "manager_east", contract, "reject", comment="no budget")
    assert state(sales, contract) == "rejected"
    told = sales.workflows.inbox(sales.actor("rep_east_1")).notifications
    assert [(n.kind, n.by, n.comment) for n in told] == [
        ("outcome:rejected", "manager_east", "no budget")
    ]
    assert actions(sales, "rep_east_1", contract) == []
    with pytest.raises(Conflict):
        act(sales, "manager_east", contract, "reject", comment="again")


def test_transfer_hands_the_task_on_and_lets_the_new_approver_read(sales: Engine) -> None:
    contract = new_contract(sales, "rep_east_1")
    act(sales, "rep_east_1", contract, "submit")
    with pytest.raises(NotFound):  # outside manager_west's scope
        sales.records.get(sales.actor("manager_west"), "contract", contract.id)
    act(sales, "manager_east", contract, "transfer", to_user="manager_west", comment="on leave")
    assert tasks(sales, contract) == [
        ("review", "manager_east", "transferred"),
        ("review", "manager_west", "pending"),
    ]
    assert sales.records.get(sales.actor("manager_west"), "contract", contract.id).id == contract.id
    with pytest.raises(Forbidden):
        act(sales, "manager_east", contract, "approve")
    act(sales, "manager_west", contract, "approve")
    assert state(sales, contract) == "finance"
    history = sales.records.history(sales.actor("admin"), "contract", contract.id)
    transfer = [h for h in history if h.details.get("action") == "transfer"]
    assert [(h.by, h.details["to_user"], h.comment) for h in transfer] == [
        ("manager_east", "manager_west", "on leave")
    ]
    with pytest.raises(ValidationFailed):
        act(sales, "finance", contract, "transfer", to_user="nobody_here")


def test_add_approver_before_and_after_oneself(sales: Engine) -> None:
    contract = new_contract(sales, "rep_east_1")
    act(sales, "rep_east_1", contract, "submit")
    act(sales, "manager_east", contract, "add_approver", to_user="director", position="before")
    with pytest.raises(Forbidden):  # waits for the approver added before
        act(sales, "manager_east", contract, "approve")
    act(sales, "director", contract, "approve")
    assert state(sales, contract) == "review"
    act(sales, "manager_east", contract, "add_approver", to_user="director_2", position="after")
    act(sales, "manager_east", contract, "approve")
    assert state(sales, contract) == "review"  # the approver added after still has to
    act(sales, "director_2", contract, "approve")
    assert state(sales, contract) == "finance"
    assert [t for t in tasks(sales, contract) if t[0] == "review"] == [
        ("review", "director", "approved"),
        ("review", "manager_east", "approved"),
        ("review", "director_2", "approved"),
    ]
    with pytest.raises(ValidationFailed):
        act(sales, "finance", contract, "add_approver", to_user="finance_2", position="sideways")


def test_overdue_step_sends_a_reminder_once(sales: Engine) -> None:
    clock = sales.clock
    assert isinstance(clock, FixedClock)
    contract = new_contract(sales, "rep_east_1")
    act(sales, "rep_east_1", contract, "submit")
    clock.advance(timedelta(hours=47))
    assert sales.workflows.process_due() == []
    clock.advance(timedelta(hours=2))
    done = sales.workflows.process_due()
    assert [(step.state, outcome) for step, outcome in done] == [("review", "remind")]
    reminders = sales.workflows.inbox(sales.actor("manager_east"))
    # the step's reminder, and the escalation of rules/contract_approval_overdue.yaml
    assert sorted(n.kind for n in reminders.notifications) == ["automation", "reminder"]
    assert [item.overdue for item in reminders.pending] == [True]
    assert sales.workflows.process_due() == []  # once
    assert state(sales, contract) == "review"


def test_stale_versions_unknown_actions_and_strangers(sales: Engine) -> None:
    contract = new_contract(sales, "rep_east_1")
    with pytest.raises(Conflict):
        act(sales, "rep_east_1", contract, "submit", version=contract.version + 1)
    with pytest.raises(NotFound):
        act(sales, "rep_east_1", contract, "fly")
    with pytest.raises(NotFound):
        act(sales, "rep_west_1", contract, "submit")
    with pytest.raises(Conflict):
        act(sales, "rep_east_1", contract, "approve")  # not in an approval state
    submitted = act(sales, "rep_east_1", contract, "submit", version=contract.version)
    assert submitted.version == contract.version + 1
    # Locked while in approval: the submitter cannot change the amount.
    with pytest.raises(ValidationFailed) as locked:
        sales.records.update(
            sales.actor("rep_east_1"), "contract", contract.id,
            {"amount": Decimal("1")}, version=submitted.version,
        )  # fmt: skip
    assert "amount" in locked.value.fields


def test_old_notifications_can_be_marked_read(sales: Engine) -> None:
    contract = new_contract(sales, "rep_east_1")
    act(sales, "rep_east_1", contract, "submit")
    act(sales, "manager_east", contract, "reject", comment="no")
    now = sales.clock.now()
    with sales.db.begin() as connection:
        assert sales.workflows.steps.mark_read_before(connection, now, now) == 0
        later = now + timedelta(seconds=1)
        assert sales.workflows.steps.mark_read_before(connection, later, later) == 1
    told = sales.workflows.inbox(sales.actor("rep_east_1")).notifications
    assert [n.read_at for n in told] == [now + timedelta(seconds=1)]
    assert sales.workflows.mark_read(sales.actor("rep_east_1")) == 0


def test_actions_of_many_records_match_one_by_one(sales: Engine) -> None:
    drafts = [new_contract(sales, "rep_east_1", str(1000 + n)) for n in range(3)]
    big = needs_director(sales, new_contract(sales, "rep_east_2", "900000"))
    act(sales, "rep_east_1", drafts[1], "submit")
    act(sales, "rep_east_1", drafts[2], "submit")
    act(sales, "manager_east", drafts[2], "approve")
    act(sales, "rep_east_2", big, "submit")
    act(sales, "manager_east", big, "approve")
    act(sales, "director", big, "approve")
    west = new_contract(sales, "rep_west_1")
    ids = [c.id for c in [*drafts, big, west]]
    for username in ("rep_east_1", "manager_east", "director", "director_2", "finance", "admin"):
        actor = sales.actor(username)
        many = sales.workflows.actions_many(actor, "contract", ids)
        for record_id in ids:
            try:
                one = sales.workflows.actions(actor, "contract", record_id)
            except NotFound:
                assert record_id not in many
                continue
            assert many[record_id] == one, (username, record_id)
    assert sales.workflows.actions_many(sales.actor("admin"), "contract", []) == {}
