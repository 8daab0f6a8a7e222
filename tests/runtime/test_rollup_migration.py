"""A roll-up added to an app whose database already holds records is filled by `migrate`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runtime_support import EngineFactory

from engine.runtime.actor import Actor

APP = """
app: shelf
title: Shelf
locales: [en]
"""
SHELF = """
entity: shelf
label: Shelf
title_field: name
fields:
  name: {type: text, required: true}
"""
BOOK = """
entity: book
label: Book
title_field: title
fields:
  title: {type: text, required: true}
  shelf: {type: link, to: shelf}
  pages: {type: integer}
"""
ROLLUPS = """
  books: {type: rollup, source: book, link: shelf, aggregate: count, result: integer}
  pages: {type: rollup, source: book, link: shelf, aggregate: sum, field: pages, result: integer}
"""


def test_migrate_fills_a_roll_up_it_adds(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> None:
    folder = write_app_folder(
        {"app.yaml": APP, "entities/shelf.yaml": SHELF, "entities/book.yaml": BOOK}
    )
    engine = make_engine(folder, database_url)
    system = Actor.system()
    shelf = engine.records.create(system, "shelf", {"name": "A"})
    for pages in (100, 250):
        engine.records.create(
            system, "book", {"title": f"B{pages}", "shelf": shelf.id, "pages": pages}
        )
    engine.close()
    write_app_folder({"entities/shelf.yaml": SHELF + ROLLUPS})
    engine = make_engine(folder, database_url)
    filled = engine.records.get(system, "shelf", shelf.id)
    assert (filled["books"], filled["pages"]) == (2, 350)
    assert filled.version == shelf.version + 1  # one derived write for both
