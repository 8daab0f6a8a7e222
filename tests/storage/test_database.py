"""`Database`: SQLite settings, transactions that commit or roll back (DDL included), the
late foreign-key check of schema changes, and how the URL is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.storage.database import (
    Database,
    ForeignKeyViolation,
    default_database_url,
    resolve_database_url,
)
from engine.storage.field_storage import StorageError


def test_dialect_names(db: Database, database_url: str) -> None:
    assert db.dialect == ("sqlite" if database_url.startswith("sqlite") else "postgresql")


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.begin(readonly=True) as connection:
        settings = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    db.dispose()
    assert settings == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 1,
    }


def test_a_failing_transaction_rolls_back_ddl_and_rows(db: Database) -> None:
    with pytest.raises(RuntimeError), db.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("INSERT INTO t (id) VALUES (1)")
        raise RuntimeError("stop")
    with db.begin(readonly=True) as connection:
        assert not sa.inspect(connection).has_table("t")


def test_a_transaction_commits(db: Database) -> None:
    with db.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("INSERT INTO t (id) VALUES (7)")
    with db.begin(readonly=True) as connection:
        assert connection.exec_driver_sql("SELECT id FROM t").scalar_one() == 7


def test_foreign_keys_are_enforced(db: Database) -> None:
    with db.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql(
            "CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id))"
        )
    with pytest.raises(sa.exc.IntegrityError), db.begin() as connection:
        connection.exec_driver_sql("INSERT INTO c (id, p) VALUES (1, 99)")


def test_a_schema_change_checks_foreign_keys_before_commit(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql(
            "CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id))"
        )
        connection.exec_driver_sql("INSERT INTO p (id) VALUES (1)")
        connection.exec_driver_sql("INSERT INTO c (id, p) VALUES (1, 1)")
    with db.begin_schema_change() as connection:
        # A rebuilt parent is briefly missing: allowed inside the schema change.
        connection.exec_driver_sql("CREATE TABLE p_new (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("INSERT INTO p_new (id) SELECT id FROM p")
        connection.exec_driver_sql("DROP TABLE p")
        connection.exec_driver_sql("ALTER TABLE p_new RENAME TO p")
    missing = r"1 row\(s\) point at missing rows \(c → p\)"
    with pytest.raises(ForeignKeyViolation, match=missing), db.begin_schema_change() as change:
        change.exec_driver_sql("INSERT INTO c (id, p) VALUES (2, 99)")
    with db.begin(readonly=True) as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM p").scalar_one() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    db.dispose()


def test_readonly_transactions_do_not_block_a_writer(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with db.begin(readonly=True) as reader:
        reader.exec_driver_sql("SELECT count(*) FROM t").scalar_one()
        with db.begin() as writer:
            writer.exec_driver_sql("INSERT INTO t (id) VALUES (1)")
        # WAL: the reader keeps its snapshot while the writer commits.
        assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 0
    db.dispose()


def test_readonly_transactions_refuse_writes(db: Database) -> None:
    with db.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with pytest.raises(sa.exc.DBAPIError), db.begin(readonly=True) as connection:
        connection.exec_driver_sql("INSERT INTO t (id) VALUES (1)")
    with db.begin() as connection:
        connection.exec_driver_sql("INSERT INTO t (id) VALUES (2)")
    with db.begin(readonly=True) as connection:
        assert connection.exec_driver_sql("SELECT id FROM t").scalars().all() == [2]


def test_plain_postgresql_urls_use_psycopg() -> None:
    db = Database("postgresql://user@localhost:5432/nowhere")
    assert db.url.drivername == "postgresql+psycopg"
    assert db.dialect == "postgresql"
    db.dispose()


def test_other_databases_and_misplaced_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="unsupported database 'mysql'"):
        Database("mysql://localhost/x")
    with pytest.raises(StorageError, match="search_path is a PostgreSQL option"):
        Database(f"sqlite:///{tmp_path / 'x.db'}", search_path="x")


def test_the_url_comes_from_the_option_then_the_environment_then_the_app(tmp_path: Path) -> None:
    assert (
        resolve_database_url("crm", "sqlite:///a.db", environ={"DATABASE_URL": "b"})
        == "sqlite:///a.db"
    )
    assert (
        resolve_database_url("crm", None, environ={"DATABASE_URL": "sqlite:///b.db"})
        == "sqlite:///b.db"
    )
    url = resolve_database_url("crm", None, environ={}, base=tmp_path)
    assert url == f"sqlite:///{(tmp_path / 'instance' / 'crm.db').as_posix()}"
    assert (tmp_path / "instance").is_dir()


def test_the_default_url_is_relative_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        default_database_url("shop")
        == f"sqlite:///{(tmp_path / 'instance' / 'shop.db').as_posix()}"
    )
