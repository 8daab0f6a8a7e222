"""Attachments: file contents live in a `FileStorage` (a local folder, `instance/files/`, by
default), their descriptions in `fw_files` rows (name, size, type, and the record and field
they are attached to).

A file is uploaded first (a row with no record, owned by its uploader), then attached when
a record is saved with its id in an attachment field (`engine.runtime.records`). Reading a
file needs read access to its record and field; an unattached file is visible to its
uploader only.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import sqlalchemy as sa

from engine.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from engine.runtime.actor import Actor
from engine.runtime.clock import Clock
from engine.runtime.messages import Message, render
from engine.runtime.permissions import Permissions
from engine.runtime.record_store import inserted_id
from engine.spec.model import AppSpec, FieldSpec
from engine.storage.database import Database
from engine.storage.tables import AppTables

__all__ = ["FileService", "FileStorage", "LocalFileStorage", "StoredFile"]

_KEY = re.compile(r"^[a-z][a-z0-9_]*/[0-9a-f]{32}$")
_CHUNK = 1 << 16
_MEGABYTE = 1 << 20


class FileStorage(Protocol):
    """Where file contents are kept, by key."""

    def save(self, key: str, stream: BinaryIO, *, limit: int | None = None) -> int:
        """Store the stream under `key`; returns its size. Raises ValueError (and keeps
        nothing) when it is longer than `limit` bytes."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The stored contents (FileNotFoundError when gone)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the contents (nothing happens when they are gone)."""
        ...


class LocalFileStorage:
    """File contents in a folder: `<root>/<app>/<first two hex digits>/<rest>`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a storage key: {key!r}")
        app, name = key.split("/")
        return self.root / app / name[:2] / name[2:]

    def save(self, key: str, stream: BinaryIO, *, limit: int | None = None) -> int:
        """Copy the stream into place (through a temporary file, so a reader never sees
        half a file)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        size = 0
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise ValueError(f"larger than {limit} bytes")
                    out.write(chunk)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return size

    def open(self, key: str) -> BinaryIO:
        """The stored contents."""
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        """Remove the contents."""
        self._path(key).unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredFile:
    """A file's description (its `fw_files` row)."""

    id: int
    name: str
    size: int
    mime: str | None
    entity: str
    field: str
    record_id: int | None
    storage_key: str

    def as_value(self) -> Mapping[str, object]:
        """How an attachment field lists it: id, name, size, mime."""
        return {"id": self.id, "name": self.name, "size": self.size, "mime": self.mime}


