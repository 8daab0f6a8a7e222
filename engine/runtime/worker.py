"""The background worker: the daily refresh of formulas that read the clock, schedules and
date timers, overdue approval steps and the outbox, in rounds.

Each round fires what fell due by the engine's clock (`Scheduler.run_due`: the first round
of an app day recomputes the clock-reading formulas, then cron ticks, date-trigger sweeps,
then `WorkflowService.process_due`), then delivers the outbox's due messages
(`OutboxDelivery.deliver_due`, batch after batch while batches come back full). Every piece
is safe with several workers at once: a day, a tick or a date moment is claimed by one row
insert, a step's overdue action by the record's lock, an outbox message by its lease.
`serve` runs a worker in a thread; `run.py worker APP_DIR` runs one alone.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from engine.runtime.engine import Engine
from engine.runtime.outbox import DeliveryReport, OutboxDelivery, OutboxStore
from engine.runtime.scheduler import Scheduler, SchedulerReport, default_worker_id

__all__ = ["DEFAULT_INTERVAL", "OUTBOX_BATCH", "RoundReport", "Worker"]

DEFAULT_INTERVAL = 60.0
"""Seconds between two rounds."""
OUTBOX_BATCH = 100
"""Messages claimed at once; a full batch is followed by another in the same round."""
_MAX_BATCHES = 50

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundReport:
    """What one round did."""

    schedule: SchedulerReport | None
    delivered: int
    retried: int
    dead: int

    @property
    def handled(self) -> int:
        """Ticks, timers, steps and messages handled."""
        fired = self.schedule.handled if self.schedule is not None else 0
        return fired + self.delivered + self.retried + self.dead


class Worker:
    """Runs `run_once` every `interval` seconds on a daemon thread until `stop`. ValueError
    at construction when a schedule cannot be built (a bad cron, time zone or field)."""

    def __init__(
        self, engine: Engine, interval: float = DEFAULT_INTERVAL, *, worker_id: str | None = None
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.worker_id = worker_id or default_worker_id()
        self.scheduler = Scheduler(engine, worker_id=self.worker_id)
        store = OutboxStore(engine.tables.system, engine.app.id)
        self.outbox = OutboxDelivery(
            engine.db, store, engine.registry.channels, engine.app.settings, engine.clock,
            worker_id=self.worker_id,
        )  # fmt: skip
        self.last: RoundReport | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One round (see the module docstring); how many items were handled. A failure is
        logged and the next round tries again (nothing is marked done when it fails)."""
        schedule: SchedulerReport | None = None
        try:
            schedule = self.scheduler.run_due()
        except Exception:  # the loop must outlive one bad round
            log.exception("the worker's schedules failed; they will run again")
        delivered = retried = dead = 0
        try:
            for _ in range(_MAX_BATCHES):
                report: DeliveryReport = self.outbox.deliver_due(OUTBOX_BATCH)
                delivered += report.delivered
                retried += report.retried
                dead += report.dead
                if report.handled < OUTBOX_BATCH:
                    break
        except Exception:
            log.exception("the worker's outbox delivery failed; it will run again")
        self.last = RoundReport(schedule, delivered, retried, dead)
        return self.last.handled

    def start(self) -> None:
        """Start the thread (a first round runs at once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="formwork-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval)
