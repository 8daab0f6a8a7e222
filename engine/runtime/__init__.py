"""The runtime: the record service (the only path that changes data), people and
permissions, over one app's tables. `Engine.load(app_dir)` builds it all."""

from __future__ import annotations

from engine.runtime.actor import Actor
from engine.runtime.clock import Clock, FixedClock, SystemClock
from engine.runtime.engine import Engine
from engine.runtime.files import FileService, FileStorage, LocalFileStorage, StoredFile
from engine.runtime.history import HistoryEntry
from engine.runtime.people import PeopleService, Team, User
from engine.runtime.permissions import Permissions
from engine.runtime.record import Page, Record, record_json
from engine.runtime.records import RecordService, WriteOptions
from engine.runtime.values import InputContext, InvalidInput, parse_input, to_json

__all__ = [
    "Actor",
    "Clock",
    "Engine",
    "FileService",
    "FileStorage",
    "FixedClock",
    "HistoryEntry",
    "InputContext",
    "InvalidInput",
    "LocalFileStorage",
    "Page",
    "PeopleService",
    "Permissions",
    "Record",
    "RecordService",
    "StoredFile",
    "SystemClock",
    "Team",
    "User",
    "WriteOptions",
    "parse_input",
    "record_json",
    "to_json",
]
