"""Every built-in action end to end, run by a real change: the data each one writes (or the
inbox note, or the outbox message) and what the run's trace says it did, with the YAML
place of each action. SQLite and PostgreSQL, a fixed clock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from automation_app import (
    AppWriter,
    Build,
    at,
    builder,
    history,
    live,
    notes,
    outbox,
    runs,
    values,
)
from runtime_support import EngineFactory

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.workflow_service import ActionRequest


@pytest.fixture
def build(make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str) -> Build:
    """The automations app with the rules a test gives."""
    return builder(make_engine, write_app_folder, database_url)


def new(engine: Engine, entity: str, user: str = "ann", **fields: Any) -> int:
    """Create a record as `user`; its id."""
    return engine.records.create(engine.actor(user), entity, fields).id


def order(engine: Engine, user: str = "ann", **fields: Any) -> int:
    """Create an order as `user`; its id."""
    return new(engine, "order", user, **({"title": "A"} | fields))


def change(engine: Engine, entity: str, record_id: int, **fields: Any) -> None:
    """Update a record as ann."""
    engine.records.update(engine.actor("ann"), entity, record_id, fields, version=None)


# -- set, create `as:`, update ----------------------------------------------------------------

CHAIN = """
triggers:
  - {type: record_created, entity: order}
actions:
  - type: create
    entity: task
    values: {name: "=concat('check ', title)", order: "=record"}
    as: t
  - {type: set, values: {note: "=t.name", level: "=upper(title)"}}
  - {type: update, entity: task, where: "id == t", values: {code: "=concat(t.name, '!')"}}
"""


def test_create_binds_its_record_for_the_actions_after_it(build: Build) -> None:
    engine = build(chain=CHAIN)
    created = order(engine, title="ab")
    [task] = live(engine, "task")
    assert (task["name"], task["order"], task["code"]) == ("check ab", created, "check ab!")
    assert values(engine, "order", created)["note"] == "check ab"
    assert values(engine, "order", created)["level"] == "AB"

    [run] = runs(engine)
    assert run.status == "done"
    assert [(a["type"], a["at"]) for a in run.actions] == [
        ("create", at("chain", CHAIN, "type: create")),
        ("set", at("chain", CHAIN, "type: set")),
        ("update", at("chain", CHAIN, "type: update")),
    ]
    assert run.actions[0]["created"] == {"entity": "task", "id": task["id"]}
    assert run.actions[1]["set"] == {"note": "check ab", "level": "AB"}
    assert (run.actions[2]["matched"], run.actions[2]["changed"]) == (1, [task["id"]])
    [made, updated] = history(engine, "task", task["id"])
    assert made.by is None and made.kind == "created"  # written as the system
    assert updated.changes["code"] == [None, "check ab!"]
    assert updated.details["automation"] == "chain" and updated.details["run"] == run.id


def test_a_record_created_by_a_rule_names_the_rule_in_its_history(build: Build) -> None:
    engine = build(chain=CHAIN)
    order(engine, title="ab")
    [task] = live(engine, "task")
    [run] = runs(engine)
    made = history(engine, "task", task["id"])[0]
    assert made.details == {"automation": "chain", "run": run.id, "for": "ann"}


UPSERT = """
triggers:
  - {type: record_updated, entity: order, changed: [amount]}
actions:
  - type: update
    entity: task
    where: "order == record and name == 'follow up'"
    upsert: true
    values: {name: follow up, order: "=record", code: "=record.title"}
"""


def test_update_with_upsert_creates_once_then_updates_only_the_matching_row(
    build: Build,
) -> None:
    engine = build(follow=UPSERT)
    first, other = order(engine, title="One"), order(engine, title="Two")
    stranger = new(engine, "task", name="follow up", order=other, code="theirs")
    change(engine, "order", first, amount=Decimal(5))
    [made] = [t for t in live(engine, "task") if t["order"] == first]
    assert (made["name"], made["code"]) == ("follow up", "One")

    change(engine, "order", first, title="Uno")
    change(engine, "order", first, amount=Decimal(6))
    tasks = {t["id"]: (t["order"], t["code"]) for t in live(engine, "task")}
    assert tasks == {stranger: (other, "theirs"), made["id"]: (first, "Uno")}
    created, updated = runs(engine)
    assert created.actions[0]["matched"] == 0
    assert created.actions[0]["created"] == {"entity": "task", "id": made["id"]}
    assert (updated.actions[0]["matched"], updated.actions[0]["changed"]) == (1, [made["id"]])
    assert updated.actions[0]["at"] == at("follow", UPSERT, "type: update")


# -- delete -----------------------------------------------------------------------------------

CLEAN_UP = """
triggers:
  - {type: manual, entity: order}