class FileService:
    """Uploads and downloads of one app's attachments."""

    def __init__(
        self,
        db: Database,
        app: AppSpec,
        tables: AppTables,
        storage: FileStorage,
        permissions: Permissions,
        clock: Clock,
    ) -> None:
        self.db = db
        self.app = app
        self.tables = tables
        self.storage = storage
        self.permissions = permissions
        self.clock = clock

    def upload(
        self,
        actor: Actor,
        entity: str,
        field: str,
        name: str,
        stream: BinaryIO,
        mime: str | None = None,
    ) -> StoredFile:
        """Store an uploaded file for `entity.field`, not yet attached to a record."""
        spec = self._field(actor, entity, field)
        locale = actor.locale or self.app.default_locale
        accept = [str(a).lower() for a in spec.option("accept", ()) or ()]
        if accept and not _accepted(name, mime, accept):
            message = Message("file_type", {"accept": ", ".join(accept)})
            raise ValidationFailed({field: [render(message, locale)]})
        size_mb = spec.option("max_size_mb")
        limit = int(size_mb * _MEGABYTE) if isinstance(size_mb, int | float) else None
        key = f"{self.app.id}/{uuid.uuid4().hex}"
        try:
            size = self.storage.save(key, stream, limit=limit)
        except ValueError as error:
            message = Message("file_size", {"limit": size_mb})
            raise ValidationFailed({field: [render(message, locale)]}) from error
        try:
            file_id = self._record_upload(actor, entity, field, name, mime, key, size)
        except Exception:
            self.storage.delete(key)  # no row points at the contents: do not keep them
            raise
        return self.describe(actor, file_id)

    def _record_upload(
        self,
        actor: Actor,
        entity: str,
        field: str,
        name: str,
        mime: str | None,
        key: str,
        size: int,
    ) -> int:
        files = self.tables.system.files
        with self.db.begin() as connection:
            result = connection.execute(
                files.insert().values(
                    storage_key=key,
                    name=Path(name).name[:255] or "file",
                    size=size,
                    mime=mime,
                    app=self.app.id,
                    entity=entity,
                    record_id=None,
                    field=field,
                    created_at=self.clock.now(),
                    created_by=actor.username,
                )
            )
            return inserted_id(result)

    def describe(self, actor: Actor, file_id: int) -> StoredFile:
        """A file's description, when the actor may see it (NotFound otherwise)."""
        files = self.tables.system.files
        with self.db.begin(readonly=True) as connection:
            row = connection.execute(
                sa.select(files).where(files.c.id == file_id, files.c.app == self.app.id)
            ).first()
            if row is None or not self._may_read(connection, actor, row._mapping):
                raise NotFound(f"there is no file with id {file_id}")
        return _stored(row._mapping)

    def open(self, actor: Actor, file_id: int) -> tuple[StoredFile, BinaryIO]:
        """A file's description and contents, when the actor may read them."""
        stored = self.describe(actor, file_id)
        try:
            return stored, self.storage.open(stored.storage_key)
        except FileNotFoundError as error:
            raise NotFound(f"the contents of file {file_id} are missing") from error

    def copy_to(self, actor: Actor, file_id: int, target: BinaryIO) -> StoredFile:
        """Write a file's contents to `target` (for exports)."""
        stored, source = self.open(actor, file_id)
        with source:
            shutil.copyfileobj(source, target)
        return stored

    def _field(self, actor: Actor, entity: str, field: str) -> FieldSpec:
        spec = self.app.entities.get(entity)
        if spec is None:
            raise NotFound(f"there is no entity '{entity}'")
        found = spec.fields.get(field)
        if found is None or found.type != "attachment":
            raise BadRequest(f"'{field}' is not an attachment field of '{entity}'")
        may_write = self.permissions.can_create(actor, entity) or self.permissions.can(
            actor, entity, "update"
        )
        if not may_write or self.permissions.field_access(actor, entity, field) != "edit":
            raise Forbidden(f"you may not upload files to '{entity}.{field}'")
        return found

    def _may_read(self, connection: sa.Connection, actor: Actor, row: Mapping[Any, Any]) -> bool:
        entity, record_id = str(row["entity"]), row["record_id"]
        if record_id is None:
            return self.permissions.is_admin(actor) or row["created_by"] == actor.username
        if entity not in self.app.entities:
            return False
        if self.permissions.field_access(actor, entity, str(row["field"])) == "none":
            return False
        table = self.tables.entity(entity)
        query = sa.select(table.c.id).where(
            table.c.id == record_id,
            table.c.deleted_at.is_(None),
            self.permissions.row_filter(actor, entity, "read"),
        )
        return connection.execute(query).first() is not None


def _accepted(name: str, mime: str | None, accept: list[str]) -> bool:
    suffix = Path(name).suffix.lower()
    kind = (mime or "").lower()
    for item in accept:
        if item.startswith(".") and suffix == item:
            return True
        if item.endswith("/*") and kind.startswith(item[:-1]):
            return True
        if "/" in item and kind == item:
            return True
    return False


def _stored(row: Mapping[Any, Any]) -> StoredFile:
    record_id = row["record_id"]
    return StoredFile(
        id=int(str(row["id"])),
        name=str(row["name"]),
        size=int(str(row["size"])),
        mime=None if row["mime"] is None else str(row["mime"]),
        entity=str(row["entity"]),
        field=str(row["field"]),
        record_id=None if record_id is None else int(str(record_id)),
        storage_key=str(row["storage_key"]),
    )
