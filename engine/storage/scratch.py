"""A throw-away PostgreSQL schema: an empty database for a test or a benchmark run on a
shared server, dropped with everything in it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

__all__ = ["scratch_schema"]


@contextmanager
def scratch_schema(base_url: str, prefix: str = "fw_scratch") -> Iterator[str]:
    """A URL of `base_url`'s server whose connections use a new, empty schema (by
    `search_path`); the schema is dropped when the block ends."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sa.schema.CreateSchema(schema))
    try:
        url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.schema.DropSchema(schema, cascade=True))
        admin.dispose()