actions:
  - {type: delete, entity: task, where: "order == record and name != 'k'"}
"""


def test_delete_soft_deletes_only_what_where_selects(build: Build) -> None:
    engine = build(clean_up=CLEAN_UP)
    mine, other = order(engine), order(engine)
    gone = [new(engine, "task", name=f"t{i}", order=mine) for i in range(2)]
    kept = new(engine, "task", name="k", order=mine, code="keep")
    theirs = new(engine, "task", name="o", order=other)
    outcome = engine.automations.run_manual(engine.actor("ann"), "order", mine, "clean_up")
    assert [t["id"] for t in live(engine, "task")] == [kept, theirs]
    [run] = runs(engine)
    assert run.id == outcome.run_id and run.status == "done"
    assert run.actions[0]["deleted"] == gone
    assert history(engine, "task", gone[0])[-1].kind == "deleted"


# -- transition -------------------------------------------------------------------------------

AUTO_SUBMIT = """
triggers:
  - {type: record_created, entity: order}
conditions:
  - "big == true"
actions:
  - {type: transition, action: submit, comment: "auto: {{ record.title }}"}
"""
AUTO_FINISH = """
triggers:
  - {type: approval, entity: order, event: approved}
actions:
  - {type: transition, action: finish}
"""


def test_transition_submits_and_finishes_through_the_workflow(build: Build) -> None:
    engine = build(auto_submit=AUTO_SUBMIT, auto_finish=AUTO_FINISH)
    small, big = order(engine, title="S"), order(engine, title="B", big=True)
    assert values(engine, "order", small)["status"] == "draft"
    assert values(engine, "order", big)["status"] == "review"
    # the workflow opened the approval step: boss has the task
    assert [item.record_id for item in engine.workflows.inbox(engine.actor("boss")).pending] == [
        big
    ]
    engine.workflows.act(engine.actor("boss"), "order", big, "approve", ActionRequest())
    assert values(engine, "order", big)["status"] == "done"

    skipped, submitted, finished = runs(engine)
    assert skipped.status == "skipped" and skipped.record_id == small
    assert submitted.actions == [
        {
            "type": "transition",
            "at": at("auto_submit", AUTO_SUBMIT, "type: transition"),
            "pointer": "/actions/0",
            "action": "submit",
            "state": "review",
        }
    ]
    assert finished.actions[0]["state"] == "done" and finished.actor == "boss"
    moves = [(h.kind, h.comment) for h in history(engine, "order", big) if h.kind == "transition"]
    assert moves == [("transition", "auto: B"), ("transition", None), ("transition", None)]


# -- for_each ---------------------------------------------------------------------------------

EACH = """
triggers:
  - {type: record_updated, entity: order, changed: [level]}
actions:
  - type: for_each
    entity: line
    where: "order == record and qty > 0"
    as: l
    actions:
      - type: update
        entity: line
        where: "id == l"
        values: {name: "=concat(l.name, '/', record.level)"}
      - {type: create, entity: task, values: {name: "=l.name", order: "=record"}}
"""


def test_for_each_runs_its_actions_once_per_selected_record(build: Build) -> None:
    engine = build(each=EACH)
    mine, other = order(engine), order(engine)
    lines = [new(engine, "line", name=f"l{i}", order=mine, qty=1) for i in range(3)]
    empty = new(engine, "line", name="none", order=mine, qty=0)
    foreign = new(engine, "line", name="x", order=other, qty=1)
    change(engine, "order", mine, level="gold")

    names = {line["id"]: line["name"] for line in live(engine, "line")}
    assert names == {
        lines[0]: "l0/gold", lines[1]: "l1/gold", lines[2]: "l2/gold", empty: "none",
        foreign: "x",
    }  # fmt: skip
    assert [t["name"] for t in live(engine, "task")] == ["l0/gold", "l1/gold", "l2/gold"]
    [run] = runs(engine)
    [each] = run.actions
    assert each["at"] == at("each", EACH, "type: for_each") and each["records"] == 3
    assert [item["id"] for item in each["results"]] == lines
    assert each["results"][0]["results"][0]["changed"] == [lines[0]]
    assert "created" in each["results"][0]["results"][1]


# -- lookup -----------------------------------------------------------------------------------

LOOKUP = """
triggers:
  - {type: record_updated, entity: order, changed: [amount]}
