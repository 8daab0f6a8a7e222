"""Create and edit forms: errors under the fields with the input kept, stale edits,
pickers' values, percent and money input, subform rows, CSRF (engine/web/ui/editing.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from flask.testing import FlaskClient

from engine.runtime.engine import Engine

ClientFactory = Callable[[str], FlaskClient]


def _errors(html: str, field: str) -> list[str]:
    block = re.search(rf'<ul class="field-error" id="{field}-errors">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def test_create_with_a_bad_field_keeps_the_input_then_saves(
    client_for: ClientFactory, csrf: str, web_engine: Engine
) -> None:
    client = client_for("rep_east_1")
    typed = {"csrf_token": csrf, "name": "Acme Robotics", "level": "B", "email": "not-an-email"}
    refused = client.post("/e/customer/new", data=typed)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert _errors(html, "email") == ["Enter an e-mail address such as name@example.com."]
    assert 'value="not-an-email"' in html and 'value="Acme Robotics"' in html
    assert 'value="B" checked' in html  # the chosen level stays chosen
    saved = client.post("/e/customer/new", data={**typed, "email": "sales@acme.cn"})
    assert saved.status_code == 302
    record_id = int(saved.headers["Location"].rsplit("/", 1)[1])
    record = web_engine.records.get(web_engine.actor("rep_east_1"), "customer", record_id)
    assert record.values["email"] == "sales@acme.cn"
    assert record.values["owner"] == "rep_east_1"  # blank on create: the default applied


def test_a_missing_required_field_is_reported_under_it(
    client_for: ClientFactory, csrf: str
) -> None:
    response = client_for("rep_east_1").post("/e/customer/new", data={"csrf_token": csrf})
    assert response.status_code == 422
    assert _errors(response.get_data(as_text=True), "name") != []


def test_create_without_the_csrf_token_is_refused(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    response = client_for("rep_east_1").post("/e/customer/new", data={"name": "Sneaky"})
    assert response.status_code == 400
    actor = web_engine.actor("rep_east_1")
    assert web_engine.records.list(actor, "customer").records == ()


def test_a_deal_links_to_a_customer_with_percent_and_money(
    client_for: ClientFactory, csrf: str, web_engine: Engine
) -> None:
    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme"})
    data = {
        "csrf_token": csrf, "name": "MES phase 2", "customer": str(customer.id),
        "amount": "120000.50", "probability": "30", "expected_close": "2026-04-30",
    }  # fmt: skip
    response = client_for("rep_east_1").post("/e/deal/new", data=data)
    assert response.status_code == 302
    deal = web_engine.records.list(actor, "deal").records[0]
    assert deal.values["customer"] == customer.id
    assert deal.values["amount"] == Decimal("120000.50")
    assert deal.values["probability"] == Decimal("0.3")


def test_the_create_form_shows_the_spec_sections_and_widgets(client_for: ClientFactory) -> None:
    html = client_for("rep_east_1").get("/e/deal/new").get_data(as_text=True)
    assert "<legend>Basics</legend>" in html and "<legend>Value and forecast</legend>" in html
    assert 'data-lookup="/lookup/deal/customer"' in html  # searchable link picker
    assert 'id="expected_close" name="expected_close" type="date" value=""' in html
    assert 'inputmode="decimal"' in html
    # The lost-reason section shows only when stage == 'lost' (evaluated in the browser).
    assert """data-visible-if='["cmp", "==", ["field", "stage"], ["lit", "lost"]]'""" in html


def test_subform_rows_are_saved(client_for: ClientFactory, csrf: str, web_engine: Engine) -> None:
    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme"})
    data = {
        "csrf_token": csrf, "title": "MES licence", "customer": str(customer.id),
        "amount": "3000", "lines-0-product": "Licence", "lines-0-quantity": "2",
        "lines-0-unit_price": "1000", "lines-3-product": "Training", "lines-3-quantity": "1",
        "lines-3-unit_price": "1000", "lines-5-product": "",
    }  # fmt: skip
    response = client_for("rep_east_1").post("/e/contract/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    contract = web_engine.records.list(actor, "contract").records[0]
    lines = contract.values["lines"]
    assert [(row["product"], row["quantity"]) for row in lines] == [("Licence", 2), ("Training", 1)]
    assert contract.values["lines_total"] == Decimal("3000")


def test_a_stale_edit_is_refused_and_the_input_kept(
    client_for: ClientFactory, csrf: str, web_engine: Engine
) -> None:
    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme", "level": "C"})
    v = customer.version  # 2: rules/customer_team_default.yaml set its team
    client = client_for("rep_east_1")
    form = client.get(f"/e/customer/{customer.id}/edit").get_data(as_text=True)
    assert f'name="_version" value="{v}"' in form
    web_engine.records.update(actor, "customer", customer.id, {"level": "A"}, version=v)
    data = {
        "csrf_token": csrf,
        "_version": str(v),
        "name": "Acme Mine",
        "level": "B",
        "owner": "rep_east_1",
    }
    response = client.post(f"/e/customer/{customer.id}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this record" in html
    assert f'href="/e/customer/{customer.id}/edit"' in html  # reload
    assert 'value="Acme Mine"' in html
    stored = web_engine.records.get(actor, "customer", customer.id)
    assert (stored.values["name"], stored.values["level"], stored.version) == ("Acme", "A", v + 1)


def test_an_edit_saves_with_the_version(
    client_for: ClientFactory, csrf: str, web_engine: Engine
) -> None:
    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme", "notes": "old"})
    data = {
        "csrf_token": csrf,
        "_version": str(customer.version),
        "name": "Acme",
        "level": "C",
        "owner": "rep_east_1",
    }
    response = client_for("rep_east_1").post(f"/e/customer/{customer.id}/edit", data=data)
    assert response.status_code == 302
    stored = web_engine.records.get(actor, "customer", customer.id)
    assert stored.version == customer.version + 1
    assert stored.values["notes"] is None  # a blank field clears


def test_fields_the_user_may_only_read_are_not_inputs(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    actor = web_engine.actor("rep_east_1")
    deal_customer = web_engine.records.create(actor, "customer", {"name": "Acme"})
    deal = web_engine.records.create(
        actor, "deal", {"name": "D", "customer": deal_customer.id, "amount": "10"}
    )
    html = client_for("rep_east_1").get(f"/e/deal/{deal.id}/edit").get_data(as_text=True)
    assert 'name="close_date"' not in html  # readonly in the spec
    assert '<div class="readonly" id="weighted">¥0.50</div>' in html  # a formula, shown


def test_finance_may_not_create_customers(client_for: ClientFactory, csrf: str) -> None:
    client = client_for("finance")
    assert client.get("/e/customer/new").status_code == 403
    assert client.post("/e/customer/new", data={"csrf_token": csrf, "name": "X"}).status_code == 403


def test_attachments_are_uploaded_and_linked(
    client_for: ClientFactory, csrf: str, web_engine: Engine
) -> None:
    import io

    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme"})
    client = client_for("rep_east_1")
    data = {
        "csrf_token": csrf, "title": "Signed", "customer": str(customer.id), "amount": "1",
        "file": (io.BytesIO(b"%PDF-1.4 signed"), "signed.pdf", "application/pdf"),
    }  # fmt: skip
    response = client.post("/e/contract/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'<a href="(/files/\d+)">signed.pdf</a>', page)
    assert link is not None
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.data == b"%PDF-1.4 signed"
    assert client_for("rep_west_1").get(link.group(1)).status_code == 404


def test_a_wrong_attachment_type_is_reported_under_the_field(
    client_for: ClientFactory, csrf: str, web_engine: Engine
) -> None:
    import io

    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme"})
    data = {
        "csrf_token": csrf, "title": "Signed", "customer": str(customer.id), "amount": "1",
        "file": (io.BytesIO(b"MZ"), "virus.exe", "application/octet-stream"),
    }  # fmt: skip
    response = client_for("rep_east_1").post(
        "/e/contract/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert ".pdf" in " ".join(_errors(response.get_data(as_text=True), "file"))
