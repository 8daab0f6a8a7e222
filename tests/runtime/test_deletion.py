"""Soft delete and restore: deleted records are NotFound, restorable by whoever may delete
them, and inbound links are honoured — restrict blocks, set_null empties, cascade deletes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from runtime_support import act

from engine.errors import Conflict, DeleteRestricted, Forbidden, NotFound, ValidationFailed
from engine.runtime.engine import Engine


def test_deleted_records_disappear_and_come_back(shop: Engine) -> None:
    ann = act(shop, "ann")
    order = shop.records.create(ann, "order", {"title": "Gone", "code": "AB-100"})
    shop.records.delete(ann, "order", order.id, version=1, comment="mistake")
    with pytest.raises(NotFound):
        shop.records.get(ann, "order", order.id)
    with pytest.raises(NotFound):
        shop.records.update(ann, "order", order.id, {"title": "Back"}, version=2)
    with pytest.raises(NotFound):
        shop.records.delete(ann, "order", order.id)
    assert shop.records.list(ann, "order").records == ()
    with shop.db.begin() as connection:
        table = shop.tables.entity("order")
        row = connection.execute(sa.select(table.c.deleted_at, table.c.title)).one()
    assert row.deleted_at == shop.clock.now() and row.title == "Gone"
    restored = shop.records.restore(ann, "order", order.id, comment="oops")
    assert restored.version == 3 and restored["title"] == "Gone" and restored.deleted_at is None
    kinds = [(e.kind, e.comment) for e in shop.records.history(ann, "order", order.id)]
    assert kinds == [("created", None), ("deleted", "mistake"), ("restored", "oops")]


def test_delete_checks_the_version_and_the_scope(shop: Engine) -> None:
    ann, audrey = act(shop, "ann"), act(shop, "audrey")
    order = shop.records.create(ann, "order", {"title": "Keep"})
    with pytest.raises(Conflict) as caught:
        shop.records.delete(ann, "order", order.id, version=5)
    assert caught.value.current_version == 1
    with pytest.raises(Forbidden):
        shop.records.delete(audrey, "order", order.id)
    shop.records.delete(ann, "order", order.id)
    with pytest.raises(Forbidden):
        shop.records.restore(audrey, "order", order.id)
    with pytest.raises(NotFound):
        shop.records.restore(act(shop, "cy"), "order", order.id)
    with pytest.raises(NotFound):
        shop.records.restore(ann, "order", 999)


def test_a_unique_value_taken_while_deleted_blocks_the_restore(shop: Engine) -> None:
    ann = act(shop, "ann")
    first = shop.records.create(ann, "order", {"title": "First", "code": "AB-100"})
    shop.records.delete(ann, "order", first.id)
    second = shop.records.create(ann, "order", {"title": "Second", "code": "AB-100"})
    assert second["code"] == "AB-100"
    with pytest.raises(ValidationFailed) as caught:
        shop.records.restore(ann, "order", first.id)
    assert caught.value.fields == {"code": ["This value is already used by another Order."]}


def test_restrict_blocks_while_live_records_link(shop: Engine) -> None:
    cy = act(shop, "cy")
    supplier = shop.records.create(cy, "supplier", {"name": "Acme"})
    order = shop.records.create(cy, "order", {"title": "Linked", "supplier": supplier.id})
    with pytest.raises(DeleteRestricted) as caught:
        shop.records.delete(cy, "supplier", supplier.id)
    assert caught.value.blockers == {"order.supplier": 1}
    assert caught.value.current_version == 1
    assert (
        str(caught.value)
        == "This Supplier cannot be deleted: 1 × Order (supplier) still link to it."
    )
    assert shop.records.get(cy, "supplier", supplier.id).version == 1
    shop.records.delete(cy, "order", order.id)
    shop.records.delete(cy, "supplier", supplier.id)
    with pytest.raises(NotFound):
        shop.records.get(cy, "supplier", supplier.id)


def test_set_null_empties_links_and_cascade_deletes_linking_records(shop: Engine) -> None:
    cy = act(shop, "cy")
    supplier = shop.records.create(cy, "supplier", {"name": "Acme"})
    order = shop.records.create(cy, "order", {"title": "Linked", "backup": supplier.id})
    note = shop.records.create(cy, "note", {"order": order.id, "body": "call back"})
    shop.records.delete(cy, "supplier", supplier.id)
    after = shop.records.get(cy, "order", order.id)
    assert after["backup"] is None and after.version == 2
    last = shop.records.history(cy, "order", order.id)[-1]
    assert (last.kind, last.changes, last.comment) == (
        "updated",
        {"backup": [supplier.id, None]},
        f"supplier #{supplier.id} was deleted",
    )
    shop.records.delete(cy, "order", order.id)
    with pytest.raises(NotFound):
        shop.records.get(cy, "note", note.id)
    cascaded = shop.records.history(act(shop, "root"), "note", note.id)[-1]
    assert (cascaded.kind, cascaded.comment) == ("deleted", f"deleted with order #{order.id}")
