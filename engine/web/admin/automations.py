"""Admin pages for automations: the app's automations (triggers, mode, file), how many runs
ended in each status, the runs newest first (filtered by status and automation), one run's
trace — the event, each condition with its value, each action with its result, the error,
all pointing back to their YAML place — and **Replay**, which runs a stored run's
automation again on its record as it is now and opens the new run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from engine.errors import AutomationFailed, Forbidden, NotFound
from engine.runtime.engine import Engine
from engine.runtime.run_traces import RunRow
from engine.spec.model_automation import AutomationSpec
from engine.web.admin.blueprint import bp
from engine.web.auth import current_actor
from engine.web.i18n import label, translate
from engine.web.state import web_state
from engine.web.ui.blueprint import page

__all__ = [
    "PAGE_SIZE",
    "RUN_STATUSES",
    "automation_rows",
    "automations",
    "replay_run",
    "show_run",
    "status_color",
    "status_names",
]

PAGE_SIZE = 50
RUN_STATUSES = ("running", "done", "skipped", "failed", "stopped")
"""The statuses a stored run can have."""
_COLORS: Mapping[str, str] = {
    "running": "blue",
    "done": "green",
    "skipped": "gray",
    "failed": "red",
    "stopped": "orange",
}


def status_names() -> dict[str, str]:
    """Each run status in the reader's language (also `duplicate`: a replay that did not run)."""
    return {s: translate(f"admin.automation.status.{s}") for s in (*RUN_STATUSES, "duplicate")}


def status_color(status: str) -> str:
    """The badge colour of a run status."""
    return _COLORS.get(status, "gray")


def _trigger_text(automation: AutomationSpec) -> list[str]:
    """Each trigger as `type` or `type · entity`."""
    return [
        trigger.type + (f" · {trigger.entity}" if trigger.entity else "")
        for trigger in automation.triggers
    ]


def automation_rows(engine: Engine) -> list[dict[str, Any]]:
    """The app's automations as the page lists them, by name."""
    return [
        {
            "name": spec.name,
            "label": label(spec.label, spec.name),
            "triggers": _trigger_text(spec),
            "mode": spec.mode,
            "enabled": spec.enabled,
            "file": spec.file,
        }
        for spec in sorted(engine.app.automations.values(), key=lambda a: a.name)
    ]


def _counts(engine: Engine) -> dict[str, int]:
    service = engine.automations
    with engine.db.begin(readonly=True) as connection:
        return service.traces.counts(connection)


def _int_arg(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    return int(text) if text.isdigit() else None


def _run_row(run: RunRow) -> dict[str, Any]:
    presenter = page().presenter
    return {
        "run": run,
        "color": status_color(run.status),
        "started": presenter.moment(run.started_at),
        "record": _record_text(run),
        "actor": run.actor or translate("history.system"),
    }


def _record_text(run: RunRow) -> str:
    if run.entity is None or run.record_id is None:
        return ""
    return f"{run.entity} #{run.record_id}"


@bp.route("/automations")
def automations() -> str:
    """The automations, run counts by status, and the runs (`?status=`, `?automation=`,
    `?before=` for older pages)."""
    engine = web_state().engine
    status = request.args.get("status") or None
    if status is not None and status not in RUN_STATUSES:
        status = None
    automation = request.args.get("automation") or None
    before = _int_arg("before")
    runs = engine.automations.runs(
        status=status, automation=automation, before=before, limit=PAGE_SIZE + 1
    )
    older = runs[PAGE_SIZE].id + 1 if len(runs) > PAGE_SIZE else None
    counts = _counts(engine)
    return render_template(
        "admin/automations.html", automations=automation_rows(engine),
        counts=[(s, counts.get(s, 0), status_color(s)) for s in RUN_STATUSES],
        total=sum(counts.values()), runs=[_run_row(r) for r in runs[:PAGE_SIZE]],
        status=status, automation=automation, statuses=RUN_STATUSES,
        names=sorted(engine.app.automations), older=older, status_names=status_names(),
    )  # fmt: skip


def _step_rows(items: Any, kind: str) -> list[dict[str, Any]]:
    """Conditions or actions of a trace with what the page shows of each."""
    rows = []
    for item in items or []:
        entry = dict(item) if isinstance(item, Mapping) else {"value": item}
        shown = {k: v for k, v in entry.items() if k not in ("at", "pointer", "expr", "type")}
        rows.append(
            {
                "at": entry.get("at") or "",
                "pointer": entry.get("pointer") or "",
                "what": entry.get("expr") if kind == "condition" else entry.get("type"),
                "value": entry.get("value"),
                "holds": entry.get("value") is True,
                "error": entry.get("error"),
                "result": {k: v for k, v in shown.items() if k != "error"},
            }
        )
    return rows


@bp.route("/automations/runs/<int:run_id>")
def show_run(run_id: int) -> str:
    """One run's trace."""
    engine = web_state().engine
    try:
        run = engine.automations.run(run_id)
    except NotFound:
        abort(404)
    spec = engine.app.automations.get(run.automation)
    replays = [
        r for r in engine.automations.runs(automation=run.automation) if r.replay_of == run_id
    ]
    record_url = None
    if run.entity in engine.app.entities and run.record_id is not None:
        record_url = url_for("ui.show_record", entity=run.entity, record_id=run.record_id)
    presenter = page().presenter
    return render_template(
        "admin/automation_run.html", run=run, color=status_color(run.status),
        title=label(spec.label, run.automation) if spec is not None else run.automation,
        exists=spec is not None, file=spec.file if spec is not None else None,
        started=presenter.moment(run.started_at),
        finished=presenter.moment(run.finished_at) if run.finished_at else "",
        event={k: v for k, v in run.event.items()},
        conditions=_step_rows(run.conditions, "condition"),
        actions=_step_rows(run.actions, "action"), record=_record_text(run),
        record_url=record_url, replays=replays[:10], status_names=status_names(),
    )  # fmt: skip


def _replay_of(engine: Engine, automation: str, run_id: int) -> int | None:
    """The newest run replaying `run_id` (a failed replay's trace is written after its
    rollback, so its id is found here rather than returned)."""
    for found in engine.automations.runs(automation=automation, limit=PAGE_SIZE):
        if found.replay_of == run_id:
            return found.id
    return None


@bp.route("/automations/runs/<int:run_id>/replay", methods=["POST"])
def replay_run(run_id: int) -> Any:
    """Run the run's automation again on its record as it is now; open the new run."""
    engine = web_state().engine
    actor = current_actor()
    assert actor is not None  # the blueprint lets only admins in
    try:
        stored = engine.automations.run(run_id)
    except NotFound:
        abort(404)
    try:
        outcome = engine.automations.replay(actor, run_id)
    except Forbidden:
        abort(403)
    except NotFound as problem:
        flash(translate("admin.automation.replay_impossible", reason=str(problem)), "error")
        return redirect(url_for("admin.show_run", run_id=run_id))
    except AutomationFailed as failure:
        flash(translate("admin.automation.replay_failed", message=str(failure)), "error")
        new_id = _replay_of(engine, stored.automation, run_id)
        return redirect(url_for("admin.show_run", run_id=new_id or run_id))
    if outcome.run_id is None:
        flash(translate("admin.automation.replay_duplicate"), "error")
        return redirect(url_for("admin.show_run", run_id=run_id))
    status = translate(f"admin.automation.status.{outcome.status}")
    flash(translate("admin.automation.replayed", id=outcome.run_id, status=status), "success")
    return redirect(url_for("admin.show_run", run_id=outcome.run_id))
