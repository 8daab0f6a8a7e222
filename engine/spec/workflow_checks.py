"""Workflow checks: names a workflow refers to (states, fields, roles, approvers) and its
logic (one initial state, reachability, ways out, approval steps, comments, state map)."""

from __future__ import annotations

from collections.abc import Iterable

from engine.spec.check_context import CheckContext
from engine.spec.document import Loc
from engine.spec.model import (
    APPROVAL_ACTIONS,
    ApprovalSpec,
    ApproverSpec,
    EntitySpec,
    StateSpec,
    TransitionSpec,
    WorkflowSpec,
)
from engine.spec.model_values import child_loc

__all__ = ["check_approvers", "check_workflows"]

STATELESS_ACTIONS = ("transfer", "add_approver")
COMMENTED_ACTIONS = ("reject", "send_back")
_USER_KINDS = ("user",)
_DATE_KINDS = ("date", "datetime")


def check_workflows(ctx: CheckContext) -> None:
    """Every entity workflow: references first, then the state machine's logic."""
    for entity in ctx.app.entities.values():
        workflow = entity.workflow
        if workflow is None:
            continue
        state_field = entity.fields.get(workflow.field)
        if state_field is not None and not state_field.implicit and state_field.type != "state":
            ctx.error(
                "R111",
                f"the workflow's field '{workflow.field}' is a {state_field.type} field; "
                "it must be a `state` field",
                child_loc(workflow.loc, "field"),
                hint=f"declare it as `{workflow.field}: {{type: state}}` or leave it out",
            )
        for state in workflow.states.values():
            _check_state(ctx, entity, state)
        for transition in workflow.all_transitions():
            _check_transition(ctx, entity, workflow, transition)
        _check_initial(ctx, workflow)
        graph_known = not any(ctx.may_lack(workflow.loc, k) for k in ("states", "transitions"))
        if graph_known and _names_resolve(workflow):
            # with a misspelt state the graph is wrong: R105 says so, nothing more
            _check_reachability(ctx, workflow)
            _check_ways_out(ctx, workflow)
        _check_state_map(ctx, workflow)


def _names_resolve(workflow: WorkflowSpec) -> bool:
    """True when every transition's `from` and `to` names a state of the workflow."""
    known = set(workflow.states) | {"*"}
    return all(
        set(t.from_states) <= known and set(t.to) <= set(workflow.states)
        for t in workflow.all_transitions()
    )


def state_ref(ctx: CheckContext, workflow: WorkflowSpec, name: str, loc: Loc) -> None:
    """R105 when `name` is not a state of `workflow` (a workflow without states is
    reported by the schema; its names are not checked against nothing)."""
    if workflow.states and name not in workflow.states:
        ctx.unknown("R105", "state", name, workflow.states, loc)


def check_approvers(
    ctx: CheckContext, entity: EntitySpec | None, approvers: Iterable[ApproverSpec]
) -> None:
    """Roles and user fields named by approver sources (approvers, cc, notify recipients)."""
    for approver in approvers:
        if approver.role is not None:
            ctx.role(approver.role, child_loc(approver.loc, "role"))
        if entity is None:
            continue
        for key in ("field", "of"):
            name = getattr(approver, key)
            if name is not None:
                ctx.field_of_kind(
                    entity,
                    name,
                    child_loc(approver.loc, key),
                    _USER_KINDS,
                    f"an approver's `{key}` must be a user field",
                )


def _check_state(ctx: CheckContext, entity: EntitySpec, state: StateSpec) -> None:
    if state.editable is not None:
        ctx.fields(entity, state.editable, child_loc(state.loc, "editable"))
    ctx.roles(state.editable_by, child_loc(state.loc, "editable_by"))
    check_approvers(ctx, entity, state.cc)
    if state.approval is not None:
        _check_approval(ctx, entity, state.approval)


def _check_approval(ctx: CheckContext, entity: EntitySpec, approval: ApprovalSpec) -> None:
    check_approvers(ctx, entity, approval.approvers)
    if not approval.approvers:
        ctx.error(
            "R205",
            "this approval step has no approvers",
            approval.loc,
            hint="add `approvers: [{type: role, role: ...}]`",
        )
    if approval.mode == "n_of_m" and approval.count is None:
        ctx.error(
            "R206",
            "mode `n_of_m` needs `count` (how many must approve)",
            child_loc(approval.loc, "mode"),
        )
    if approval.mode == "percentage" and approval.percent is None:
        ctx.error(
            "R206",
            "mode `percentage` needs `percent` (the share that must approve)",
            child_loc(approval.loc, "mode"),
        )
    for index, name in enumerate(approval.allow):
        if name not in APPROVAL_ACTIONS:
            ctx.unknown(
                "R208",
                "approval action",
                name,
                APPROVAL_ACTIONS,
                ctx.item(child_loc(approval.loc, "allow"), index),
            )
    if approval.due is not None and approval.due.field is not None:
        ctx.field_of_kind(
            entity,
            approval.due.field,
            child_loc(approval.due.loc, "field"),
            _DATE_KINDS,
            "`due.field` must be a date or datetime field",
        )


