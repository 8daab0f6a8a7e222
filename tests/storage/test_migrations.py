"""Migrations on SQLite and PostgreSQL: additive changes apply, renames keep data, drops and
type changes are refused unless allowed and then keep the old data aside, and every check
reads the rows back after the migration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database
from engine.storage.migration_steps import StepKind
from engine.storage.migrations import (
    MigrationFailed,
    MigrationPlan,
    MigrationRefused,
    apply_migration,
    plan_migration,
)
from engine.storage.tables import AppTables, build_tables

NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
STAMP = "20240102030405"

APP = """
    app: shop
    title: Shop
    locales: [en]
    currency: CNY
    roles:
      clerk: {label: Clerk}
    """
CUSTOMER = """
    entity: customer
    label: Customer
    fields:
      name: {type: text, max_length: 100}
      owner: {type: user}
    permissions:
      clerk: {create: true, read: all}
    """
ORDER_FIELDS = """
      title: {type: text, max_length: 50}
      customer: {type: link, to: customer}
      amount: {type: money}
      due: {type: date}
      notes: {type: long_text}
"""
ORDER_TAIL = """
    indexes:
      - {fields: [title], unique: true}
    permissions:
      clerk: {create: true, read: all}
    """


def order(
    fields: str = ORDER_FIELDS, *, head: str = "entity: order\n", tail: str = ORDER_TAIL
) -> str:
    return f"{head}label: Order\nfields:\n{fields}" + tail.replace("\n    ", "\n")


Writer = Callable[[Mapping[str, str]], Path]


class Shop:
    """The test app in one database: migrate it, write rows, read them back."""

    def __init__(
        self, db: Database, write: Writer, load: Callable[[Path], AppSpec], registry: Registry
    ) -> None:
        self.db = db
        self.write = write
        self.load = load
        self.registry = registry
        self.folder = write({"app.yaml": APP, "entities/customer.yaml": CUSTOMER})

    def spec(self, **files: str | None) -> tuple[AppSpec, AppTables]:
        for name, text in files.items():
            path = self.folder / "entities" / f"{name}.yaml"
            if text is None:
                path.unlink()
            else:
                self.write({f"entities/{name}.yaml": text})
        app = self.load(self.folder)
        return app, build_tables(app, sa.MetaData(), registry=self.registry)

    def plan(self, **files: str | None) -> MigrationPlan:
        app, tables = self.spec(**files)
        return plan_migration(self.db, app, tables, now=NOW)

    def migrate(self, *, allow: bool = False, **files: str | None) -> MigrationPlan:
        plan = self.plan(**files)
        apply_migration(self.db, plan, allow_destructive=allow, now=NOW)
        return plan

    def insert(self, table: str, *rows: Mapping[str, Any]) -> None:
        base = {"created_at": NOW, "updated_at": NOW, "version": 1}
        target = self.tables().metadata.tables[table]
        with self.db.begin() as connection:
            for row in rows:
                connection.execute(target.insert().values(base | dict(row)))

    def tables(self) -> AppTables:
        return build_tables(self.load(self.folder), sa.MetaData(), registry=self.registry)

    def read(
        self, table: str, *columns: str, types: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        kinds = types or {}
        source = sa.table(table, *(sa.column(c, kinds.get(c)) for c in columns), sa.column("id"))
        query = sa.select(*(source.c[c] for c in columns)).order_by(source.c.id)
        with self.db.begin(readonly=True) as connection:
            return [tuple(row) for row in connection.execute(query)]

    def columns(self, table: str) -> list[str]:
        with self.db.begin(readonly=True) as connection:
            return [c["name"] for c in sa.inspect(connection).get_columns(table)]

    def table_names(self) -> set[str]:
        with self.db.begin(readonly=True) as connection:
            return set(sa.inspect(connection).get_table_names())

    def index_names(self, table: str) -> set[str]:
        with self.db.begin(readonly=True) as connection:
            return {str(i["name"]) for i in sa.inspect(connection).get_indexes(table)}


@pytest.fixture
def shop(
    db: Database,
    write_app_folder: Writer,
    load_spec: Callable[[Path], AppSpec],
    project_registry: Registry,
) -> Shop:
    return Shop(db, write_app_folder, load_spec, project_registry)


@pytest.fixture
def stocked(shop: Shop) -> Shop:
    """The shop migrated once, with a user, two customers and two orders."""
    shop.migrate(order=order())
    with shop.db.begin() as connection:
        connection.execute(
            shop.tables().system.users.insert(),
            [{"username": "ann", "active": True, "is_admin": False}],
        )
    shop.insert("shop__customer", {"name": "ACME", "owner": "ann"}, {"name": "Bolt"})
    shop.insert(
        "shop__order",
        {"title": "first", "customer": 1, "amount": Decimal("0.30"), "notes": "urgent"},
        {
            "title": "second order",
            "customer": 2,
            "amount": Decimal("12000000.00"),
            "notes": "call",
        },
    )
    return shop


def lines(plan: MigrationPlan) -> list[str]:
    return [step.line() for step in plan.steps]


ORDER_DATA = [("first", Decimal("0.30")), ("second order", Decimal("12000000.00"))]


def order_data(
    shop: Shop, table: str = "shop__order", title: str = "title"
) -> list[tuple[Any, ...]]:
    amount = shop.tables().metadata.tables["shop__order"].c.amount.type
    return shop.read(table, title, "amount", types={"amount": amount})


def test_first_migration_creates_everything_then_nothing_is_left(shop: Shop) -> None:
    plan = shop.migrate(order=order())
    assert all(step.kind is StepKind.ADDITIVE for step in plan.steps)
    assert (
        "+ create table shop__order for new entity 'order' (5 field column(s), 4 index(es))"
        in lines(plan)
    )
    assert {"fw_users", "fw_schema_state", "shop__customer", "shop__order"} <= shop.table_names()
    again = shop.plan(order=order())
    assert again.is_empty
    assert again.describe() == (
        f"Migration plan for app 'shop' ({shop.db.dialect}): "
        "the database matches the spec; nothing to change."
    )


def test_adding_a_field_keeps_the_rows(stocked: Shop) -> None:
    plan = stocked.migrate(order=order(ORDER_FIELDS + "      priority: {type: integer}\n"))
    assert lines(plan) == [
        "+ add column 'priority' to shop__order for new field 'priority' of 'order' (whole number)"
    ]
    assert order_data(stocked) == ORDER_DATA
    assert stocked.read("shop__order", "priority") == [(None,), (None,)]


def test_adding_a_required_date_field_adds_a_nullable_column_and_its_index(stocked: Shop) -> None:
    plan = stocked.migrate(
        order=order(ORDER_FIELDS + "      shipped: {type: date, required: true}\n")
    )
    assert lines(plan) == [
        "+ add column 'shipped' to shop__order for new field 'shipped' of 'order' (date)",
        "+ create index ix_shop__order__shipped on shop__order (shipped)",
    ]
    assert "ix_shop__order__shipped" in stocked.index_names("shop__order")
    assert stocked.read("shop__order", "shipped") == [(None,), (None,)]


def test_adding_an_entity_keeps_the_rows(stocked: Shop) -> None:
    invoice = """
        entity: invoice
        label: Invoice
        fields:
          order: {type: link, to: order}
          total: {type: money}
        permissions:
          clerk: {create: true, read: all}
        """
    plan = stocked.migrate(invoice=invoice)
    assert lines(plan) == [
        "+ create table shop__invoice for new entity 'invoice' (2 field column(s), 2 index(es))"
    ]
    assert order_data(stocked) == ORDER_DATA
    stocked.insert("shop__invoice", {"order": 2, "total": Decimal("-5.05")})
    total = stocked.tables().entity("invoice").c.total.type
    assert stocked.read("shop__invoice", "total", types={"total": total}) == [(Decimal("-5.05"),)]


def test_renaming_a_field_with_renamed_from_keeps_values_and_rebuilds_indexes(
    stocked: Shop,
) -> None:
    fields = ORDER_FIELDS.replace(
        "title: {type: text, max_length: 50}",
        "subject: {type: text, max_length: 50, renamed_from: title}",
    )
    tail = ORDER_TAIL.replace("[title]", "[subject]")
    plan = stocked.migrate(order=order(fields, tail=tail))
    assert lines(plan) == [
        "~ drop index ux_shop__order__title of entity 'order' (no longer declared)",
        "~ rename field 'subject' of 'order' from 'title' "
        "(2 stored value(s) kept, indexes rebuilt)",
        "+ create index ux_shop__order__subject on shop__order (subject)",
    ]
    assert order_data(stocked, title="subject") == ORDER_DATA
    assert "title" not in stocked.columns("shop__order")
    assert "ux_shop__order__subject" in stocked.index_names("shop__order")
    assert stocked.plan(order=order(fields, tail=tail)).is_empty


def test_renaming_an_entity_renames_its_table_history_and_sequences(stocked: Shop) -> None:
    system = stocked.tables().system
    with stocked.db.begin() as connection:
        connection.execute(
            system.history.insert(),
            [{"app": "shop", "entity": "order", "record_id": 1, "at": NOW, "kind": "create"}],
        )
        connection.execute(
            system.sequences.insert(),
            [{"app": "shop", "key": "order.number", "period": "", "value": 7}],
        )
    purchase = order(head="entity: purchase\nrenamed_from: order\n")
    plan = stocked.migrate(order=None, purchase=purchase)
    assert (
        "~ rename entity 'order' to 'purchase': table shop__order becomes shop__purchase "
        "(2 record(s) kept, indexes rebuilt)"
    ) in lines(plan)
    assert plan.refused() == ()
    assert "shop__order" not in stocked.table_names()
    amount = stocked.tables().entity("purchase").c.amount.type
    assert stocked.read("shop__purchase", "title", "amount", types={"amount": amount}) == ORDER_DATA
    indexes = stocked.index_names("shop__purchase")
    assert "ux_shop__purchase__title" in indexes
    assert not any("shop__order" in name for name in indexes)
    assert stocked.read("fw_history", "entity") == [("purchase",)]
    with stocked.db.begin(readonly=True) as connection:
        sequences = connection.execute(sa.select(system.sequences.c.key, system.sequences.c.value))
        assert [tuple(row) for row in sequences] == [("purchase.number", 7)]
    assert stocked.plan(purchase=purchase).is_empty


def test_dropping_a_field_is_refused_and_changes_nothing(stocked: Shop) -> None:
    fields = ORDER_FIELDS.replace("      notes: {type: long_text}\n", "")
    plan = stocked.plan(order=order(fields))
    assert lines(plan) == [
        "! field 'notes' of 'order' is no longer in the spec: dropping column 'notes' of "
        "shop__order would lose its 2 stored value(s); "
        f"when allowed it is kept as _dropped_notes_{STAMP}"
    ]
    with pytest.raises(MigrationRefused) as refused:
        apply_migration(stocked.db, plan, now=NOW)
    assert refused.value.refused == plan.steps
    assert stocked.read("shop__order", "notes") == [("urgent",), ("call",)]


def test_an_allowed_drop_keeps_the_column_aside(stocked: Shop) -> None:
    fields = ORDER_FIELDS.replace("      notes: {type: long_text}\n", "")
    stocked.migrate(order=order(fields), allow=True)
    assert "notes" not in stocked.columns("shop__order")
    assert stocked.read("shop__order", f"_dropped_notes_{STAMP}") == [("urgent",), ("call",)]
    assert order_data(stocked) == ORDER_DATA
    assert stocked.plan(order=order(fields)).is_empty


def test_a_rename_without_renamed_from_is_refused_with_a_hint(stocked: Shop) -> None:
    fields = ORDER_FIELDS.replace("notes: {type: long_text}", "remarks: {type: long_text}")
    plan = stocked.plan(order=order(fields))
    refused = [step.sentence for step in plan.refused()]
    assert len(refused) == 1
    assert refused[0].endswith("; if it was renamed, add `renamed_from: notes` to field 'remarks'")


def test_dropping_an_entity_is_refused_then_kept_aside(stocked: Shop) -> None:
    invoice = (
        "entity: invoice\nlabel: Invoice\nfields:\n  total: {type: money}\n"
        "permissions:\n  clerk: {read: all}\n"
    )
    stocked.migrate(invoice=invoice)
    stocked.insert("shop__invoice", {"total": Decimal("1.00")})
    plan = stocked.plan(invoice=None)
    assert lines(plan) == [
        "! entity 'invoice' is no longer in the spec: dropping table shop__invoice would lose its "
        f"1 row(s); when allowed it is kept as _dropped_shop__invoice_{STAMP}"
    ]
    with pytest.raises(MigrationRefused):
        apply_migration(stocked.db, plan, now=NOW)
    assert "shop__invoice" in stocked.table_names()
    apply_migration(stocked.db, plan, allow_destructive=True, now=NOW)
    assert "shop__invoice" not in stocked.table_names()
    assert stocked.read(f"_dropped_shop__invoice_{STAMP}", "total") == [(100,)]
    recreated = stocked.migrate(invoice=invoice)
    assert [step.kind for step in recreated.steps] == [StepKind.ADDITIVE]
    stocked.insert("shop__invoice", {"total": Decimal("2.00")})
    assert stocked.read("shop__invoice", "total") == [(200,)]


def test_widening_a_string_keeps_values_and_the_partial_unique_index(stocked: Shop) -> None:
    fields = ORDER_FIELDS.replace("max_length: 50", "max_length: 200")
    plan = stocked.migrate(order=order(fields))
    assert lines(plan) == [
        "+ widen field 'title' of 'order' from text of up to 50 characters "
        "to text of up to 200 characters"
    ]
    with stocked.db.begin(readonly=True) as connection:
        title = next(
            c for c in sa.inspect(connection).get_columns("shop__order") if c["name"] == "title"
        )
    assert isinstance(title["type"], sa.String) and title["type"].length == 200
    assert order_data(stocked) == ORDER_DATA
    assert "ux_shop__order__title" in stocked.index_names("shop__order")
    stocked.insert("shop__order", {"title": "x" * 120, "deleted_at": NOW}, {"title": "x" * 120})
    with pytest.raises(SQLAlchemyError):
        stocked.insert("shop__order", {"title": "x" * 120})


def test_widening_a_linked_table_keeps_the_links_to_it(stocked: Shop) -> None:
    wider = CUSTOMER.replace("max_length: 100", "max_length: 300")
    assert [step.kind for step in stocked.migrate(customer=wider).steps] == [StepKind.ADDITIVE]
    assert stocked.read("shop__order", "customer") == [(1,), (2,)]
    with pytest.raises(SQLAlchemyError):
        stocked.insert("shop__order", {"title": "orphan", "customer": 99})
    stocked.insert("shop__order", {"title": "third", "customer": 2})
    if stocked.db.dialect == "sqlite":
        with stocked.db.begin(readonly=True) as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def test_narrowing_a_string_copies_the_values_that_fit(stocked: Shop) -> None:
    fields = ORDER_FIELDS.replace("max_length: 50", "max_length: 5")
    plan = stocked.plan(order=order(fields))
    assert [step.kind for step in plan.steps] == [StepKind.DESTRUCTIVE, StepKind.ADDITIVE]
    assert plan.steps[1].line() == "+ create index ux_shop__order__title on shop__order (title)"
    assert plan.steps[0].sentence.startswith(
        "field 'title' of 'order' changes from text of up to 50 characters "
        "to text of up to 5 characters: "
        "1 of 2 stored value(s) cannot be converted and would be lost"
    )
    apply_migration(stocked.db, plan, allow_destructive=True, now=NOW)
    assert stocked.read("shop__order", "title", f"_dropped_title_{STAMP}") == [
        ("first", "first"),
        (None, "second order"),
    ]
    assert "ux_shop__order__title" in stocked.index_names("shop__order")


def test_a_type_change_converts_what_converts(stocked: Shop) -> None:
    fields = ORDER_FIELDS.replace("due: {type: date}", "due: {type: text}")
    stocked.migrate(order=order(fields), allow=True)
    with stocked.db.begin() as connection:
        connection.execute(
            sa.text("UPDATE shop__order SET due = CASE WHEN id = 1 THEN '42' ELSE 'soon' END")
        )
    changed = ORDER_FIELDS.replace("due: {type: date}", "due: {type: integer}")
    plan = stocked.migrate(order=order(changed), allow=True)
    assert "1 of 2 stored value(s) cannot be converted" in plan.steps[0].sentence
    # The first change already used _dropped_due_<stamp>: the second aside gets a suffix.
    assert stocked.read("shop__order", "due", f"_dropped_due_2_{STAMP}") == [
        (42, "42"),
        (None, "soon"),
    ]


def test_money_that_becomes_an_integer_is_a_type_change(stocked: Shop) -> None:
    fields = ORDER_FIELDS.replace("amount: {type: money}", "amount: {type: integer}")
    plan = stocked.plan(order=order(fields))
    assert [step.kind for step in plan.steps] == [StepKind.DESTRUCTIVE]
    assert (
        "changes from money with 2 decimal places to whole number: 1 of 2 stored value(s)"
        in plan.steps[0].sentence
    )


def test_a_unique_index_over_duplicates_is_blocked_even_when_destructive_is_allowed(
    stocked: Shop,
) -> None:
    stocked.insert("shop__customer", {"name": "ACME"})
    unique = CUSTOMER.replace(
        "name: {type: text, max_length: 100}", "name: {type: text, max_length: 100, unique: true}"
    )
    plan = stocked.plan(customer=unique)
    assert lines(plan) == [
        "! cannot create the unique index ux_shop__customer__name on entity 'customer' "
        "(name): 1 value(s) are used by more than one live record; "
        "make them unique, then migrate again"
    ]
    with pytest.raises(MigrationRefused):
        apply_migration(stocked.db, plan, allow_destructive=True, now=NOW)
    customers = stocked.tables().entity("customer")
    with stocked.db.begin() as connection:
        connection.execute(sa.update(customers).where(customers.c.id == 3).values(deleted_at=NOW))
    assert [step.kind for step in stocked.plan(customer=unique).steps] == [StepKind.ADDITIVE]


TICKET = """
    entity: ticket
    label: Ticket
    fields:
      title: {type: text}
    permissions:
      clerk: {create: true, read: all}
    workflow:
      field: status
      states:
        open: {initial: true}
        %s
        closed: {final: true}
      transitions:
        close: {from: "*", to: closed}
        %s
      %s
    """


def test_state_map_moves_records_out_of_removed_states(shop: Shop) -> None:
    shop.migrate(ticket=TICKET % ("pending: {}", "wait: {from: open, to: pending}", ""))
    shop.insert("shop__ticket", {"status": "pending"}, {"status": "open"}, {"status": "pending"})
    mapped = TICKET % ("", "", "state_map: {pending: open}")
    plan = shop.migrate(ticket=mapped)
    assert lines(plan) == [
        "~ move records of 'ticket' between states (state_map): 2 from 'pending' to 'open'"
    ]
    assert shop.read("shop__ticket", "status") == [("open",), ("open",), ("open",)]
    assert shop.plan(ticket=mapped).is_empty


def test_subform_and_multi_select_tables_follow_an_entity_rename(shop: Shop) -> None:
    quote = """
        entity: {name}
        {renamed}
        label: Quote
        fields:
          tags: {{type: multi_select, options: [a, b]}}
          lines:
            type: subform
            fields:
              product: {{type: text}}
              price: {{type: money}}
        permissions:
          clerk: {{create: true, read: all}}
        """
    shop.migrate(quote=quote.format(name="quote", renamed=""))
    shop.insert("shop__quote", {})
    with shop.db.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO shop__quote__tags (parent_id, sort_order, value) VALUES (1, 0, 'a')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO shop__quote__lines (parent_id, sort_order, product, price) "
                "VALUES (1, 0, 'pen', 250)"
            )
        )
    plan = shop.migrate(quote=None, offer=quote.format(name="offer", renamed="renamed_from: quote"))
    assert plan.refused() == ()
    renames = [step.line() for step in plan.steps if step.kind is StepKind.RENAME]
    assert [line for line in renames if line.startswith("~ rename")] == [
        "~ rename entity 'quote' to 'offer': table shop__quote becomes shop__offer "
        "(1 record(s) kept, indexes rebuilt)",
        "~ rename table shop__quote__tags (multi_select field 'tags' of 'quote') to "
        "shop__offer__tags for multi_select field 'tags' of 'offer' "
        "(1 row(s) kept, indexes rebuilt)",
        "~ rename table shop__quote__lines (subform field 'lines' of 'quote') to "
        "shop__offer__lines for subform field 'lines' of 'offer' (1 row(s) kept, indexes rebuilt)",
    ]
    assert {"shop__offer", "shop__offer__tags", "shop__offer__lines"} <= shop.table_names()
    assert shop.read("shop__offer__tags", "value") == [("a",)]
    assert shop.read("shop__offer__lines", "product", "price") == [("pen", 250)]


def test_a_failing_step_rolls_the_whole_migration_back(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = shop.plan(order=order())
    last = plan.steps[-1]

    def fail(self: object, run: object) -> None:
        raise SQLAlchemyError("disk on fire")

    monkeypatch.setattr(type(last), "apply", fail)
    with pytest.raises(MigrationFailed) as failed:
        apply_migration(shop.db, plan, now=NOW)
    assert "disk on fire" in str(failed.value)
    assert shop.table_names() == set()


def test_the_dry_run_plan_changes_nothing(shop: Shop) -> None:
    plan = shop.plan(order=order())
    text = plan.describe()
    assert text.splitlines()[0] == f"Migration plan for app 'shop' ({shop.db.dialect}):"
    assert text.splitlines()[-1] == f"{len(plan.steps)} step(s): {len(plan.steps)} additive."
    assert shop.table_names() == set()


def test_the_sales_template_migrates_and_then_matches(
    db: Database, load_spec: Callable[[Path], AppSpec], project_registry: Registry
) -> None:
    app = load_spec(Path(__file__).resolve().parents[2] / "apps" / "sales_crm")
    tables = build_tables(app, sa.MetaData(), registry=project_registry)
    plan = plan_migration(db, app, tables, now=NOW)
    assert plan.refused() == ()
    created = {s.sentence.split()[2] for s in plan.steps if s.sentence.startswith("create table")}
    assert created == {
        f"sales_crm__{name}"
        for name in ("customer", "contact", "deal", "follow_up", "contract", "target", "bonus")
    } | {"sales_crm__contract__lines"}
    apply_migration(db, plan, now=NOW)
    assert plan_migration(db, app, tables, now=NOW).is_empty
