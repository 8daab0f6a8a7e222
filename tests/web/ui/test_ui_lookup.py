"""The pickers' JSON endpoint (engine/web/ui/lookup.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from engine.runtime.engine import Engine
from engine.web.ui.lookup import roles_covering

ClientFactory = Callable[[str], FlaskClient]


def test_roles_covering_follows_inheritance(web_template: Any) -> None:
    covering = roles_covering(web_template.app, {"sales_rep"})
    assert covering == {"sales_rep", "sales_manager", "sales_director"}
    assert roles_covering(web_template.app, {"finance"}) == {"finance"}


def test_link_lookup_returns_only_records_the_user_may_see(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    east = web_engine.records.create(
        web_engine.actor("rep_east_1"), "customer", {"name": "Acme East"}
    )
    web_engine.records.create(web_engine.actor("rep_west_1"), "customer", {"name": "Acme West"})
    found = client_for("rep_east_1").get("/lookup/deal/customer?q=Acme").get_json()
    assert found == [{"value": str(east.id), "label": "Acme East"}]


def test_user_lookup_matches_names_of_people_with_the_role(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    web_engine.people.deactivate("rep_east_2")
    found = client_for("rep_east_1").get("/lookup/customer/owner?q=east").get_json()
    assert [m["value"] for m in found] == ["manager_east", "rep_east_1"]
    assert found[1]["label"] == "Rep East 1 (rep_east_1)"


def test_lookup_of_a_field_that_is_no_picker_is_not_found(client_for: ClientFactory) -> None:
    assert client_for("rep_east_1").get("/lookup/customer/name?q=a").status_code == 404
