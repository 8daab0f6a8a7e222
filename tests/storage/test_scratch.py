"""A scratch schema is empty, isolated and gone afterwards."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from engine.storage.scratch import scratch_schema

BASE = os.environ.get("FORMWORK_TEST_DATABASE_URL")


@pytest.mark.skipif(not BASE, reason="FORMWORK_TEST_DATABASE_URL is not set (PostgreSQL)")
def test_a_scratch_schema_is_used_then_dropped() -> None:
    assert BASE is not None
    with scratch_schema(BASE, "fw_probe") as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            schema = connection.scalar(sa.text("select current_schema()"))
            connection.execute(sa.text("create table t (x int)"))
        engine.dispose()
        assert str(schema).startswith("fw_probe_")
    admin = sa.create_engine(BASE)
    with admin.connect() as connection:
        names = sa.inspect(connection).get_schema_names()
    admin.dispose()
    assert schema not in names
