"""Databases for the SQL-expression tests: SQLite in memory, and PostgreSQL when
FORMWORK_TEST_DATABASE_URL is set (inside a schema created for the run and dropped after)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.expr import (
    EvalContext,
    MappingEnv,
    Scope,
    Symbol,
    ValueType,
    builtin_registry,
    check_expression,
    compile_python,
    record_symbol,
)
from engine.storage.sql_expr import compile_sql, compile_sql_condition
from engine.storage.sql_functions import ExactNumber, UtcDateTime

SHANGHAI = ZoneInfo("Asia/Shanghai")
COLUMNS: dict[str, ValueType] = {
    "s": ValueType.TEXT,
    "t": ValueType.TEXT,
    "i": ValueType.INTEGER,
    "j": ValueType.INTEGER,
    "n": ValueType.NUMBER,
    "m": ValueType.MONEY,
    "b": ValueType.BOOLEAN,
    "c": ValueType.BOOLEAN,
    "d": ValueType.DATE,
    "e": ValueType.DATE,
    "ts": ValueType.DATETIME,
}
_SQL_TYPES: dict[ValueType, Any] = {
    ValueType.TEXT: sa.String(50),
    ValueType.INTEGER: sa.Integer(),
    ValueType.NUMBER: ExactNumber(18, 6),
    ValueType.MONEY: ExactNumber(18, 2),
    ValueType.BOOLEAN: sa.Boolean(),
    ValueType.DATE: sa.Date(),
    ValueType.DATETIME: UtcDateTime(),
}


def _customer_members() -> Mapping[str, Symbol]:
    return {"name": Symbol("name", ValueType.TEXT), "level": Symbol("level", ValueType.TEXT)}


ITEM_SCOPE: Scope = {
    **{name: Symbol(name, value_type) for name, value_type in COLUMNS.items()},
    "customer": record_symbol("customer", "customer", _customer_members),
}


@dataclass
class Database:
    """One database with the `items` and `customers` tables and ways to query them."""

    engine: sa.Engine
    items: sa.Table
    customers: sa.Table

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def column(self, path: tuple[str, ...]) -> ColumnElement[Any]:
        """The SqlScope protocol: plain columns, and the customer link as a subquery."""
        if path[0] == "customer" and len(path) == 2:
            linked = self.customers
            query = sa.select(linked.c[path[1]]).where(linked.c.id == self.items.c.customer_id)
            return query.scalar_subquery()
        if path == ("customer",):
            return self.items.c.customer_id
        return self.items.c[path[0]]

    def load(self, rows: Sequence[Mapping[str, Any]]) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.items.delete())
            connection.execute(self.customers.delete())
            connection.execute(
                self.customers.insert(),
                [{"id": 1, "name": "ACME", "level": "A"}, {"id": 2, "name": "Bolt", "level": None}],
            )
            if rows:
                blank = dict.fromkeys([*COLUMNS, "customer_id"])
                full = [blank | dict(row) for row in rows]
                connection.execute(self.items.insert(), full)

    def select(self, clause: ColumnElement[Any]) -> list[Any]:
        query = sa.select(clause.label("value")).select_from(self.items).order_by(self.items.c.id)
        with self.engine.connect() as connection:
            return [row.value for row in connection.execute(query)]

    def where(self, clause: ColumnElement[Any]) -> list[int]:
        query = sa.select(self.items.c.id).where(clause).order_by(self.items.c.id)
        with self.engine.connect() as connection:
            return [row.id for row in connection.execute(query)]

    def scalar(self, clause: ColumnElement[Any]) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(clause.label("value"))).scalar_one()


def _tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    customers = sa.Table(
        "customers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50)),
        sa.Column("level", sa.String(10)),
    )
    items = sa.Table(
        "items",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        *(sa.Column(name, _SQL_TYPES[value_type]) for name, value_type in COLUMNS.items()),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey(customers.c.id)),
    )
    return items, customers


def _sqlite() -> Iterator[Database]:
    engine = sa.create_engine("sqlite://")
    items, customers = _tables(sa.MetaData())
    items.metadata.create_all(engine)
    yield Database(engine, items, customers)
    engine.dispose()


def _postgres(url: str) -> Iterator[Database]:
    schema = f"fw_expr_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.schema.CreateSchema(schema))
    try:
        items, customers = _tables(sa.MetaData(schema=schema))
        items.metadata.create_all(engine)
        yield Database(engine, items, customers)
    finally:
        with engine.begin() as connection:
            connection.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    if request.param == "sqlite":
        yield from _sqlite()
        return
    url = os.environ.get("FORMWORK_TEST_DATABASE_URL")
    if not url:
        pytest.skip("FORMWORK_TEST_DATABASE_URL is not set: PostgreSQL run skipped")
    yield from _postgres(url)


@pytest.fixture(scope="session")
def item_scope() -> Scope:
    """The expression scope of the `items` table."""
    return ITEM_SCOPE


@pytest.fixture(scope="session")
def context() -> EvalContext:
    now = datetime(2024, 5, 17, 10, 30, tzinfo=SHANGHAI)
    return EvalContext(now, SHANGHAI, "rep_east_1", frozenset({"sales_rep", "finance"}))


CUSTOMERS = {1: {"name": "ACME", "level": "A"}, 2: {"name": "Bolt", "level": None}}


def python_env_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as the Python compiler sees it (the customer link resolved to its fields)."""
    values = {name: row.get(name) for name in COLUMNS}
    customer_id = row.get("customer_id")
    values["customer"] = CUSTOMERS.get(customer_id) if customer_id is not None else None
    return values


def same_value(python: Any, sql: Any) -> bool:
    """Python and SQL agree: NULL and booleans exactly, numbers within float noise."""
    if python is None or sql is None:
        return python is None and sql is None
    if isinstance(python, bool) or isinstance(sql, bool):
        return python is sql
    if isinstance(python, int | float | Decimal) and isinstance(sql, int | float | Decimal):
        scale = max(Decimal(1), abs(Decimal(str(python))))
        return abs(Decimal(str(python)) - Decimal(str(sql))) <= scale * Decimal("1e-9")
    return bool(python == sql) and type(python) is type(sql)


@pytest.fixture(scope="session")
def agree(context: EvalContext) -> Any:
    """Evaluate an expression in Python per row and in SQL (SELECT and WHERE); assert equal."""
    functions = builtin_registry()

    def run(db: Database, text: str, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        checked = check_expression(text, ITEM_SCOPE, functions, sql=True)
        assert checked.problems == (), checked.problems
        evaluate = compile_python(checked)
        expected = [evaluate(MappingEnv(python_env_values(r), context)) for r in rows]
        got = db.select(compile_sql(checked, db, context))
        mismatches = [
            (row, p, s)
            for row, p, s in zip(rows, expected, got, strict=True)
            if not same_value(p, s)
        ]
        assert not mismatches, f"{text!r} on {db.dialect}: {mismatches}"
        if checked.type in (ValueType.BOOLEAN, ValueType.NULL):
            kept = db.where(compile_sql_condition(checked, db, context))
            wanted = [r["id"] for r, p in zip(rows, expected, strict=True) if p is True]
            assert kept == wanted, f"WHERE {text!r} on {db.dialect}"
        return got

    return run
