"""List pages: what the user may see, views, the filter box, sorting and keyset pages
(engine/web/ui/listing.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from engine.runtime.engine import Engine

ClientFactory = Callable[[str], FlaskClient]


def _customer(engine: Engine, owner: str, name: str, level: str = "C") -> int:
    return engine.records.create(engine.actor(owner), "customer", {"name": name, "level": level}).id


def _names(html: str) -> list[str]:
    return re.findall(
        r'<td data-label="[^"]*" class="primary">\s*<a href="[^"]+">([^<]+)</a>', html
    )


def test_a_rep_sees_only_their_own_customers(web_engine: Engine, client_for: ClientFactory) -> None:
    _customer(web_engine, "rep_east_1", "East One Ltd")
    _customer(web_engine, "rep_east_2", "East Two Ltd")
    _customer(web_engine, "rep_west_1", "West One Ltd")
    rep = client_for("rep_east_1").get("/e/customer").get_data(as_text=True)
    manager = client_for("manager_east").get("/e/customer").get_data(as_text=True)
    assert _names(rep) == ["East One Ltd"]
    assert sorted(_names(manager)) == ["East One Ltd", "East Two Ltd"]


def test_the_filter_box_uses_the_expression_language(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    _customer(web_engine, "rep_east_1", "Alpha", "A")
    _customer(web_engine, "rep_east_1", "Beta", "B")
    html = client_for("rep_east_1").get("/e/customer?filter=level == 'A'").get_data(as_text=True)
    assert _names(html) == ["Alpha"]
    assert 'value="level == &#39;A&#39;"' in html


def test_a_broken_filter_is_explained_inline(client_for: ClientFactory) -> None:
    response = client_for("rep_east_1").get("/e/customer?filter=levl == 'A'")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="filter-error"' in html
    assert "X103 at 1:1" in html and "did you mean" in html


def test_column_headers_sort(web_engine: Engine, client_for: ClientFactory) -> None:
    for name in ("Bravo", "Alpha", "Charlie"):
        _customer(web_engine, "rep_east_1", name)
    client = client_for("rep_east_1")
    ascending = client.get("/e/customer?view=mine&sort=name").get_data(as_text=True)
    descending = client.get("/e/customer?view=mine&sort=-name").get_data(as_text=True)
    assert _names(ascending) == ["Alpha", "Bravo", "Charlie"]
    assert _names(descending) == ["Charlie", "Bravo", "Alpha"]
    assert 'aria-sort="ascending"' in ascending
    assert 'href="/e/customer?view=mine&amp;sort=-name"' in ascending  # click again: reverse


def test_view_switcher_applies_the_views_filter(
    web_engine: Engine, client_for: ClientFactory
) -> None:
    _customer(web_engine, "manager_east", "Managers Own")
    _customer(web_engine, "rep_east_1", "Reps Own")
    client = client_for("manager_east")
    everything = client.get("/e/customer?view=all").get_data(as_text=True)
    mine = client.get("/e/customer?view=mine").get_data(as_text=True)
    assert sorted(_names(everything)) == ["Managers Own", "Reps Own"]
    assert _names(mine) == ["Managers Own"]
    assert 'aria-current="page">My customers</a>' in mine


def test_keyset_pages_go_forward_and_back(web_engine: Engine, client_for: ClientFactory) -> None:
    for number in range(52):
        _customer(web_engine, "rep_east_1", f"Customer {number:02d}")
    client = client_for("rep_east_1")
    first = client.get("/e/customer?view=all&sort=name").get_data(as_text=True)
    assert len(_names(first)) == 50 and _names(first)[0] == "Customer 00"
    next_url = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_url is not None and 'rel="prev"' not in first
    second = client.get(next_url.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _names(second) == ["Customer 50", "Customer 51"]
    assert 'rel="next"' not in second
    previous = re.search(r'rel="prev" href="([^"]+)"', second)
    assert previous is not None
    back = client.get(previous.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _names(back) == _names(first)


def test_home_lists_only_entities_the_user_may_read(client_for: ClientFactory) -> None:
    finance = client_for("finance").get("/").get_data(as_text=True)
    assert "/e/contract" in finance and "/e/customer" in finance
    assert "/e/customer/new" not in finance  # finance reads customers, it does not create them


def test_a_list_the_user_may_not_read_is_not_found(client_for: ClientFactory) -> None:
    assert client_for("rep_east_1").get("/e/no_such_entity").status_code == 404


ENTITIES = ["customer", "contact", "follow_up", "deal", "contract", "target", "bonus"]


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_entity_has_a_list_and_a_create_form(client: FlaskClient, entity: str) -> None:
    for view in ("", "?view=" + "all"):
        response = client.get(f"/e/{entity}{view}")
        assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    form = client.get(f"/e/{entity}/new")
    assert form.status_code == 200
    assert 'class="recordform"' in form.get_data(as_text=True)


def test_every_view_of_every_entity_renders(client: FlaskClient, web_engine: Engine) -> None:
    rendered = []
    for entity in web_engine.app.entities.values():
        for view in entity.views:
            response = client.get(f"/e/{entity.name}?view={view}")
            assert response.status_code == 200, (entity.name, view)
            assert 'id="filter-error"' not in response.get_data(as_text=True), (entity.name, view)
            rendered.append(f"{entity.name}.{view}")
    assert "deal.pipeline" in rendered and "customer.follow_up_calendar" in rendered
