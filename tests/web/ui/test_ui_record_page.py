"""Record pages: sections, history timeline, delete and restore, what a reader may not see
(engine/web/ui/record_page.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine

ClientFactory = Callable[[str], FlaskClient]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_history_shows_who_when_and_old_to_new(
    client_for: ClientFactory, web_engine: Engine, web_clock: FixedClock
) -> None:
    from datetime import timedelta

    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme", "level": "C"})
    web_clock.advance(timedelta(hours=2))
    manager = web_engine.actor("manager_east")
    web_engine.records.update(
        manager, "customer", customer.id, {"level": "A"}, version=customer.version
    )
    html = client_for("rep_east_1").get(f"/e/customer/{customer.id}").get_data(as_text=True)
    history = _text(html[html.index('id="history-title"') :])
    # the rule that gave the customer its owner's team is named, with whose change fired it
    assert (
        "Changed · by automation customer_team_default · for Rep East 1 · 2026-03-02 09:00 "
        "Team : — → East" in history
    )
    assert (
        "Changed · Manager East · 2026-03-02 11:00 Level : C · Regular → A · Strategic" in history
    )
    assert "Created · Rep East 1 · 2026-03-02 09:00" in history
    assert history.index("Changed") < history.index("Created")  # newest first


def test_the_record_page_shows_sections_and_linked_titles(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme"})
    deal = web_engine.records.create(
        actor, "deal", {"name": "MES", "customer": customer.id, "amount": "1234.5"}
    )
    html = client_for("rep_east_1").get(f"/e/deal/{deal.id}").get_data(as_text=True)
    assert "<h2>Basics</h2>" in html
    assert f'<a href="/e/customer/{customer.id}">Acme</a>' in html
    assert "¥1,234.50" in html
    assert "<h2>Why we lost</h2>" in html  # its visibility is decided in the browser
    assert '<span class="badge badge-gray">Lead</span>' in html


def test_fields_hidden_from_a_role_are_not_shown(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    actor = web_engine.actor("rep_east_1")
    customer = web_engine.records.create(actor, "customer", {"name": "Acme", "notes": "secret"})
    html = client_for("finance").get(f"/e/customer/{customer.id}").get_data(as_text=True)
    assert "Acme" in html and "secret" not in html and "<dt>Notes</dt>" not in html


def test_others_records_do_not_exist_for_a_rep(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    customer = web_engine.records.create(web_engine.actor("rep_west_1"), "customer", {"name": "W"})
    client = client_for("rep_east_1")
    assert client.get(f"/e/customer/{customer.id}").status_code == 404
    assert client.get(f"/e/customer/{customer.id}/edit").status_code == 404


def test_delete_then_restore(client_for: ClientFactory, csrf: str, web_engine: Engine) -> None:
    customer = web_engine.records.create(
        web_engine.actor("manager_east"), "customer", {"name": "Acme"}
    )
    client = client_for("manager_east")
    page = client.get(f"/e/customer/{customer.id}").get_data(as_text=True)
    assert 'data-confirm="Delete this record? It can be restored from its page."' in page
    deleted = client.post(
        f"/e/customer/{customer.id}/delete",
        data={"csrf_token": csrf, "_version": str(customer.version)},
    )
    assert deleted.status_code == 302
    page = client.get(f"/e/customer/{customer.id}").get_data(as_text=True)
    assert "This record was deleted." in page and "/restore" in page
    assert "Acme" not in client.get("/e/customer").get_data(as_text=True)
    restored = client.post(f"/e/customer/{customer.id}/restore", data={"csrf_token": csrf})
    assert restored.status_code == 302
    assert "Acme" in client.get("/e/customer").get_data(as_text=True)
    history = _text(client.get(f"/e/customer/{customer.id}").get_data(as_text=True))
    assert "Restored" in history and "Deleted" in history


def test_a_rep_may_not_delete(client_for: ClientFactory, csrf: str, web_engine: Engine) -> None:
    customer = web_engine.records.create(web_engine.actor("rep_east_1"), "customer", {"name": "A"})
    client = client_for("rep_east_1")
    assert "/delete" not in client.get(f"/e/customer/{customer.id}").get_data(as_text=True)
    response = client.post(f"/e/customer/{customer.id}/delete", data={"csrf_token": csrf})
    assert response.status_code == 403
