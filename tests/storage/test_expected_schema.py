"""The tables a spec wants and the names they may still have in the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import sqlalchemy as sa

from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.expected_schema import expected_tables
from engine.storage.tables import build_tables

APP = "app: shop\ntitle: Shop\nlocales: [en]\nroles:\n  clerk: {label: Clerk}\n"
OFFER = """
    entity: offer
    renamed_from: quote
    label: Offer
    fields:
      title: {type: text, renamed_from: name}
      labels: {type: multi_select, options: [a], renamed_from: tags}
      items:
        type: subform
        renamed_from: lines
        fields:
          colours: {type: multi_select, options: [red]}
          qty: {type: integer}
    permissions:
      clerk: {read: all}
    """


def test_renamed_entities_and_fields_list_their_former_table_names(
    write_app_folder: Callable[[Mapping[str, str]], Path],
    load_spec: Callable[[Path], AppSpec],
    project_registry: Registry,
) -> None:
    app = load_spec(write_app_folder({"app.yaml": APP, "entities/offer.yaml": OFFER}))
    tables = {
        t.name: t
        for t in expected_tables(build_tables(app, sa.MetaData(), registry=project_registry))
    }
    assert list(tables) == [
        "shop__offer",
        "shop__offer__labels",
        "shop__offer__items",
        "shop__offer__items__colours",
    ]
    offer = tables["shop__offer"]
    assert (offer.old_names, offer.renamed_entity, offer.label) == (
        ("shop__quote",),
        "quote",
        "entity 'offer'",
    )
    assert offer.columns["title"].renamed_from == "name"
    assert offer.columns["title"].label == "field 'title' of 'offer'"
    assert offer.fixed[-1] == "deleted_at"
    assert tables["shop__offer__labels"].old_names == (
        "shop__offer__tags",
        "shop__quote__labels",
        "shop__quote__tags",
    )
    assert tables["shop__offer__labels"].fixed == ("id", "parent_id", "sort_order", "value")
    colours = tables["shop__offer__items__colours"]
    assert (colours.field, colours.kind) == ("items.colours", "multi_select")
    assert colours.old_names == (
        "shop__offer__lines__colours",
        "shop__quote__items__colours",
        "shop__quote__lines__colours",
    )
    items = tables["shop__offer__items"]
    assert items.label == "subform field 'items' of 'offer'"
    assert list(items.columns) == ["qty"]
    assert items.columns["qty"].label == "field 'qty' of 'offer.items'"
