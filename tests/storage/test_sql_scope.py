"""`EntitySqlScope` with the expression compiler, against real rows on both databases:
fields in expression units (money in yuan), relation paths through links, users and teams."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from engine.expr import EvalContext, check_expression
from engine.spec.check import check_app
from engine.spec.expression_scopes import ScopeBuilder
from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database
from engine.storage.migrations import apply_migration, plan_migration
from engine.storage.sql_expr import compile_sql, compile_sql_condition
from engine.storage.sql_scope import EntitySqlScope
from engine.storage.tables import AppTables, build_tables

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 5, 17, 2, 30, tzinfo=UTC)
FILES = {
    "app.yaml": """
        app: crm
        title: CRM
        locales: [en]
        currency: CNY
        timezone: Asia/Shanghai
        roles:
          rep: {label: Rep}
        """,
    "entities/customer.yaml": """
        entity: customer
        label: Customer
        fields:
          name: {type: text}
          level: {type: select, options: [A, B]}
          owner: {type: user}
        permissions:
          rep: {read: all}
        """,
    "entities/deal.yaml": """
        entity: deal
        label: Deal
        fields:
          customer: {type: link, to: customer}
          owner: {type: user}
          team: {type: team}
          amount: {type: money}
          probability: {type: percent}
          happened: {type: datetime}
          tags: {type: multi_select, options: [hot, cold]}
        permissions:
          rep: {read: all}
        """,
}
USERS = [("ceo", "Chen"), ("lead", "Lee"), ("rep", "Ann"), ("west_rep", "Wu"), ("solo", "Sol")]
TEAMS = [(1, "Sales", None, "ceo"), (2, "East", 1, "lead"), (3, "West", 1, None)]
MEMBERS = {"ceo": 1, "lead": 2, "rep": 2, "west_rep": 3}
CUSTOMERS = [("ACME", "A", "rep"), ("Bolt", "B", "west_rep")]
DEALS: list[dict[str, Any]] = [
    {"customer": 1, "owner": "rep", "team": 2, "amount": Decimal("0.30"),
     "probability": Decimal("0.25"), "happened": datetime(2024, 5, 16, 17, 0, tzinfo=UTC)},
    {"customer": 2, "owner": "lead", "team": 3, "amount": Decimal("12000000.00"),
     "probability": Decimal("1"), "happened": datetime(2024, 5, 16, 15, 59, tzinfo=UTC)},
    {"customer": None, "owner": "ceo", "team": None, "amount": Decimal("-5.05"),
     "probability": None, "happened": None},
    {"customer": 1, "owner": "solo", "team": 1, "amount": None,
     "probability": Decimal("0.5"), "happened": None},
]  # fmt: skip


def _stamp(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"created_at": NOW, "updated_at": NOW, "version": 1, "created_by": "rep", **row}


def _load(connection: sa.Connection, tables: AppTables) -> None:
    system = tables.system
    connection.execute(
        system.users.insert(),
        [{"username": u, "display_name": n, "active": True, "is_admin": False} for u, n in USERS],
    )
    for team_id, name, parent, manager in TEAMS:
        row = {"id": team_id, "name": name, "parent_id": parent, "manager": manager}
        connection.execute(system.teams.insert().values(row))
    connection.execute(
        system.memberships.insert(),
        [{"username": u, "team_id": t} for u, t in MEMBERS.items()],
    )
    for name, level, owner in CUSTOMERS:
        row = {"name": name, "level": level, "owner": owner}
        connection.execute(tables.entity("customer").insert().values(_stamp(row)))
    for deal in DEALS:
        connection.execute(tables.entity("deal").insert().values(_stamp(deal)))


class Crm:
    """The CRM app migrated into one database, with rows, and a way to run expressions."""

    def __init__(self, db: Database, app: AppSpec, tables: AppTables, registry: Registry) -> None:
        self.db = db
        self.app = app
        self.tables = tables
        self.registry = registry
        self.scope = ScopeBuilder(app, registry).entity_scope(app.entities["deal"])
        self.context = EvalContext(NOW, SHANGHAI, "rep", frozenset({"rep"}))

    def checked(self, text: str) -> Any:
        checked = check_expression(text, self.scope, self.registry.functions, sql=True)
        assert checked.problems == (), checked.problems
        return checked

    def where(self, text: str) -> list[int]:
        deals = self.tables.entity("deal").alias("d")
        scope = EntitySqlScope(self.tables, "deal", deals)
        clause = compile_sql_condition(self.checked(text), scope, self.context)
        query = sa.select(deals.c.id).where(clause).order_by(deals.c.id)
        with self.db.begin(readonly=True) as connection:
            return list(connection.execute(query).scalars())

    def select(self, text: str) -> list[Any]:
        deals = self.tables.entity("deal")
        clause = compile_sql(self.checked(text), EntitySqlScope(self.tables, "deal"), self.context)
        query = sa.select(clause).select_from(deals).order_by(deals.c.id)
        with self.db.begin(readonly=True) as connection:
            return list(connection.execute(query).scalars())


@pytest.fixture(scope="module")
def crm(
    module_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    project_registry: Registry,
) -> Iterator[Crm]:
    """The app and its rows, shared by the module's tests (they only read)."""
    folder = tmp_path_factory.mktemp("crm")
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    result = check_app(folder, project_registry)
    assert result.app is not None and result.ok, result.diagnostics
    app = result.app
    tables = build_tables(app, sa.MetaData(), registry=project_registry)
    db = Database(module_database_url)
    apply_migration(db, plan_migration(db, app, tables))
    with db.begin() as connection:
        _load(connection, tables)
    yield Crm(db, app, tables, project_registry)
    db.dispose()


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("amount == 0.3", [1]),
        ("amount > 1000000", [2]),
        ("amount < 0", [3]),
        ("amount * probability == 0.075", [1]),
        ("is_blank(amount)", [4]),
        ("probability >= 0.5", [2, 4]),
        ("id in [1, 3]", [1, 3]),
        ("created_by == me() and version == 1", [1, 2, 3, 4]),
        ("is_blank(customer)", [3]),
        ("customer == 1", [1, 4]),
        ("customer.level == 'A'", [1, 4]),
        ("customer.name != 'ACME'", [2]),
    ],
)
def test_fields_and_links_filter_real_rows(crm: Crm, text: str, ids: list[int]) -> None:
    assert crm.where(text) == ids


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("owner.name == 'Ann'", [1]),
        ("owner.username == 'lead'", [2]),
        ("owner.team == 2", [1, 2]),
        ("owner.team.name == 'East'", [1, 2]),
        ("owner.team.parent.name == 'Sales'", [1, 2]),
        ("owner.manager == 'lead'", [1]),
        ("owner.manager == 'ceo'", [2]),
        ("is_blank(owner.manager)", [3, 4]),
        ("owner.manager.username == 'ceo'", [2]),
        ("owner.manager.manager == 'ceo'", [1]),
        ("owner.manager.name == 'Lee'", [1]),
        ("customer.owner.team.name == 'West'", [2]),
        ("customer.owner.manager == 'ceo'", [2]),
        ("customer.owner.team.manager.name == 'Lee'", [1, 4]),
        ("team.parent.name == 'Sales'", [1, 2]),
        ("team.manager == 'lead'", [1]),
        ("team.id == 1", [4]),
        ("created_by.team.name == 'East'", [1, 2, 3, 4]),
    ],
)
def test_people_paths_filter_real_rows(crm: Crm, text: str, ids: list[int]) -> None:
    assert crm.where(text) == ids


