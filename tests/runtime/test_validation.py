"""Validation through the service: per-field messages in English and Chinese, required and
required_if, visible_if (hidden values dropped, not checked), bounds, lengths, patterns,
options, shapes, field and record validations, subform rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from runtime_support import EngineFactory, act
from shop_app import FILES

from engine.errors import ValidationFailed
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine


def problems(shop: Engine, username: str, values: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        shop.records.create(act(shop, username), "order", values)
    return caught.value.fields


def test_every_problem_is_reported_at_once_in_english(shop: Engine) -> None:
    found = problems(
        shop,
        "ann",
        {
            "title": "ab",
            "code": "abc",
            "email": "not-an-address",
            "site": "ftp://x",
            "phone": "call me",
            "quantity": 0,
            "ratio": "1.5",
            "weight": "1.2345",
            "tags": ["red", "pink", "blue"],
            "kind": "special",
            "due": "2026-03-01",
        },
    )
    assert found == {
        "weight": ["Use at most 3 decimal places."],
        "title": ["Enter at least 3 characters."],
        "code": ["Write two capitals, a dash and three digits"],
        "email": ["Enter an e-mail address such as name@example.com."],
        "site": ["Enter a web address starting with http:// or https://."],
        "phone": ["Enter a phone number: digits, spaces and dashes, optionally starting with +."],
        "kind": ["'special' is not one of the options (retail, wholesale)."],
        "tags": ["'pink' is not one of the options (red, green, blue).", "Choose at most 2."],
        "quantity": ["Must be at least 1."],
        "ratio": ["Must be at most 1."],
        "due": ["Must be at least 2026-03-02."],
    }


def test_messages_follow_the_actor_s_language(shop: Engine) -> None:
    found = problems(shop, "bob", {"title": None, "code": "abc", "quantity": "many"})
    assert found == {
        "quantity": ["请输入整数，例如 12。"],
        "title": ["此项为必填项。"],
        "code": ["格式为两个大写字母、短横线和三位数字"],
    }


def test_required_if_and_visible_if(shop: Engine) -> None:
    ann = act(shop, "ann")
    assert problems(shop, "ann", {"title": "Bulk", "kind": "wholesale"}) == {
        "reason": ["This field is required."]
    }
    bulk_values = {"title": "Bulk", "kind": "wholesale", "reason": "x", "discount": "0.5"}
    assert problems(shop, "ann", bulk_values) == {"discount": ["At most 30 % off"]}
    retail = shop.records.create(ann, "order", {"title": "Shop", "discount": "0.5"})
    assert retail["discount"] is None  # hidden: dropped, and not validated
    bulk = shop.records.create(
        ann, "order", {"title": "Bulk", "kind": "wholesale", "reason": "x", "discount": "0.2"}
    )
    assert str(bulk["discount"]) == "0.200000"
    back = shop.records.update(ann, "order", bulk.id, {"kind": "retail"}, version=1)
    assert back["discount"] is None and back["reason"] == "x"
    history = shop.records.history(ann, "order", bulk.id)
    assert history[-1].changes == {"kind": ["wholesale", "retail"], "discount": [0.2, None]}


def test_record_validations_show_on_their_fields(shop: Engine) -> None:
    lead = act(shop, "lead_ann")
    with pytest.raises(ValidationFailed) as caught:
        shop.records.create(
            lead,
            "order",
            {"title": "Sum", "amount": "10", "lines": [{"item": "a", "price": "3"}]},
        )
    assert caught.value.fields == {"lines": ["The lines do not add up to the amount"]}
    with pytest.raises(ValidationFailed) as unpaid:
        shop.records.create(lead, "order", {"title": "Paid", "paid": True})
    assert unpaid.value.fields == {"__all__": ["A paid order needs an amount"]}


def test_a_record_rule_is_skipped_when_a_field_it_reads_is_already_wrong(shop: Engine) -> None:
    found = problems(shop, "lead_ann", {"title": "Paid", "paid": True, "amount": "x"})
    assert list(found) == ["amount"]


def test_subform_rows_are_validated_row_by_row(shop: Engine) -> None:
    found = problems(
        shop,
        "ann",
        {
            "title": "Rows",
            "lines": [
                {"item": "ok", "qty": 2, "price": "1.00"},
                {"item": "", "qty": 0, "price": "x"},
                {"qty": 1, "price": "1", "colour": "red"},
            ],
        },
    )
    assert found == {
        "lines.1.price": ["Enter an amount in CNY with at most 2 decimal places, e.g. 1234.50."],
        "lines.2.colour": ["'colour' is not a field of order.lines."],
        "lines.1.item": ["This field is required."],
        "lines.1.qty": ["Must be at least 1."],
        "lines.2.item": ["This field is required."],
    }
    too_many = [{"item": str(i), "price": "1"} for i in range(4)]
    assert problems(shop, "ann", {"title": "Rows", "lines": too_many}) == {
        "lines": ["Add at most 3 row(s)."]
    }
    assert problems(shop, "ann", {"title": "Rows", "lines": "two"}) == {
        "lines": ["Send a list of rows, each an object of field values."]
    }


def test_date_bounds_from_expressions_follow_the_clock(shop: Engine, clock: FixedClock) -> None:
    ann = act(shop, "ann")
    order = shop.records.create(ann, "order", {"title": "Due", "due": "2026-03-02"})
    assert str(order["due"]) == "2026-03-02"
    clock.advance(timedelta(days=1))
    assert problems(shop, "ann", {"title": "Due", "due": "2026-03-02"}) == {
        "due": ["Must be at least 2026-03-03."]
    }


def test_references_must_exist_and_be_visible(shop: Engine) -> None:
    ann, cy = act(shop, "ann"), act(shop, "cy")
    mine = shop.records.create(ann, "order", {"title": "Mine"})
    supplier = shop.records.create(cy, "supplier", {"name": "Acme"})
    note = {"body": "hello", "order": mine.id}
    assert shop.records.create(ann, "note", note)["order"] == mine.id
    with pytest.raises(ValidationFailed) as hidden:
        shop.records.create(cy, "note", note)  # cy cannot read ann's order
    assert hidden.value.fields == {"order": [f"There is no Order with id {mine.id}."]}
    found = problems(shop, "ann", {"title": "Refs", "owner": "ghost", "team": 99, "supplier": 42})
    assert found == {
        "owner": ["There is no active user 'ghost'."],
        "team": ["There is no team with id 99."],
        "supplier": ["There is no Supplier with id 42."],
    }
    linked = shop.records.create(ann, "order", {"title": "Refs", "supplier": supplier.id})
    assert linked["supplier"] == supplier.id


def test_files_in_subform_rows_are_refused_not_lost(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> None:
    files = dict(FILES)
    files["entities/note.yaml"] = FILES["entities/note.yaml"].replace(
        "  body: {type: text, required: true}\n",
        "  body: {type: text, required: true}\n"
        "  pages:\n    type: subform\n    fields:\n"
        "      caption: {type: text}\n      scan: {type: attachment}\n",
    )
    engine = make_engine(write_app_folder(files), database_url)
    engine.people.create_user("ann", locale="en")
    engine.people.grant_role("shop", "ann", "clerk")
    with pytest.raises(ValidationFailed) as caught:
        engine.records.create(
            engine.actor("ann"), "note", {"body": "b", "pages": [{"caption": "c", "scan": [1]}]}
        )
    assert caught.value.fields == {
        "pages.0.scan": ["Files cannot be attached in table rows yet: attach them to the record."]
    }
    kept = engine.records.create(
        engine.actor("ann"), "note", {"body": "b", "pages": [{"caption": "c"}]}
    )
    assert kept["pages"] == [{"caption": "c"}]