actions:
  - {type: lookup, table: prices, inputs: {amount: "=amount"}, as: price}
  - {type: set, values: {level: "=price.level"}}
"""


def test_lookup_binds_the_tables_outputs(build: Build) -> None:
    engine = build(pricing=LOOKUP)
    created = order(engine, amount=Decimal(1))
    change(engine, "order", created, amount=Decimal(999))
    assert values(engine, "order", created)["level"] == "plain"
    change(engine, "order", created, amount=Decimal(1000))
    assert values(engine, "order", created)["level"] == "gold"
    plain, gold = runs(engine)
    assert plain.actions[0] == {
        "type": "lookup",
        "at": at("pricing", LOOKUP, "type: lookup"),
        "pointer": "/actions/0",
        "table": "prices",
        "inputs": {"amount": plain.actions[0]["inputs"]["amount"]},
        "outputs": {"level": "plain"},
    }
    assert Decimal(plain.actions[0]["inputs"]["amount"]) == 999
    assert gold.actions[1]["set"] == {"level": "gold"}


# -- allocate ---------------------------------------------------------------------------------


def allocation(unit: str, weight: str = "") -> str:
    """A manual rule splitting the order's amount over its lines."""
    weighted = f', weight: "{weight}"' if weight else ""
    return f"""
triggers:
  - {{type: manual, entity: order}}
actions:
  - {{type: allocate, total: "=amount", entity: line, where: "order == record", field: share,
     unit: {unit}{weighted}}}
"""


@pytest.mark.parametrize(
    ("total", "unit", "weight", "weights", "parts"),
    [
        ("100", "0.01", "", [None, None, None], ["33.34", "33.33", "33.33"]),
        ("10", "1", "weight", [1, 2, 3], ["2", "3", "5"]),
        ("100.00", "0.01", "weight", [1, 1, 1], ["33.34", "33.33", "33.33"]),
        ("7", "1", "weight", [0, 0, 0], ["3", "2", "2"]),
        ("1000", "1", "weight * 2", [3, 0, 1], ["750", "0", "250"]),
    ],
)
def test_allocate_splits_a_total_exactly(
    build: Build, total: str, unit: str, weight: str, weights: list[int | None], parts: list[str]
) -> None:
    engine = build(split=allocation(unit, weight))
    target = order(engine, amount=Decimal(total))
    lines = [
        new(engine, "line", name=f"l{i}", order=target, weight=w) for i, w in enumerate(weights)
    ]
    new(engine, "line", name="elsewhere", order=order(engine), share=Decimal(1))
    engine.automations.run_manual(engine.actor("ann"), "order", target, "split")

    shares = [values(engine, "line", line)["share"] for line in lines]
    assert shares == [Decimal(part) for part in parts]
    assert sum(shares) == Decimal(total)
    [run] = runs(engine)
    assert run.status == "done"
    traced = run.actions[0]
    assert Decimal(traced["total"]) == Decimal(total)
    assert {k: Decimal(v) for k, v in traced["parts"].items()} == {
        str(line): Decimal(part) for line, part in zip(lines, parts, strict=True)
    }
    assert live(engine, "line", "name == 'elsewhere'")[0]["share"] == 1


# -- notify -----------------------------------------------------------------------------------

INBOX = """
triggers:
  - {type: record_created, entity: order}
actions:
  - type: notify
    to: [{type: user_field, field: owner}, {type: users, users: [bob]}]
    title: {en: "New order {{ record.title }}", zh: "新订单 {{ record.title }}"}
    body: "{{ record.title }} for {{ record.amount }}"
"""


def test_notify_to_the_inbox_renders_per_recipient_language(build: Build) -> None:
    engine = build(tell=INBOX)
    created = order(engine, "cy", title="Kite", owner="ann", amount=Decimal("12.50"))
    [to_ann] = notes(engine, "ann")
    [to_bob] = notes(engine, "bob")
    assert (to_ann.title, to_ann.body) == ("新订单 Kite", "Kite for 12.50")
    assert (to_bob.title, to_bob.body) == ("New order Kite", "Kite for 12.50")
    assert (to_bob.kind, to_bob.entity, to_bob.record_id) == ("automation", "order", created)
    assert notes(engine, "cy") == [] and outbox(engine) == []
    [run] = runs(engine)
    assert run.actions[0] == {
        "type": "notify",
        "at": at("tell", INBOX, "type: notify"),
        "pointer": "/actions/0",
        "channel": "inbox",
        "to": ["ann", "bob"],
        "messages": 2,
    }


