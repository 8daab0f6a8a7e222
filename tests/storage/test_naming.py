"""Names of tables, indexes and set-aside columns, and their PostgreSQL length limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from engine.storage.naming import (
    MAX_IDENTIFIER,
    aside_name,
    child_table_name,
    entity_table_name,
    fit_identifier,
    index_name,
    is_aside,
    sequence_key,
    stamp,
    system_table_name,
)


def test_tables_are_namespaced_by_app() -> None:
    assert entity_table_name("crm", "deal") == "crm__deal"
    assert child_table_name("crm", "contract", "lines") == "crm__contract__lines"
    assert child_table_name("crm", "contract", "lines", "tags") == "crm__contract__lines__tags"
    assert system_table_name("users") == "fw_users"


def test_index_names_say_table_columns_and_uniqueness() -> None:
    assert index_name("crm__deal", ["owner", "stage"], unique=False) == "ix_crm__deal__owner__stage"
    assert index_name("crm__deal", ("number",), unique=True) == "ux_crm__deal__number"


def test_long_names_are_cut_with_a_stable_hash() -> None:
    long = "x" * 70
    fitted = fit_identifier(long)
    assert len(fitted) == MAX_IDENTIFIER
    assert fitted == fit_identifier(long)
    assert fitted != fit_identifier("x" * 71)
    assert fitted.startswith("x" * 54 + "_")
    assert fit_identifier("short") == "short"


def test_aside_names_carry_the_utc_time() -> None:
    moment = datetime(2024, 1, 2, 11, 4, 5, tzinfo=timezone(timedelta(hours=8)))
    assert stamp(moment) == "20240102030405"
    assert aside_name("notes", stamp(moment)) == "_dropped_notes_20240102030405"
    assert is_aside("_dropped_notes_20240102030405")
    assert not is_aside("notes")
    with pytest.raises(ValueError, match="aware"):
        stamp(datetime(2024, 1, 1))
    assert stamp(datetime(2024, 1, 1, tzinfo=UTC)) == "20240101000000"


def test_sequence_keys() -> None:
    assert sequence_key("contract", "number") == "contract.number"
