"""`Engine`: one app, loaded and built — the spec, its tables, compiled expressions,
permissions and the services (people, records, files) over one database.

`Engine.load` checks the app folder (raising `AppInvalid` with the diagnostics when it has
errors), builds everything once and connects to the database; it does not change the
schema (`migrate()` or `formwork migrate` does). There is no module-level state: every
piece hangs off the `Engine` and is passed on explicitly.

The people tables are shared by every app of a database: engines of several apps over one
database in one process share one `PeopleService` (`people=` of `Engine.load`), and each
engine's automations listen to it, so a membership change fires the `membership` rules of
every one of them, in the change's transaction.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from engine.diagnostics import Diagnostic, has_errors
from engine.errors import AppInvalid
from engine.plugins import default_registry
from engine.runtime.actor import Actor
from engine.runtime.app_runtime import AppRuntime
from engine.runtime.automation_compile import compile_automations
from engine.runtime.automation_service import AutomationService
from engine.runtime.clock import Clock, SystemClock
from engine.runtime.clock_formulas import ClockFormulas
from engine.runtime.compiled_entity import compile_entities
from engine.runtime.compiled_workflow import compile_workflows
from engine.runtime.contexts import ContextFactory
from engine.runtime.dashboards import DashboardService
from engine.runtime.files import FileService, FileStorage, LocalFileStorage
from engine.runtime.passwords import DEFAULT_ITERATIONS
from engine.runtime.people import PeopleService
from engine.runtime.permissions import Permissions
from engine.runtime.record_store import RecordStore
from engine.runtime.records import RecordService
from engine.runtime.roles import RoleTree
from engine.runtime.state_migration import migrate_app
from engine.runtime.values import InputContext
from engine.runtime.workflow_service import WorkflowService
from engine.spec.check import check_app
from engine.spec.document import SourceIndex
from engine.spec.model import AppSpec
from engine.spec.registry import Registry
from engine.storage.database import Database, resolve_database_url
from engine.storage.migration_steps import AddColumn, Step
from engine.storage.migrations import plan_migration
from engine.storage.tables import AppTables, build_tables

__all__ = ["Engine"]

INSTANCE_FOLDER = "instance"
FILES_FOLDER = "files"


class Engine:
    """The runtime of one app: use `Engine.load`."""

    def __init__(
        self,
        app: AppSpec,
        registry: Registry,
        db: Database,
        *,
        clock: Clock | None = None,
        file_storage: FileStorage | None = None,
        instance_path: Path | None = None,
        password_iterations: int = DEFAULT_ITERATIONS,
        sources: SourceIndex | None = None,
        people: PeopleService | None = None,
    ) -> None:
        if people is not None and people.db.url != db.url:
            raise ValueError(
                "a shared PeopleService must be over the engine's own database "
                f"({people.db.url.render_as_string(hide_password=True)} is not "
                f"{db.url.render_as_string(hide_password=True)})"
            )
        self.app = app
        self.registry = registry
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.instance_path = instance_path or Path.cwd() / INSTANCE_FOLDER
        self.tables: AppTables = build_tables(app, sa.MetaData(), registry=registry)
        roles = RoleTree(app)
        contexts = ContextFactory(app, self.clock, roles)
        self.permissions = Permissions(app, self.tables, registry, contexts, roles)
        inputs = InputContext(timezone=ZoneInfo(app.timezone or "UTC"), currency=app.currency)
        self.runtime = AppRuntime(
            app=app,
            registry=registry,
            tables=self.tables,
            store=RecordStore(app, self.tables),
            compiled=compile_entities(app, self.tables, registry, inputs),
            roles=roles,
            contexts=contexts,
            permissions=self.permissions,
            inputs=inputs,
            clock=self.clock,
        )
        self.people = people or PeopleService(
            db, self.tables.system, self.clock, password_iterations=password_iterations
        )
        self.records = RecordService(db, self.runtime)
        self.workflows = WorkflowService(self.records, compile_workflows(app, registry, inputs))
        self.automations = AutomationService(
            self.records, self.workflows, compile_automations(app, registry), sources=sources
        )
        # Every change the record service makes is handed to the automations, and so is
        # every membership change of the people service.
        self.records.listener = self.automations
        self.people.listen(self.automations)
        # Formulas reading today()/now(): refreshed daily by the worker, or by `recompute`.
        self.clock_formulas = ClockFormulas(self.records, self.automations)
        storage = file_storage or LocalFileStorage(self.instance_path / FILES_FOLDER)
        self.files = FileService(db, app, self.tables, storage, self.permissions, self.clock)
        self.dashboards = DashboardService(self.records)

    @classmethod
    def load(
        cls,
        app_dir: Path | str,
        *,
        database_url: str | None = None,
        clock: Clock | None = None,
        project_root: Path | None = None,
        registry: Registry | None = None,
        file_storage: FileStorage | None = None,
        password_iterations: int = DEFAULT_ITERATIONS,
        people: PeopleService | None = None,
    ) -> Engine:
        """Check and build the app in `app_dir` over `database_url` (default: `DATABASE_URL`,
        else `sqlite:///<project_root>/instance/<app>.db`); AppInvalid when it has errors.
        `people`: another engine's people service over the same database, to share."""
        root = Path(project_root) if project_root is not None else Path.cwd()
        problems: list[Diagnostic] = []
        if registry is None:
            registry, problems = default_registry(root)
        result = check_app(Path(app_dir), registry)
        diagnostics = [*problems, *result.diagnostics]
        if result.app is None or has_errors(diagnostics):
            raise AppInvalid(list(diagnostics))
        url = resolve_database_url(result.app.id, database_url, base=root)
        return cls(
            result.app,
            registry,
            Database(url),
            clock=clock,
            file_storage=file_storage,
            instance_path=root / INSTANCE_FOLDER,
            password_iterations=password_iterations,
            sources=result.sources,
            people=people,
        )

    def migrate(self, *, allow_destructive: bool = False) -> tuple[Step, ...]:
        """Bring the database to the app's tables (see `engine.storage.migrations`), move
        records out of removed states (`engine.runtime.state_migration`) and fill roll-up
        columns just added (`engine.runtime.rollups`)."""
        plan = plan_migration(self.db, self.app, self.tables, now=self.clock.now())
        # records in removed states: refused unless `state_map:` moves them (with history)
        steps = migrate_app(
            self.db, self.records, plan, allow_destructive=allow_destructive, now=self.clock.now()
        )
        # a roll-up column just added starts empty: fill it (a new install has no records)
        added = {
            step.entity
            for step in steps
            if isinstance(step, AddColumn)
            and step.entity in self.records.rollups.by_entity
            and any(r.field == step.field for r in self.records.rollups.by_entity[step.entity])
        }
        for entity in sorted(name for name in added if name is not None):
            self.records.recompute_rollups(entity)
        return steps

    def actor(self, username: str) -> Actor:
        """The actor of an active user in this app."""
        return self.people.load_actor(username, self.app.id)

    def close(self) -> None:
        """Release the database connections (and stop hearing membership changes)."""
        self.people.stop_listening(self.automations)
        self.db.dispose()
