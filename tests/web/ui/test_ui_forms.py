"""Generated form classes and value conversions (engine/web/ui/forms.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict
from wtforms.fields import FieldList, SelectField, StringField

from engine.spec.model import AppSpec
from engine.web.ui.forms import build_form_classes, form_data, initial_data

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_class_per_entity_form(web_template: Any) -> None:
    app: AppSpec = web_template.app
    forms = build_form_classes(app.entities)
    assert ("customer", "default") in forms and ("customer", "quick_create") in forms
    quick = forms[("customer", "quick_create")]
    assert quick.modes == ("create",)
    fields = quick.form_class()._fields
    assert list(fields) == ["name", "level", "phone", "source"]
    assert isinstance(fields["level"], SelectField) and isinstance(fields["name"], StringField)
    contract = forms[("contract", "default")].form_class()._fields
    assert "number" not in contract  # a sequence is computed, never typed
    assert isinstance(contract["lines"], FieldList)


def test_initial_data_is_what_the_inputs_show(web_template: Any) -> None:
    deal = web_template.app.entities["deal"]
    values = {
        "amount": Decimal("1234.50"), "probability": Decimal("0.3"), "customer": 7,
        "expected_close": date(2026, 4, 30), "weighted": Decimal("1"),
    }  # fmt: skip
    data = initial_data(deal, values, SHANGHAI)
    assert data == {
        "amount": "1234.50", "probability": "30%", "customer": "7", "expected_close": "2026-04-30",
    }  # fmt: skip
    follow_up = web_template.app.entities["follow_up"]
    moment = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    happened = next(n for n, f in follow_up.fields.items() if f.type == "datetime")
    assert initial_data(follow_up, {happened: moment}, SHANGHAI)[happened] == "2026-03-02T09:30"


def test_form_data_sends_text_the_service_parses(web_template: Any) -> None:
    deal = web_template.app.entities["deal"]
    layout = build_form_classes(web_template.app.entities)[("deal", "default")]
    posted = MultiDict({"name": " MES ", "amount": "10", "probability": "30", "competitor": ""})
    form = layout.form_class(posted)
    editable = {"name", "amount", "probability", "competitor"}
    created = form_data(deal, form, editable, creating=True, kept_files={}, uploaded={})
    assert created == {"name": "MES", "amount": "10", "probability": "30%"}
    edited = form_data(deal, form, editable, creating=False, kept_files={}, uploaded={})
    assert edited["competitor"] is None  # blank on edit clears
    assert "customer" not in edited  # not editable: never sent


def test_a_new_form_shows_the_defaults(web_template: Any) -> None:
    from engine.web.ui.forms import create_defaults

    deal = web_template.app.entities["deal"]
    assert create_defaults(deal, "rep_east_1", SHANGHAI) == {
        "owner": "rep_east_1", "probability": "5%",
    }  # fmt: skip
    customer = web_template.app.entities["customer"]
    assert create_defaults(customer, "ann", SHANGHAI) == {"level": "C", "owner": "ann"}
