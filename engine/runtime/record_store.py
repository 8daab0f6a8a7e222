"""Rows in and out of an entity's tables: the record's own row, its subform rows and
multi_select choices (child tables), and its attachments (rows of `fw_files`).

Typed values go in and come out (the column types convert money, dates and numbers); this
module decides nothing about permissions or validity — the record service does, and is the
only caller that writes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from engine.spec.model import AppSpec
from engine.storage.shapes import ShapeKind
from engine.storage.tables import AppTables, ChildTable, EntityTables

__all__ = ["FILE_COLUMNS", "STAMP_COLUMNS", "RecordStore", "inserted_id"]

STAMP_COLUMNS: tuple[str, ...] = ("id", "created_at", "created_by", "updated_at", "updated_by")
STAMP_COLUMNS += ("version", "deleted_at")
FILE_COLUMNS = ("id", "name", "size", "mime")
_CHILD_KINDS = (ShapeKind.SUBFORM, ShapeKind.CHOICES)
_MAX_CACHED_UPDATES = 1024
"""UPDATE statements are kept per set of changed columns; past this many, built per call."""


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT added."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


class RecordStore:
    """Reads and writes the rows of one app's entities."""

    def __init__(self, app: AppSpec, tables: AppTables) -> None:
        self.app = app
        self.tables = tables
        # Statements built once per entity and run with parameters: building one per call
        # (coercion, cache-key generation) cost more than executing it.
        self._by_id: dict[tuple[str, bool | None], sa.Select[Any]] = {}
        self._inserts: dict[str, sa.Insert] = {}
        self._inserts_returning: dict[str, sa.Insert] = {}
        self._live_ids: dict[str, sa.Select[Any]] = {}
        self._unique: dict[tuple[str, tuple[str, ...], bool], sa.Select[Any]] = {}
        users = tables.system.users
        self.active_user_query = sa.select(users.c.id).where(
            users.c.username == sa.bindparam("username"), users.c.active
        )
        """The id of the active user `:username` (no row: none such)."""
        teams = tables.system.teams
        self.team_query = sa.select(teams.c.id).where(teams.c.id == sa.bindparam("team_id"))
        """The id of the team `:team_id` (no row: none such)."""
        self._updates: dict[tuple[str, tuple[str, ...]], sa.Update] = {}
        self._derives: dict[Hashable, sa.Update] = {}
        self.kept_statements: dict[Hashable, Any] = {}
        """Statements other runtime modules build once and keep here (their own keys)."""

    def entity(self, name: str) -> EntityTables:
        """An entity's tables."""
        return self.tables.entity_tables(name)

    # -- reading ----------------------------------------------------------------------------

    def select_row(
        self,
        connection: Connection,
        entity: str,
        record_id: int,
        *,
        where: ColumnElement[Any] | None = None,
        deleted: bool | None = False,
    ) -> RowMapping | None:
        """The record's row; `deleted` False: live only, True: deleted only, None: either."""
        query = self._select_by_id(entity, deleted)
        if where is not None:
            query = query.where(where)
        row = connection.execute(query, {"record_id": record_id}).first()
        return row._mapping if row is not None else None

    def _select_by_id(self, entity: str, deleted: bool | None) -> sa.Select[Any]:
        query = self._by_id.get((entity, deleted))
        if query is None:
            table = self.entity(entity).table
            query = sa.select(table).where(table.c.id == sa.bindparam("record_id"))
            if deleted is not None:
                gone = table.c.deleted_at.is_not(None)
                query = query.where(gone if deleted else table.c.deleted_at.is_(None))
            self._by_id[(entity, deleted)] = query
        return query

    def live_id_query(self, entity: str) -> sa.Select[Any]:
        """The id of the live record `:record_id` of `entity` (a statement built once)."""
        query = self._live_ids.get(entity)
        if query is None:
            table = self.entity(entity).table
            query = sa.select(table.c.id).where(
                table.c.id == sa.bindparam("record_id"), table.c.deleted_at.is_(None)
            )
            self._live_ids[entity] = query
        return query

    def unique_query(self, entity: str, key: tuple[str, ...], *, excluding: bool) -> sa.Select[Any]:
        """A live record of `entity` whose `key` columns equal the parameters `:key_0`,
        `:key_1`, … (and, `excluding`, whose id is not `:self_id`); built once per key."""
        query = self._unique.get((entity, key, excluding))
        if query is None:
            table = self.entity(entity).table
            query = sa.select(table.c.id).where(
                table.c.deleted_at.is_(None),
                *(table.c[n] == sa.bindparam(f"key_{i}") for i, n in enumerate(key)),
            )
            if excluding:
                query = query.where(table.c.id != sa.bindparam("self_id"))
            query = query.limit(1)
            self._unique[(entity, key, excluding)] = query
        return query

    def column_values(self, entity: str, row: Mapping[Any, Any]) -> dict[str, Any]:
        """The field values held in the record's own columns (plus its system columns)."""
        tables = self.entity(entity)
        values = {name: row[name] for name in STAMP_COLUMNS}
        for name, stored in tables.fields.items():
            if stored.has_column:
                values[name] = row[name]
        return values

    def children_of(
        self, connection: Connection, entity: str, ids: Sequence[int]
    ) -> dict[int, dict[str, Any]]:
        """Subform rows, multi_select choices and attachments of several records at once."""
        found: dict[int, dict[str, Any]] = {record_id: {} for record_id in ids}
        if not ids:
            return found
        tables = self.entity(entity)
        for name, child in tables.children.items():
            if child.is_choices:
                chosen = self._choices(connection, child, ids)
                for record_id in ids:
                    found[record_id][name] = chosen.get(record_id, [])
            else:
                rows = self._rows(connection, child, ids)
                for record_id in ids:
                    found[record_id][name] = rows.get(record_id, [])
        for name, stored in tables.fields.items():
            if stored.shape.kind is ShapeKind.FILES:
                files = self._files(connection, entity, name, ids)
                for record_id in ids:
                    found[record_id][name] = files.get(record_id, [])
        return found

    def _choices(
        self, connection: Connection, child: ChildTable, ids: Sequence[int]
    ) -> dict[int, list[str]]:
        table = child.table
        query = (
            sa.select(table.c.parent_id, table.c.value)
            .where(table.c.parent_id.in_(list(ids)))
            .order_by(table.c.parent_id, table.c.sort_order, table.c.id)
        )
        chosen: dict[int, list[str]] = {}
        for row in connection.execute(query):
            chosen.setdefault(int(row.parent_id), []).append(str(row.value))
        return chosen

    def _rows(
        self, connection: Connection, child: ChildTable, ids: Sequence[int]
    ) -> dict[int, list[dict[str, Any]]]:
        table = child.table
        query = (
            sa.select(table)
            .where(table.c.parent_id.in_(list(ids)))
            .order_by(table.c.parent_id, table.c.sort_order, table.c.id)
        )
        rows = [row._mapping for row in connection.execute(query)]
        row_ids = [int(row["id"]) for row in rows]
        nested = {
            name: self._choices(connection, grandchild, row_ids)
            for name, grandchild in child.children.items()
        }
        found: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            values: dict[str, Any] = {}
            for name, stored in child.fields.items():
                if stored.has_column:
                    values[name] = row[name]
                elif name in nested:
                    values[name] = nested[name].get(int(row["id"]), [])
            found.setdefault(int(row["parent_id"]), []).append(values)
        return found

    def _files(
        self, connection: Connection, entity: str, field: str, ids: Sequence[int]
    ) -> dict[int, list[dict[str, Any]]]:
        files = self.tables.system.files
        query = (
            sa.select(files.c.record_id, *(files.c[name] for name in FILE_COLUMNS))
            .where(
                files.c.app == self.app.id,
                files.c.entity == entity,
                files.c.field == field,
                files.c.record_id.in_(list(ids)),
            )
            .order_by(files.c.id)
        )
        found: dict[int, list[dict[str, Any]]] = {}
        for row in connection.execute(query):
            item = {name: row._mapping[name] for name in FILE_COLUMNS}
            found.setdefault(int(row.record_id), []).append(item)
        return found

    # -- writing ----------------------------------------------------------------------------

    def insert(
        self,
        connection: Connection,
        entity: str,
        values: Mapping[str, Any],
        stamps: Mapping[str, Any],
    ) -> int:
        """Insert the record's row (column fields and stamps); returns its id."""
        tables = self.entity(entity)
        row = {**self._columns(tables, values), **stamps}
        statement = self._inserts.get(entity)
        if statement is None:
            statement = self._inserts[entity] = tables.table.insert()
        return inserted_id(connection.execute(statement, row))

    def insert_returning(
        self,
        connection: Connection,
        entity: str,
        values: Mapping[str, Any],
        stamps: Mapping[str, Any],
    ) -> RowMapping:
        """Insert the record's row and return it as stored (`INSERT … RETURNING` every
        column, read back through the column types): what a fresh SELECT would give,
        without a second statement."""
        row = {**self._columns(self.entity(entity), values), **stamps}
        result = connection.execute(self._insert_returning(entity), row)
        return result.mappings().one()

    def insert_many_returning(
        self,
        connection: Connection,
        entity: str,
        rows: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    ) -> list[RowMapping]:
        """Insert several records' rows (each `(values, stamps)`) in one executemany and
        return them as stored, in the order given."""
        tables = self.entity(entity)
        params = [{**self._columns(tables, values), **stamps} for values, stamps in rows]
        if not params:
            return []
        statement = self._insert_returning(entity)
        result = connection.execute(statement, params)
        found = list(result.mappings())
        if len(found) != len(params):
            raise RuntimeError(f"inserted {len(params)} rows but {len(found)} came back")
        return found

    def _insert_returning(self, entity: str) -> sa.Insert:
        statement = self._inserts_returning.get(entity)
        if statement is None:
            table = self.entity(entity).table
            statement = table.insert().returning(*table.c, sort_by_parameter_order=True)
            self._inserts_returning[entity] = statement
        return statement

    def update(
        self,
        connection: Connection,
        entity: str,
        record_id: int,
        values: Mapping[str, Any],
        stamps: Mapping[str, Any],
        *,
        expected_version: int,
    ) -> bool:
        """Write the row if it is still at `expected_version` (and live); False otherwise.
        The version goes up by one."""
        tables = self.entity(entity)
        row = {**self._columns(tables, values), **stamps}
        # Bind names are prefixed: SQLAlchemy reserves the column names in an UPDATE's SET.
        params = {f"v_{name}": value for name, value in row.items()}
        params |= {"w_id": record_id, "w_version": expected_version}
        return bool(connection.execute(self._update(entity, tuple(row)), params).rowcount)

    def _update(self, entity: str, columns: tuple[str, ...]) -> sa.Update:
        """`UPDATE … SET columns, version + 1 WHERE id, version, live`, built once per set
        of columns."""
        statement = self._updates.get((entity, columns))
        if statement is None:
            table = self.entity(entity).table
            sets: dict[str, Any] = {
                name: sa.bindparam(f"v_{name}", type_=table.c[name].type) for name in columns
            }
            sets["version"] = table.c.version + 1
            statement = (
                table.update()
                .where(
                    table.c.id == sa.bindparam("w_id"),
                    table.c.version == sa.bindparam("w_version"),
                    table.c.deleted_at.is_(None),
                )
                .values(sets)
            )
            if len(self._updates) < _MAX_CACHED_UPDATES:
                self._updates[(entity, columns)] = statement
        return statement

    def derive(
        self,
        connection: Connection,
        entity: str,
        updates: Sequence[tuple[int, Mapping[str, Any]]],
        *,
        bump: bool = True,
    ) -> None:
        """Write derived column values (roll-ups and the formulas over them) of live records:
        their version goes up by one (not for records created in this very write: `bump`
        False), their stamps stay (nobody edited them). Records with the same set of columns
        are written by one executemany."""
        fields = self.entity(entity).fields
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for record_id, values in updates:
            names = tuple(sorted(k for k in values if k in fields and fields[k].has_column))
            params = {f"v_{name}": values[name] for name in names}
            groups.setdefault(names, []).append(params | {"w_id": record_id})
        for names, rows in groups.items():
            connection.execute(self._derive_statement(entity, names, bump), rows)

    def derive_by(
        self, connection: Connection, entity: str, record_id: int, moves: Mapping[str, Any]
    ) -> bool:
        """Add `moves` (column → amount) to the stored values of a live record, in the
        database (`SET f = f + :amount`, version + 1): a `sum` or `count` roll-up moved by
        what a write added or took away, with no read — on PostgreSQL the row lock of the
        UPDATE itself orders two writers. False when the record is gone or one of the
        columns is blank (never computed: the caller aggregates it instead)."""
        columns = tuple(moves)
        key = ("derive_by", entity, columns)
        statement = self._derives.get(key)
        if statement is None:
            table = self.entity(entity).table
            sets: dict[str, Any] = {
                name: table.c[name] + sa.bindparam(f"v_{name}", type_=table.c[name].type)
                for name in columns
            }
            sets["version"] = table.c.version + 1
            statement = (
                table.update()
                .where(
                    table.c.id == sa.bindparam("w_id"),
                    table.c.deleted_at.is_(None),
                    *(table.c[name].is_not(None) for name in columns),
                )
                .values(sets)
            )
            if len(self._derives) < _MAX_CACHED_UPDATES:
                self._derives[key] = statement
        params = {f"v_{name}": value for name, value in moves.items()} | {"w_id": record_id}
        return bool(connection.execute(statement, params).rowcount)

    def _derive_statement(self, entity: str, columns: tuple[str, ...], bump: bool) -> sa.Update:
        """`UPDATE … SET columns[, version + 1] WHERE id, live`, built once per set of
        columns (a roll-up's holders are written on every write of its sources)."""
        key = ("derive", entity, columns, bump)
        statement = self._derives.get(key)
        if statement is None:
            table = self.entity(entity).table
            sets: dict[str, Any] = {
                name: sa.bindparam(f"v_{name}", type_=table.c[name].type) for name in columns
            }
            if bump:
                sets["version"] = table.c.version + 1
            statement = (
                table.update()
                .where(table.c.id == sa.bindparam("w_id"), table.c.deleted_at.is_(None))
                .values(sets)
            )
            if len(self._derives) < _MAX_CACHED_UPDATES:
                self._derives[key] = statement
        return statement

    def set_deleted(
        self,
        connection: Connection,
        entity: str,
        record_id: int,
        stamps: Mapping[str, Any],
        *,
        deleted: bool,
        expected_version: int | None = None,
    ) -> bool:
        """Mark the record deleted (or live again); False when it is not in the other state
        (or not at `expected_version`)."""
        table = self.entity(entity).table
        statement = table.update().where(
            table.c.id == record_id,
            table.c.deleted_at.is_(None) if deleted else table.c.deleted_at.is_not(None),
        )
        if expected_version is not None:
            statement = statement.where(table.c.version == expected_version)
        moment = stamps["updated_at"]
        statement = statement.values(
            {**stamps, "deleted_at": moment if deleted else None, "version": table.c.version + 1}
        )
        return bool(connection.execute(statement).rowcount)

    def write_children(
        self, connection: Connection, entity: str, record_id: int, values: Mapping[str, Any]
    ) -> None:
        """Replace the child rows of every subform / multi_select field present in `values`."""
        tables = self.entity(entity)
        for name, child in tables.children.items():
            if name in values:
                self._replace(connection, child, record_id, values[name] or [])

    def _replace(
        self, connection: Connection, child: ChildTable, parent_id: int, items: Iterable[Any]
    ) -> None:
        table = child.table
        if child.children:
            old_rows = sa.select(table.c.id).where(table.c.parent_id == parent_id)
            for grandchild in child.children.values():
                gc = grandchild.table
                connection.execute(gc.delete().where(gc.c.parent_id.in_(old_rows)))
        connection.execute(table.delete().where(table.c.parent_id == parent_id))
        for order, item in enumerate(items):
            if child.is_choices:
                row = {"parent_id": parent_id, "sort_order": order, "value": item}
                connection.execute(table.insert().values(row))
                continue
            columns = {
                name: item.get(name) for name, stored in child.fields.items() if stored.has_column
            }
            result = connection.execute(
                table.insert().values({"parent_id": parent_id, "sort_order": order, **columns})
            )
            row_id = inserted_id(result)
            for name, grandchild in child.children.items():
                self._replace(connection, grandchild, row_id, item.get(name) or [])

    def attach_files(
        self,
        connection: Connection,
        entity: str,
        record_id: int,
        field: str,
        file_ids: Sequence[int],
    ) -> None:
        """Make `file_ids` the files of the record's attachment field (others are detached,
        their rows and contents kept)."""
        files = self.tables.system.files
        mine = sa.and_(
            files.c.app == self.app.id,
            files.c.entity == entity,
            files.c.field == field,
        )
        connection.execute(
            files.update()
            .where(mine, files.c.record_id == record_id, files.c.id.not_in(list(file_ids)))
            .values(record_id=None)
        )
        if file_ids:
            connection.execute(
                files.update()
                .where(mine, files.c.id.in_(list(file_ids)))
                .values(record_id=record_id)
            )

    @staticmethod
    def _columns(tables: EntityTables, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: values[name]
            for name, stored in tables.fields.items()
            if stored.has_column and name in values
        }
