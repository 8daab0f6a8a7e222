"""The embedded background worker: a thread inside `serve` that applies what falls due.

Today that is the workflow's overdue approval steps (`WorkflowService.process_due`: remind,
auto-approve or send back, once per step even with several processes — each step is handled
under the record's lock and marked done). The automation issue adds durable schedules and
the outbox to the same loop and a `worker` command for separate processes.
"""

from __future__ import annotations

import logging
import threading

from engine.runtime.engine import Engine

__all__ = ["DEFAULT_INTERVAL", "Worker"]

DEFAULT_INTERVAL = 60.0
"""Seconds between two rounds."""

log = logging.getLogger(__name__)


class Worker:
    """Runs `run_once` every `interval` seconds on a daemon thread until `stop`."""

    def __init__(self, engine: Engine, interval: float = DEFAULT_INTERVAL) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One round: what fell due is applied; how many items were handled. A failure is
        logged and the next round tries again (nothing is marked done when it fails)."""
        try:
            return len(self.engine.workflows.process_due())
        except Exception:  # the loop must outlive one bad round
            log.exception("the worker's round failed; it will run again")
            return 0

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
