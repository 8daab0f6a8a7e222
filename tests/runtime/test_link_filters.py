"""The record service holds a link to its `filter`, with the same clause its picker uses:
a contract's deal must be a deal of the contract's customer that is not lost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from runtime_support import SALES_APP, EngineFactory
from workflow_support import add_sales_people

from engine.errors import ValidationFailed
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.runtime.link_choices import search_link_targets
from engine.runtime.preparation import WriteOptions
from engine.runtime.workflow_service import ActionRequest


@pytest.fixture
def sales(make_engine: EngineFactory, database_url: str) -> Engine:
    engine = make_engine(SALES_APP, database_url)
    add_sales_people(engine)
    return engine


def test_a_link_must_pass_its_filter_on_every_write(sales: Engine) -> None:
    rep = sales.actor("rep_east_1")
    records = sales.records
    acme = records.create(rep, "customer", {"name": "ACME"})
    other = records.create(rep, "customer", {"name": "Other"})
    deal = records.create(rep, "deal", {"name": "MES", "customer": acme.id, "amount": 10})
    foreign = records.create(rep, "deal", {"name": "WMS", "customer": other.id, "amount": 10})
    base = {"title": "C", "customer": acme.id, "amount": Decimal(10)}
    with pytest.raises(ValidationFailed) as refused:
        records.create(rep, "contract", base | {"deal": foreign.id})
    assert list(refused.value.fields) == ["deal"]
    assert "not one of the choices" in refused.value.fields["deal"][0]
    contract = records.create(rep, "contract", base | {"deal": deal.id})
    # Changing the customer alone keeps the old link untouched (only changed links are
    # checked); changing the link to a deal of the new customer is fine.
    moved = records.update(
        rep, "contract", contract.id, {"customer": other.id, "deal": foreign.id},
        version=contract.version,
    )  # fmt: skip
    assert moved["deal"] == foreign.id
    # A lost deal is not offered by the picker, and not accepted either.
    lose = ActionRequest(values={"lost_reason": "price"})
    sales.workflows.act(rep, "deal", deal.id, "lose", lose)
    this = {"customer": acme.id}
    field = sales.app.entities["contract"].fields["deal"]
    offered = search_link_targets(records, rep, "contract", field, "", this, limit=10)
    assert offered == []
    with pytest.raises(ValidationFailed):
        records.update(
            rep, "contract", contract.id, {"customer": acme.id, "deal": deal.id},
            version=moved.version,
        )  # fmt: skip
    # Trusted writes obey it too.
    with pytest.raises(ValidationFailed), sales.db.begin() as connection:
        records.create_in(
            connection, Actor.system(), "contract", base | {"deal": deal.id},
            options=WriteOptions(trusted=True),
        )  # fmt: skip
