"""The link picker's search: the link's `filter` applied with `this.` as the values in the
form (or the stored record's, when editing), and titles matched in any letter case
(engine/web/ui/lookup.py, engine/runtime/link_choices.py)."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from engine.runtime.engine import Engine
from engine.runtime.link_choices import search_link_targets

ClientFactory = Callable[[str], FlaskClient]


def _customer(engine: Engine, name: str, owner: str = "rep_east_1") -> int:
    return engine.records.create(engine.actor(owner), "customer", {"name": name}).id


def _deal(engine: Engine, name: str, customer: int, owner: str = "rep_east_1") -> int:
    values = {"name": name, "customer": customer, "amount": "100"}
    return engine.records.create(engine.actor(owner), "deal", values).id


def _labels(client: FlaskClient, url: str) -> list[str]:
    return [match["label"] for match in client.get(url).get_json()]


def test_search_ignores_letter_case(web_engine: Engine, client_for: ClientFactory) -> None:
    _customer(web_engine, "ACME Tech")
    _customer(web_engine, "acme trading")
    _customer(web_engine, "Other")
    client = client_for("rep_east_1")
    assert _labels(client, "/lookup/deal/customer?q=Acme") == ["ACME Tech", "acme trading"]
    assert _labels(client, "/lookup/deal/customer?q=TECH") == ["ACME Tech"]


def test_search_wildcards_match_themselves(web_engine: Engine, client_for: ClientFactory) -> None:
    _customer(web_engine, "100% Steel")
    _customer(web_engine, "1000 Steel")
    client = client_for("rep_east_1")
    assert _labels(client, "/lookup/deal/customer?q=100%25") == ["100% Steel"]
    assert _labels(client, "/lookup/deal/customer?q=_") == []


def test_the_link_filter_uses_the_forms_values_as_this(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    acme, other = _customer(web_engine, "Acme"), _customer(web_engine, "Other")
    _deal(web_engine, "Acme ERP", acme)
    _deal(web_engine, "Acme CRM", acme)
    _deal(web_engine, "Other ERP", other)
    client = client_for("rep_east_1")
    base = "/lookup/contract/deal?q="
    assert _labels(client, f"{base}&this.customer={acme}") == ["Acme CRM", "Acme ERP"]
    assert _labels(client, f"{base}erp&this.customer={other}") == ["Other ERP"]
    assert _labels(client, f"{base}erp&this.customer={acme}") == ["Acme ERP"]
    # no customer chosen yet: `customer == this.customer` holds for no deal
    assert _labels(client, base) == []
    assert _labels(client, f"{base}&this.customer=not-a-number") == []


def test_when_editing_this_is_the_stored_record_unless_the_form_changed_it(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    acme, other = _customer(web_engine, "Acme"), _customer(web_engine, "Other")
    _deal(web_engine, "Acme ERP", acme)
    _deal(web_engine, "Other ERP", other)
    actor = web_engine.actor("rep_east_1")
    values = {"title": "Support", "customer": acme, "owner": "rep_east_1", "amount": "100"}
    contract = web_engine.records.create(actor, "contract", values).id
    client = client_for("rep_east_1")
    url = f"/lookup/contract/deal?q=&record={contract}"
    assert _labels(client, url) == ["Acme ERP"]
    assert _labels(client, f"{url}&this.customer={other}") == ["Other ERP"]
    # a record the reader may not see is not found, never used
    assert client_for("rep_west_1").get(url).status_code == 404


def test_the_filter_never_widens_what_the_reader_may_see(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    shared = _customer(web_engine, "Shared", owner="manager_east")
    _deal(web_engine, "Managers deal", shared, owner="manager_east")
    url = f"/lookup/contract/deal?q=&this.customer={shared}"
    assert _labels(client_for("manager_east"), url) == ["Managers deal"]
    assert _labels(client_for("rep_east_1"), url) == []


def test_the_edit_form_tells_the_picker_which_fields_the_filter_reads(
    client_for: ClientFactory,
) -> None:
    page = client_for("rep_east_1").get("/e/contract/new").get_data(as_text=True)
    assert 'data-lookup="/lookup/contract/deal" data-this="customer"' in page


def test_search_link_targets_is_the_service_level_search(web_engine: Engine) -> None:
    acme = _customer(web_engine, "Acme")
    _deal(web_engine, "Acme ERP", acme)
    field = web_engine.app.entities["contract"].fields["deal"]
    actor = web_engine.actor("rep_east_1")
    found = search_link_targets(
        web_engine.records, actor, "contract", field, "erp", {"customer": acme}, limit=5
    )
    assert [r.values["name"] for r in found] == ["Acme ERP"]
    assert (
        search_link_targets(
            web_engine.records, actor, "contract", field, "erp", {"customer": None}, limit=5
        )
        == []
    )