MAIL_AND_HOOK = """
triggers:
  - {type: record_created, entity: order}
actions:
  - type: notify
    channel: email
    to: [{type: user_field, field: owner}, {type: users, users: [cy]}]
    title: "Order {{ record.title }}"
    body: "Amount {{ record.amount }}"
  - type: notify
    channel: webhook
    to: [{type: users, users: [bob]}]
    title: "Hook {{ record.title }}"
"""


def test_notify_over_email_and_webhook_queues_one_outbox_message_each(build: Build) -> None:
    engine = build(mail=MAIL_AND_HOOK)
    created = order(engine, title="Kite", owner="ann", amount=Decimal(3))
    assert notes(engine, "ann") == []  # nothing in the inbox
    [run] = runs(engine)
    mail, hook = outbox(engine)
    assert (mail.channel, mail.status, mail.run_id) == ("email", "pending", run.id)
    assert mail.payload == {
        "title": "Order Kite",
        "body": "Amount 3.00",  # money as stored, to the cent
        "recipients": [
            {"username": "ann", "name": None, "email": "ann@example.com", "locale": "zh"},
            {"username": "cy", "name": None, "email": "cy@example.com", "locale": "en"},
        ],
        "automation": "mail",
        "record": {"entity": "order", "id": created},
    }
    assert (hook.channel, hook.run_id) == ("webhook", run.id)
    assert hook.payload["url"] == "https://hooks.example.com/notify"
    assert hook.payload["method"] == "POST" and hook.payload["headers"] == {}
    assert hook.payload["body"]["title"] == "Hook Kite"
    assert [r["username"] for r in hook.payload["body"]["recipients"]] == ["bob"]
    assert mail.idempotency_key != hook.idempotency_key
    assert [(a["channel"], a["messages"]) for a in run.actions] == [("email", 1), ("webhook", 1)]


# -- webhook ----------------------------------------------------------------------------------

WEBHOOK = """
triggers:
  - {type: transitioned, entity: order, to: review}
actions:
  - type: webhook
    url: "=concat('https://api.example.com/orders/', title)"
    method: PUT
    headers: {X-Order: "{{ record.title }}", X-Fixed: plain}
    body:
      title: "{{ record.title }}"
      state: "{{ record.status }}"
      n: 3
      tags: ["{{ record.level }}", x]
"""


def test_webhook_queues_the_rendered_request(build: Build) -> None:
    engine = build(hook=WEBHOOK)
    created = order(engine, title="K7", level="gold")
    assert outbox(engine) == []
    engine.workflows.act(engine.actor("ann"), "order", created, "submit", ActionRequest())
    [message] = outbox(engine)
    [run] = runs(engine)
    assert (message.channel, message.status, message.run_id) == ("webhook", "pending", run.id)
    assert message.payload == {
        "url": "https://api.example.com/orders/K7",
        "method": "PUT",
        "headers": {"X-Order": "K7", "X-Fixed": "plain"},
        "body": {"title": "K7", "state": "review", "n": 3, "tags": ["gold", "x"]},
    }
    assert run.actions[0]["url"] == "https://api.example.com/orders/K7"
    assert run.actions[0]["outbox"] == message.id
    assert run.actions[0]["at"] == at("hook", WEBHOOK, "type: webhook")


# -- assign_round_robin -----------------------------------------------------------------------

ROUND_ROBIN = """
triggers:
  - {type: record_created, entity: task}
actions:
  - {type: assign_round_robin, field: assignee, team: "=1"}
"""


def test_assign_round_robin_takes_turns_across_creates_and_reloads(
    build: Build, make_engine: EngineFactory, write_app_folder: AppWriter, database_url: str
) -> None:
    engine = build(rotate=ROUND_ROBIN)
    assert engine.people.get_team(1).name == "Sales"

    def assignees(target: Engine, count: int) -> list[str]:
        return [
            target.records.create(Actor.system(), "task", {"name": "t"})["assignee"]
            for _ in range(count)
        ]

    assert assignees(engine, 4) == ["ann", "bob", "cy", "ann"]
    engine.close()
    reloaded = make_engine(write_app_folder({}), database_url)  # same app, same database
    assert assignees(reloaded, 3) == ["bob", "cy", "ann"]
    traced = [run.actions[0]["assigned"] for run in runs(reloaded)]
    assert traced == ["ann", "bob", "cy", "ann", "bob", "cy", "ann"]
    assert all(run.actions[0]["team"] == 1 for run in runs(reloaded))
