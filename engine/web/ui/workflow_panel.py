"""The record page's workflow panel: the workflow diagram with the current state, the
actions the reader may take now (from `WorkflowService.actions`) with what each dialog
asks for — a comment, a target step, a user, the fields the transition requires, a
confirmation — and the approval trail (each step with its tasks).

The panel is built for a GET of the record page and again, with what the user sent and the
problems found, when an action fails (`workflow_actions.take_action`), so a failed action
shows its dialog open with the user's input kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form

from engine.errors import NotFound
from engine.runtime.record import Record
from engine.runtime.values import is_blank
from engine.runtime.workflow_service import AvailableAction, StepTrail
from engine.spec.model import EntitySpec, label_text
from engine.spec.model_workflow import WorkflowSpec
from engine.web.i18n import translate
from engine.web.state import web_state
from engine.web.ui.blueprint import page
from engine.web.ui.form_view import FieldView, prepare_choices, sections_of
from engine.web.ui.forms import FormLayout, LayoutSection, build_form_class, initial_data
from engine.web.ui.workflow_diagram import layout, render_svg

__all__ = ["ActionView", "FailedAction", "action_form", "state_label", "workflow_panel"]

_FORMS_KEY = "workflow_forms"


@dataclass(frozen=True)
class FailedAction:
    """An action that was refused: what the user sent, and why (per field, or in general)."""

    action: str
    sent: MultiDict[str, str]
    errors: Mapping[str, list[str]]
    message: str | None = None
    status: int = 422


@dataclass
class ActionView:
    """One action button and, when it asks for anything, its dialog."""

    name: str
    label: str
    style: str
    comment: str  # required | optional | none
    targets: list[tuple[str, str]]  # (state, label); a choice when several
    needs_user: bool
    fields: list[FieldView]
    confirm: str
    url: str
    errors: Mapping[str, list[str]] = field(default_factory=dict)
    sent: Mapping[str, str] = field(default_factory=dict)
    open: bool = False

    @property
    def dialog(self) -> bool:
        """True when the button opens a dialog instead of acting at once."""
        return bool(
            self.comment != "none"
            or len(self.targets) > 1
            or self.needs_user
            or self.fields
            or self.confirm
        )

    @property
    def button_class(self) -> str:
        return {"primary": "btn-primary", "danger": "btn-danger"}.get(self.style, "")


def state_label(spec: WorkflowSpec, state: str, locale: str) -> str:
    """A state's label in `locale` (its name when the workflow no longer has it)."""
    found = spec.states.get(state)
    return label_text(found.label, locale, state) if found is not None else state


def _all_fields_layout(entity: EntitySpec) -> FormLayout:
    """A form of every field of `entity` (built once per app): the inputs a transition's
    `requires` list asks for, whichever form section they sit in."""
    state = web_state()
    built: dict[str, FormLayout] = state.extras.setdefault(_FORMS_KEY, {})  # type: ignore[assignment]
    found = built.get(entity.name)
    if found is None:
        found = build_form_class(entity, None)
        built[entity.name] = found
    return found


def action_form(
    entity: EntitySpec, action: str, formdata: MultiDict[str, str] | None, record: Record
) -> Form:
    """The form of the fields an action requires, prefixed with the action's name (so two
    dialogs never share an input name): from what was sent, else the record's values."""
    form_layout = _all_fields_layout(entity)
    prefix = f"{action}-"
    if formdata is not None:
        form = form_layout.form_class(formdata, prefix=prefix)
    else:
        timezone = ZoneInfo(page().engine.app.timezone or "UTC")
        form = form_layout.form_class(
            data=initial_data(entity, record.values, timezone), prefix=prefix
        )
    prepare_choices(entity, form)
    return form


def _field_views(
    entity: EntitySpec,
    record: Record,
    available: AvailableAction,
    failed: FailedAction | None,
) -> list[FieldView]:
    mine = failed is not None and failed.action == available.name
    sent = f"{available.name}-"
    posted = (
        {k[len(sent) :].split("-")[0] for k in failed.sent if k.startswith(sent)}
        if mine and failed
        else set()
    )
    # the required fields still blank on the record (the others are already there), and
    # the ones the user just sent
    requires = [
        name
        for name in available.requires
        if name in entity.fields and (is_blank(record.values.get(name)) or name in posted)
    ]
    if not requires:
        return []
    form = action_form(entity, available.name, failed.sent if mine and failed else None, record)
    section = LayoutSection({}, 1, tuple(requires), None)
    base = _all_fields_layout(entity)
    only = FormLayout(
        base.entity, base.name, base.label, base.modes, (section,), base.form_class, {}
    )
    errors = dict(failed.errors) if mine and failed else {}
    sections = sections_of(
        entity, only, form=form, record=record, editable=set(requires), errors=errors
    )
    views = [view for s in sections for view in s.fields if view.editable]
    for view in views:
        view.name = f"{available.name}-{view.name}"  # unique ids across the page's dialogs
    return views


