"""`check`'s look at the app's database: states in use that the workflow no longer has.

The spec checks are pure and cannot see records, so the `check` command adds this one when
the app's database already exists (`DATABASE_URL`, else `instance/<app>.db` under the current
folder — never created here): every removed state that still holds records and that
`state_map:` does not map is an R211 error at the workflow's `states` key, because
`migrate` would refuse it.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from engine.diagnostics import Diagnostic, Severity
from engine.runtime.state_migration import find_stranded
from engine.spec.check import CheckResult
from engine.spec.document import Loc, SourceIndex
from engine.spec.model import AppSpec
from engine.spec.model_values import child_loc
from engine.spec.registry import Registry
from engine.spec.yaml_loader import parse_yaml
from engine.storage.database import Database
from engine.storage.field_storage import StorageError
from engine.storage.tables import build_tables

__all__ = [
    "CODE",
    "UNREADABLE",
    "database_diagnostics",
    "existing_database_url",
    "stranded_state_diagnostics",
]

CODE = "R211"
UNREADABLE = "W123"


def existing_database_url(app: AppSpec, base: Path | None = None) -> str | None:
    """`DATABASE_URL`, else the app's default SQLite file when that file exists; None when
    the app has no database yet (a fresh app has no records to strand)."""
    from_env = os.environ.get("DATABASE_URL")
    if from_env:
        return from_env
    path = (base or Path.cwd()) / "instance" / f"{app.id}.db"
    return f"sqlite:///{path.as_posix()}" if path.is_file() else None


def stranded_state_diagnostics(
    app_dir: Path, app: AppSpec, registry: Registry, url: str | None
) -> list[Diagnostic]:
    """An R211 error per removed state in use that `state_map:` does not map (files relative
    to `app_dir`, like the spec's diagnostics); none without a database. A database that
    cannot be opened or read is a W123 warning: the YAML may be fine, but this was not
    checked (a database that is down must not fail `check`)."""
    if url is None:
        return []
    try:
        db = Database(url)
    except (sa.exc.ArgumentError, StorageError) as error:
        return [_unreadable(f"cannot open the app's database: {error}")]
    try:
        stranded = find_stranded(db, app, build_tables(app, sa.MetaData(), registry=registry))
    except SQLAlchemyError as error:
        where = db.url.render_as_string(hide_password=True)
        return [_unreadable(f"cannot read the app's database {where}: {error}")]
    finally:
        db.dispose()
    found = []
    sources = _Sources(app_dir)
    for state in stranded:
        if state.target is not None:
            continue  # mapped: `migrate` moves them (a bad target is R105 of the spec)
        workflow = app.entities[state.entity].workflow
        assert workflow is not None
        loc = child_loc(workflow.loc, "states")
        found.append(
            sources.diagnostic(
                loc,
                f"{state.records} '{state.entity}' record(s) in the database are in state "
                f"'{state.state}', which the workflow no longer has; `migrate` would refuse",
                hint=f"add `state_map: {{{state.state}: <new state>}}` to the workflow, "
                "or put the state back",
            )
        )
    return found


def _unreadable(message: str) -> Diagnostic:
    return Diagnostic(
        UNREADABLE,
        f"{message}; records in states the workflow no longer has were not looked for",
        severity=Severity.WARNING,
    )


class _Sources:
    """The source maps of the files the diagnostics point into, read once each."""

    def __init__(self, app_dir: Path) -> None:
        self.app_dir = app_dir
        self.index: dict[str, SourceIndex] = {}

    def diagnostic(self, loc: Loc, message: str, *, hint: str) -> Diagnostic:
        index = self.index.get(loc.file)
        if index is None:
            path = self.app_dir / loc.file
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            _, source, _ = parse_yaml(text, loc.file)
            index = self.index[loc.file] = SourceIndex({loc.file: source})
        return index.diagnostic(CODE, message, loc, hint=hint, key=True)


def database_diagnostics(
    app_dir: Path, result: CheckResult, registry: Registry
) -> list[Diagnostic]:
    """What `check` adds from the app's database: nothing unless the app itself is clean
    (a half-broken spec has no reliable list of states)."""
    if not result.ok or result.app is None:
        return []
    return stranded_state_diagnostics(
        app_dir, result.app, registry, existing_database_url(result.app)
    )
