"""What the record service returns: `Record` (one record, its typed values) and `Page`
(one page of a list, with the cursor of the next)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.runtime.values import to_json
from engine.spec.model import EntitySpec

__all__ = ["Page", "Record", "record_json", "record_stamps"]


@dataclass(frozen=True)
class Record:
    """One record: its typed field values (only those the reader may see) and stamps."""

    entity: str
    id: int
    version: int
    values: Mapping[str, Any]
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None
    deleted_at: datetime | None = None

    def __getitem__(self, field: str) -> Any:
        return self.values[field]


@dataclass(frozen=True)
class Page:
    """A page of records; `next_cursor` fetches the next page (None on the last one)."""

    records: tuple[Record, ...]
    next_cursor: str | None


def record_json(entity: EntitySpec, record: Record) -> dict[str, Any]:
    """The record as the API returns it: its fields in JSON forms, plus `id`, `version`,
    `created_at`, `created_by`, `updated_at`, `updated_by`."""
    data = {name: to_json(entity.fields.get(name), value) for name, value in record.values.items()}
    return data | record_stamps(record)


def record_stamps(record: Record) -> dict[str, Any]:
    """The system keys every API record carries: `id`, `version`, `created_at`,
    `created_by`, `updated_at`, `updated_by` (and `deleted_at` when it is deleted)."""
    stamps: dict[str, Any] = {
        "id": record.id,
        "version": record.version,
        "created_at": record.created_at.isoformat(),
        "created_by": record.created_by,
        "updated_at": record.updated_at.isoformat(),
        "updated_by": record.updated_by,
    }
    if record.deleted_at is not None:
        stamps["deleted_at"] = record.deleted_at.isoformat()
    return stamps