def _check_transition(
    ctx: CheckContext, entity: EntitySpec, workflow: WorkflowSpec, transition: TransitionSpec
) -> None:
    loc = transition.loc
    if transition.name in STATELESS_ACTIONS:
        ctx.error(
            "R210",
            f"'{transition.name}' never changes state and needs no transition",
            Loc(loc.file, _name_pointer(transition)),
            key=True,
            hint="enable it with the approval step's `allow:` instead",
        )
    for index, name in enumerate(transition.from_states):
        if name != "*":
            state_ref(ctx, workflow, name, ctx.item(child_loc(loc, "from"), index))
    for index, name in enumerate(transition.to):
        state_ref(ctx, workflow, name, ctx.item(child_loc(loc, "to"), index))
    ctx.roles(transition.roles, child_loc(loc, "roles"))
    ctx.fields(entity, transition.requires, child_loc(loc, "requires"))
    for name in transition.set:
        ctx.field(entity, name, child_loc(loc, "set", name), key=True, system=False)
    if transition.name in COMMENTED_ACTIONS and transition.comment != "required":
        where = child_loc(loc, "comment")
        if transition.comment == "none":
            ctx.error(
                "R207",
                f"'{transition.name}' must let the approver say why "
                "(`comment: none` is not allowed)",
                where,
                hint="use `comment: required`",
            )
        else:
            ctx.warn(
                "W122",
                f"'{transition.name}' does not require a comment",
                where if ctx.exists(where) else loc,
                hint="add `comment: required`",
            )


def _name_pointer(transition: TransitionSpec) -> str:
    pointer = transition.loc.pointer
    # a transition in a list sits one level below its name
    return pointer.rsplit("/", 1)[0] if pointer.rsplit("/", 1)[-1].isdigit() else pointer


def _check_initial(ctx: CheckContext, workflow: WorkflowSpec) -> None:
    initial = workflow.initial_states
    if not initial and workflow.states:
        ctx.error(
            "R201",
            "the workflow has no initial state",
            child_loc(workflow.loc, "states"),
            key=True,
            hint=f"mark one state `initial: true` (e.g. '{next(iter(workflow.states))}')",
        )
    for extra in initial[1:]:
        ctx.error(
            "R201",
            f"the workflow has more than one initial state ('{initial[0].name}' and "
            f"'{extra.name}')",
            child_loc(extra.loc, "initial"),
        )


def _check_reachability(ctx: CheckContext, workflow: WorkflowSpec) -> None:
    start = workflow.initial_state
    if start is None:
        return
    reached = {start}
    frontier = [start]
    while frontier:
        current = frontier.pop()
        for transition in workflow.transitions_from(current):
            for target in transition.to:
                if target in workflow.states and target not in reached:
                    reached.add(target)
                    frontier.append(target)
    for name, state in workflow.states.items():
        if name not in reached:
            ctx.error(
                "R202",
                f"state '{name}' cannot be reached from the initial state '{start}'",
                state.loc,
                key=True,
                hint=f"add a transition with `to: {name}`, or remove it",
            )


def _check_ways_out(ctx: CheckContext, workflow: WorkflowSpec) -> None:
    for name, state in workflow.states.items():
        leaving = workflow.transitions_from(name)
        if state.final:
            for transition in leaving:
                if not transition.from_any:
                    index = transition.from_states.index(name)
                    ctx.error(
                        "R203",
                        f"'{name}' is a final state: no transition may leave it",
                        ctx.item(child_loc(transition.loc, "from"), index),
                    )
            continue
        if state.approval is not None and not any(t.name == "approve" for t in leaving):
            ctx.error(
                "R204",
                f"approval state '{name}' has no `approve` transition out",
                state.loc,
                key=True,
                hint=f"add `approve: {{from: {name}, to: ...}}`",
            )
        elif not leaving:
            ctx.warn(
                "W121",
                f"state '{name}' is not final and has no transition out",
                state.loc,
                key=True,
                hint="mark it `final: true`, or add a transition from it",
            )


def _check_state_map(ctx: CheckContext, workflow: WorkflowSpec) -> None:
    for old, new in workflow.state_map.items():
        loc = child_loc(workflow.loc, "state_map", old)
        if old in workflow.states:
            ctx.error(
                "R209",
                f"state '{old}' still exists, so records in it need no mapping",
                loc,
                key=True,
                hint=f"remove '{old}' from `state_map`",
            )
        state_ref(ctx, workflow, new, loc)
