"""The record service: create, read, update with optimistic locking, field rights, the
workflow state field, and everything-or-nothing transactions — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from runtime_support import act

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.runtime import preparation
from engine.runtime.engine import Engine
from engine.runtime.record import record_json


def history_count(engine: Engine) -> int:
    with engine.db.begin() as connection:
        query = sa.select(sa.func.count()).select_from(engine.tables.system.history)
        return int(connection.scalar(query) or 0)


def test_create_fills_defaults_numbers_state_and_stamps(shop: Engine) -> None:
    lead = act(shop, "lead_ann")
    order = shop.records.create(lead, "order", {"title": "First", "amount": "12.30"})
    assert order.id == 1 and order.version == 1
    assert order.created_by == order.updated_by == "lead_ann"
    assert order.created_at == shop.clock.now()
    values = order.values
    assert values["number"] == "SO-202603-001"
    assert values["status"] == "open"
    assert values["owner"] == "lead_ann" and values["kind"] == "retail"
    assert values["paid"] is False and values["approved"] is False
    assert values["amount"] == Decimal("12.30") and values["lines"] == [] and values["tags"] == []
    assert shop.records.get(lead, "order", order.id) == order
    data = record_json(shop.app.entities["order"], order)
    assert data["amount"] == 12.3 and data["id"] == 1 and data["version"] == 1
    assert data["created_at"] == "2026-03-02T01:00:00+00:00"


def test_update_writes_only_real_changes_and_bumps_the_version(shop: Engine) -> None:
    ann = act(shop, "ann")
    order = shop.records.create(ann, "order", {"title": "First"})
    same = shop.records.update(ann, "order", order.id, {"title": "First"}, version=1)
    assert same.version == 1
    changed = shop.records.update(ann, "order", order.id, {"title": "Second"}, version=1)
    assert changed.version == 2 and changed["title"] == "Second"
    assert shop.records.get(ann, "order", order.id)["title"] == "Second"


def test_a_stale_version_is_a_conflict_and_writes_nothing(shop: Engine) -> None:
    ann = act(shop, "ann")
    order = shop.records.create(ann, "order", {"title": "First"})
    shop.records.update(ann, "order", order.id, {"title": "Winner"}, version=1)
    before = history_count(shop)
    with pytest.raises(Conflict) as caught:
        shop.records.update(ann, "order", order.id, {"title": "Loser"}, version=1)
    assert caught.value.current_version == 2
    assert shop.records.get(ann, "order", order.id)["title"] == "Winner"
    assert history_count(shop) == before


def test_two_concurrent_updates_from_one_version_one_wins(shop: Engine) -> None:
    ann = act(shop, "ann")
    order = shop.records.create(ann, "order", {"title": "First"})
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def write(title: str) -> None:
        barrier.wait()
        try:
            outcomes[title] = shop.records.update(
                ann, "order", order.id, {"title": title}, version=1
            )
        except Conflict as error:
            outcomes[title] = error

    threads = [threading.Thread(target=write, args=(t,)) for t in ("Left", "Right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conflicts = [title for title, result in outcomes.items() if isinstance(result, Conflict)]
    winners = [title for title in outcomes if title not in conflicts]
    assert len(conflicts) == 1 and len(winners) == 1
    loser = outcomes[conflicts[0]]
    assert isinstance(loser, Conflict) and loser.current_version == 2
    stored = shop.records.get(ann, "order", order.id)
    assert stored["title"] == winners[0] and stored.version == 2


def test_the_state_field_changes_only_through_actions(shop: Engine) -> None:
    ann = act(shop, "ann")
    order = shop.records.create(ann, "order", {"title": "First", "status": "open"})
    with pytest.raises(ValidationFailed) as caught:
        shop.records.update(ann, "order", order.id, {"status": "closed"}, version=1)
    assert caught.value.fields == {
        "status": ["'status' changes only through workflow actions (close), not by editing."]
    }
    with pytest.raises(ValidationFailed) as created:
        shop.records.create(ann, "order", {"title": "Second", "status": "closed"})
    assert list(created.value.fields) == ["status"]


def test_trusted_creates_with_allow_state_start_in_the_given_state(shop: Engine) -> None:
    from engine.runtime.actor import Actor
    from engine.runtime.records import WriteOptions

    system = Actor.system(locale="en")
    importer = WriteOptions(trusted=True, allow_state=True, comment="import")
    with shop.db.begin() as connection:
        closed = shop.records.create_in(
            connection, system, "order", {"title": "Old", "status": "closed"}, options=importer
        )
        plain = shop.records.create_in(
            connection, system, "order", {"title": "New"}, options=importer
        )
    assert closed["status"] == "closed" and plain["status"] == "open"
    assert shop.records.get(system, "order", closed.id) == closed
    entry = shop.records.history(system, "order", closed.id)[0]
    assert entry.changes["status"] == [None, "closed"] and entry.comment == "import"
    trusted_only = WriteOptions(trusted=True)
    with pytest.raises(ValidationFailed) as caught, shop.db.begin() as connection:
        shop.records.create_in(
            connection,
            system,
            "order",
            {"title": "Later", "status": "closed"},
            options=trusted_only,
        )
    assert list(caught.value.fields) == ["status"]


def test_computed_readonly_and_read_only_fields_are_refused(shop: Engine) -> None:
    ann, bob = act(shop, "ann"), act(shop, "bob")
    with pytest.raises(ValidationFailed) as caught:
        shop.records.create(
            ann, "order", {"title": "First", "total": 5, "number": "X", "approved": True}
        )
    assert caught.value.fields == {
        "approved": ["This field is read-only: it is filled in by the system."],
        "number": ["This number is assigned automatically."],
        "total": ["This field is computed and cannot be set."],
    }
    order = shop.records.create(ann, "order", {"title": "First", "approved": False})
    with pytest.raises(ValidationFailed) as caught:
        shop.records.update(ann, "order", order.id, {"amount": 5}, version=1)
    assert caught.value.fields == {"amount": ["You may not change this field."]}
    other = shop.records.create(bob, "order", {"title": "Bob's"})
    with pytest.raises(ValidationFailed) as zh:
        shop.records.update(bob, "order", other.id, {"amount": 5}, version=1)
    assert zh.value.fields == {"amount": ["您无权修改此字段。"]}
    lead = act(shop, "lead_ann")  # inherits clerk, but its own entry leaves amount editable
    updated = shop.records.update(lead, "order", order.id, {"amount": "5.5"}, version=1)
    assert updated["amount"] == Decimal("5.50")


def test_a_closed_record_allows_only_its_state_s_editable_fields(shop: Engine) -> None:
    ann = act(shop, "ann")
    order = shop.records.create(ann, "order", {"title": "First"})
    table = shop.tables.entity("order")
    with shop.db.begin() as connection:
        connection.execute(table.update().values(status="closed"))
    with pytest.raises(ValidationFailed) as caught:
        shop.records.update(ann, "order", order.id, {"phone": "123-456"}, version=1)
    assert caught.value.fields == {
        "phone": ["This field cannot be changed while the record is 'closed'."]
    }
    renamed = shop.records.update(ann, "order", order.id, {"title": "Renamed"}, version=1)
    assert renamed["title"] == "Renamed"


def test_rows_sent_back_unchanged_are_no_change(shop: Engine) -> None:
    ann = act(shop, "ann")
    lines = [{"item": "a", "qty": 2, "price": "5"}]
    order = shop.records.create(ann, "order", {"title": "Rows", "lines": lines})
    table = shop.tables.entity("order")
    with shop.db.begin() as connection:
        connection.execute(table.update().values(status="closed"))
    sent_back = [{"item": "a", "qty": 2, "price": "5.00", "id": 1}]  # no subtotal: computed
    kept = shop.records.update(
        ann, "order", order.id, {"title": "Rows kept", "lines": sent_back}, version=1
    )
    assert kept["title"] == "Rows kept" and kept.version == 2
    with pytest.raises(ValidationFailed) as caught:
        shop.records.update(ann, "order", order.id, {"lines": [{**sent_back[0], "qty": 3}]},
                            version=2)  # fmt: skip
    assert list(caught.value.fields) == ["lines"]


def test_unknown_entities_and_fields(shop: Engine) -> None:
    ann = act(shop, "ann")
    with pytest.raises(NotFound, match="no entity 'invoice'"):
        shop.records.create(ann, "invoice", {})
    with pytest.raises(ValidationFailed) as caught:
        shop.records.create(ann, "order", {"title": "First", "colour": "red"})
    assert caught.value.fields == {"colour": ["'colour' is not a field of order."]}


def test_permissions_create_read_update_delete(shop: Engine) -> None:
    ann, cy, audrey = act(shop, "ann"), act(shop, "cy"), act(shop, "audrey")
    order = shop.records.create(ann, "order", {"title": "Ann's"})
    with pytest.raises(Forbidden):
        shop.records.create(audrey, "order", {"title": "Audit"})
    assert shop.records.get(audrey, "order", order.id)["title"] == "Ann's"
    with pytest.raises(Forbidden):
        shop.records.update(audrey, "order", order.id, {"title": "Audited"}, version=1)
    with pytest.raises(NotFound):
        shop.records.get(cy, "order", order.id)
    with pytest.raises(NotFound):
        shop.records.update(cy, "order", order.id, {"title": "Mine now"}, version=1)
    with pytest.raises(NotFound):
        shop.records.delete(cy, "order", order.id)
    with pytest.raises(NotFound):
        shop.records.get(ann, "order", 999)


def test_a_failure_at_insert_leaves_no_row_no_history_no_number(
    shop: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = act(shop, "ann")
    shop.records.create(ann, "order", {"title": "First", "code": "AB-123"})
    before = history_count(shop)
    # Skip the service's own check, as a concurrent writer would slip past it: the
    # database's unique index catches the duplicate at insert time.
    monkeypatch.setattr(preparation, "check_unique", lambda *args, **kwargs: None)
    with pytest.raises(ValidationFailed) as caught:
        shop.records.create(ann, "order", {"title": "Second", "code": "AB-123"})
    assert caught.value.fields == {"code": ["This value is already used by another Order."]}
    with shop.db.begin() as connection:
        titles = connection.scalars(sa.select(shop.tables.entity("order").c.title)).all()
        counter = connection.scalar(sa.select(shop.tables.system.sequences.c.value))
    assert titles == ["First"]
    assert history_count(shop) == before
    assert counter == 1
    third = shop.records.create(ann, "order", {"title": "Third", "code": "AB-124"})
    assert third["number"] == "SO-202603-002"


def test_the_system_actor_may_set_readonly_fields_but_not_the_state(shop: Engine) -> None:
    from engine.runtime.actor import Actor

    system = Actor.system(locale="en")
    order = shop.records.create(system, "order", {"title": "Auto", "owner": "ann"})
    assert order["owner"] == "ann"
    with pytest.raises(ValidationFailed) as caught:
        shop.records.create(system, "order", {"title": "Auto", "approved": True})
    assert list(caught.value.fields) == ["approved"]
