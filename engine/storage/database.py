"""`Database`: the SQLAlchemy engine of one database, and the one way to open a transaction.

SQLite (the embedded default) runs in WAL mode with foreign keys enforced, a 5 s busy
timeout and `synchronous=NORMAL`. The driver's own transaction handling is switched off so
that SQLAlchemy's `begin()` is a real `BEGIN`: DDL is transactional too, and a writing
transaction starts with `BEGIN IMMEDIATE`, so two writers queue on the busy timeout
instead of failing halfway. PostgreSQL is used through psycopg 3
(`postgresql+psycopg://`; plain `postgresql://` URLs are read that way too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from engine.storage.field_storage import StorageError

__all__ = ["Database", "ForeignKeyViolation", "default_database_url", "resolve_database_url"]

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)
_READONLY = "formwork_readonly"


class ForeignKeyViolation(StorageError):
    """Rows point at rows that do not exist (found when foreign keys were checked late)."""


def default_database_url(app_id: str, base: Path | None = None) -> str:
    """`sqlite:///instance/<app>.db` under `base` (default: the current folder), creating
    the `instance/` folder."""
    folder = (base or Path.cwd()) / "instance"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / f'{app_id}.db').as_posix()}"


def resolve_database_url(
    app_id: str,
    url: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    base: Path | None = None,
) -> str:
    """`url` if given, else `DATABASE_URL`, else the app's default SQLite file."""
    if url:
        return url
    from_env = (os.environ if environ is None else environ).get("DATABASE_URL")
    return from_env or default_database_url(app_id, base)


def _normalise(url: str | sa.URL) -> sa.URL:
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StorageError(
            f"unsupported database '{parsed.get_backend_name()}': use sqlite:/// or "
            "postgresql+psycopg:// URLs"
        )
    return parsed


class Database:
    """One database: its engine, its dialect name, and transactions on it.

    `search_path` (PostgreSQL only) makes every connection use that schema, e.g. a schema
    per test run.
    """

    def __init__(
        self, url: str | sa.URL, *, search_path: str | None = None, echo: bool = False
    ) -> None:
        self.url = _normalise(url)
        connect_args: dict[str, Any] = {}
        if search_path is not None:
            if self.url.get_backend_name() != "postgresql":
                raise StorageError("search_path is a PostgreSQL option")
            connect_args["options"] = f"-csearch_path={search_path}"
        self.engine: Engine = sa.create_engine(self.url, echo=echo, connect_args=connect_args)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)

    @property
    def dialect(self) -> str:
        """`"sqlite"` or `"postgresql"`."""
        return str(self.engine.dialect.name)

    @contextmanager
    def begin(self, *, readonly: bool = False) -> Iterator[Connection]:
        """A transaction: commits when the block ends, rolls back when it raises.

        `readonly=True` refuses writes (PostgreSQL `READ ONLY`, SQLite `query_only`) and on
        SQLite takes no write lock, so it never waits for a writer.
        """
        with self.engine.connect() as connection:
            if not readonly:
                with connection.begin():
                    yield connection
                return
            connection.execution_options(**{_READONLY: True})
            raw = connection.connection.driver_connection if self.dialect == "sqlite" else None
            if raw is not None:
                raw.execute("PRAGMA query_only=ON")
            try:
                with connection.begin():
                    if raw is None:
                        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                    yield connection
            finally:
                if raw is not None:
                    raw.execute("PRAGMA query_only=OFF")

    @contextmanager
    def begin_schema_change(self) -> Iterator[Connection]:
        """A transaction for DDL that rebuilds tables: on SQLite, foreign keys are checked
        once before commit (`PRAGMA foreign_key_check`) instead of per statement, since a
        rebuilt table is briefly missing; ForeignKeyViolation rolls everything back."""
        if self.dialect != "sqlite":
            with self.begin() as connection:
                yield connection
            return
        with self.engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    yield connection
                    _check_foreign_keys(connection)
            finally:
                raw.execute("PRAGMA foreign_keys=ON")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _check_foreign_keys(connection: Connection) -> None:
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        where = ", ".join(sorted({f"{row[0]} → {row[2]}" for row in problems}))
        raise ForeignKeyViolation(f"{len(problems)} row(s) point at missing rows ({where})")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy's BEGIN (below) is the transaction.
        dbapi_connection.isolation_level = None
        for pragma in _SQLITE_PRAGMAS:
            dbapi_connection.execute(pragma)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        readonly = connection.get_execution_options().get(_READONLY, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