def test_datetimes_are_compared_in_the_app_time_zone(crm: Crm) -> None:
    # 17:00 UTC on the 16th is 01:00 on the 17th in Shanghai; 15:59 UTC is still the 16th.
    assert crm.where("date(happened) == today()") == [1]
    assert crm.where("happened < now()") == [1, 2]


def test_selected_values_come_back_in_expression_units(crm: Crm) -> None:
    assert crm.select("amount") == [
        Decimal("0.30"),
        Decimal("12000000.00"),
        Decimal("-5.05"),
        None,
    ]
    assert crm.select("customer.level") == ["A", "B", None, "A"]
    assert crm.select("owner.manager") == ["lead", "ceo", None, None]
    assert crm.select("happened")[0] == datetime(2024, 5, 16, 17, 0, tzinfo=UTC)


def test_a_path_into_child_rows_or_a_plain_value_has_no_column(crm: Crm) -> None:
    scope = EntitySqlScope(crm.tables, "deal")
    with pytest.raises(LookupError, match=r"'deal\.tags' is a multi_select field"):
        scope.column(("tags",))
    with pytest.raises(LookupError, match="has no members"):
        scope.column(("amount", "currency"))
    with pytest.raises(LookupError, match="a user has no 'salary'"):
        scope.column(("owner", "salary"))
    with pytest.raises(LookupError, match="'deal' has no field 'stage'"):
        scope.column(("stage",))