def _action_views(
    entity: EntitySpec, record: Record, failed: FailedAction | None
) -> list[ActionView]:
    current = page()
    workflow = entity.workflow
    assert workflow is not None
    try:
        available = current.engine.workflows.actions(current.actor, entity.name, record.id)
    except NotFound:
        return []
    views = []
    for action in available:
        mine = failed is not None and failed.action == action.name
        view = ActionView(
            name=action.name,
            label=label_text(action.label, current.locale, action.name),
            style=action.style,
            comment=action.comment,
            targets=[(t, state_label(workflow, t, current.locale)) for t in action.targets],
            needs_user=action.needs_user,
            fields=_field_views(entity, record, action, failed),
            confirm=label_text(action.confirm, current.locale) if action.confirm else "",
            url=url_for(
                "ui.take_action", entity=entity.name, record_id=record.id, action=action.name
            ),
        )
        if mine and failed is not None:
            view.errors = failed.errors
            view.sent = {key: failed.sent.get(key, "") for key in failed.sent}
            view.open = view.dialog
        elif failed is None and request.args.get("act") == action.name:
            view.open = view.dialog  # the button's link without script: the dialog, open
        views.append(view)
    return views


def _word(prefix: str, value: str) -> str:
    """A status in the reader's language (the raw value when the catalog lacks it)."""
    key = f"{prefix}.{value}"
    text = translate(key)
    return value.replace("_", " ") if text == key else text


def _trail(entity: EntitySpec, record: Record) -> list[dict[str, Any]]:
    current = page()
    workflow = entity.workflow
    assert workflow is not None
    presenter = current.presenter
    try:
        steps: list[StepTrail] = current.engine.workflows.trail(
            current.actor, entity.name, record.id
        )
    except NotFound:
        return []
    now = current.engine.records.runtime.clock.now()
    shown = []
    for trail in reversed(steps):
        step = trail.step
        found = workflow.states.get(step.state)
        overdue = step.status == "open" and step.due_at is not None and step.due_at <= now
        shown.append(
            {
                "state": state_label(workflow, step.state, current.locale),
                "color": (found.color if found is not None else None) or "gray",
                "entered": presenter.moment(step.entered_at),
                "due": presenter.moment(step.due_at) if step.due_at else "",
                "overdue": overdue,
                "status": step.status,
                "status_text": _word("workflow.step", step.status),
                "submitter": presenter.user_name(step.submitter) if step.submitter else "",
                "tasks": [
                    {
                        "who": presenter.user_name(task.assignee),
                        "status": task.status,
                        "status_text": _word("workflow.task", task.status),
                        "origin": task.origin,
                        "acted": presenter.moment(task.acted_at) if task.acted_at else "",
                        "comment": task.comment or "",
                    }
                    for task in trail.tasks
                ],
            }
        )
    return shown


def workflow_panel(
    entity: EntitySpec, record: Record, failed: FailedAction | None = None
) -> dict[str, Any] | None:
    """What the record page's workflow panel shows (None for entities without a workflow
    and for deleted records)."""
    workflow = entity.workflow
    if workflow is None or record.deleted_at is not None:
        return None
    current = page()
    state = str(record.values.get(workflow.field))
    state_text = state_label(workflow, state, current.locale)
    title = label_text(workflow.label, current.locale, workflow.field)
    caption = translate("workflow.diagram_caption", workflow=title, state=state_text)
    diagram = render_svg(layout(workflow, current.locale), state, caption=caption)
    found = workflow.states.get(state)
    return {
        "title": title,
        "state": state_text,
        "color": (found.color if found is not None else None) or "gray",
        "diagram": Markup(diagram),  # every text in it was escaped by workflow_diagram
        "actions": _action_views(entity, record, failed),
        "trail": _trail(entity, record),
        "failed": failed,
        "users_url": url_for("ui.workflow_users"),
    }
