"""Reference checks inside entities: links, user/team options, rollups, forms, views,
indexes, validations, permissions and the title field. Expressions are checked elsewhere
(`expression_checks`), workflows in `workflow_checks`."""

from __future__ import annotations

from collections.abc import Mapping

from engine.spec.check_context import CheckContext
from engine.spec.model import EntitySpec, FieldSpec, ScopeKind, ViewSpec
from engine.spec.model_values import child_loc

__all__ = ["OWNER_FIELD", "check_entities"]

OWNER_FIELD = "owner"
_DATE_KINDS = ("date", "datetime")
_GROUPABLE = ("select", "state")
_OWNER_SCOPES = (ScopeKind.OWN, ScopeKind.TEAM, ScopeKind.SUBTEAMS)


def check_entities(ctx: CheckContext) -> None:
    """Every entity's references to entities, fields and roles."""
    for entity in ctx.app.entities.values():
        _check_fields(ctx, entity, entity.fields)
        if entity.title_field is not None:
            ctx.field(entity, entity.title_field, child_loc(entity.loc, "title_field"))
        for validation in entity.validations:
            ctx.fields(entity, validation.fields, child_loc(validation.loc, "fields"))
        for index_spec in entity.indexes:
            # `- [owner, status]` lists the fields at the index itself, `{fields: …}` below it
            listed = child_loc(index_spec.loc, "fields")
            ctx.fields(entity, index_spec.fields, listed if ctx.exists(listed) else index_spec.loc)
        _check_permissions(ctx, entity)
        for form in entity.forms.values():
            for section in form.sections:
                ctx.fields(entity, section.fields, child_loc(section.loc, "fields"))
        for view in entity.views.values():
            _check_view(ctx, entity, view)


def _check_fields(ctx: CheckContext, entity: EntitySpec, fields: Mapping[str, FieldSpec]) -> None:
    for spec in fields.values():
        if spec.implicit:
            continue
        if spec.type == "link" and spec.link_target is not None:
            target = ctx.entity(spec.link_target, child_loc(spec.loc, "to"))
            display = spec.option("display")
            if target is not None and isinstance(display, str):
                ctx.field(target, display, child_loc(spec.loc, "display"))
        elif spec.type == "user":
            ctx.roles(ctx.names(spec.option("roles")), child_loc(spec.loc, "roles"))
            team_of = spec.option("team_of")
            if isinstance(team_of, str):
                ctx.field_of_kind(
                    entity,
                    team_of,
                    child_loc(spec.loc, "team_of"),
                    ("team",),
                    "`team_of` must name a team field",
                )
        elif spec.type == "rollup":
            _check_rollup(ctx, entity, spec)
        if spec.subfields:
            _check_fields(ctx, entity, spec.subfields)


def _check_rollup(ctx: CheckContext, entity: EntitySpec, spec: FieldSpec) -> None:
    rollup = spec.rollup
    if rollup is None or rollup.source is None:
        return
    source = ctx.entity(rollup.source, child_loc(spec.loc, "source"))
    if source is None:
        return
    if rollup.link is not None:
        link = ctx.field_of_kind(
            source,
            rollup.link,
            child_loc(spec.loc, "link"),
            ("link",),
            f"a rollup's `link` must be a link field of '{source.name}' pointing to "
            f"'{entity.name}'",
        )
        target = link.link_target if link is not None else None
        if target is not None and target != entity.name and target in ctx.app.entities:
            ctx.error(
                "R111",
                f"field '{rollup.link}' of '{source.name}' links to '{target}', "
                f"not to '{entity.name}'",
                child_loc(spec.loc, "link"),
            )
    if rollup.field is not None:
        ctx.field(source, rollup.field, child_loc(spec.loc, "field"))


def _check_permissions(ctx: CheckContext, entity: EntitySpec) -> None:
    owner = entity.fields.get(OWNER_FIELD)
    # "any": a type the schema did not know (S102), so perhaps a user field after all
    has_owner = owner is not None and ctx.value_kind(owner) in ("user", "any")
    # an owner the schema rejected (or fields it could not read) is not "missing"
    has_owner = has_owner or OWNER_FIELD in entity.unbuilt_fields or not entity.fields_known
    for role, permission in entity.permissions.roles.items():
        ctx.role(role, permission.loc, key=True)
        for name in permission.fields:
            ctx.field(entity, name, child_loc(permission.loc, "fields", name), key=True)
        if has_owner:
            continue
        # one problem per role: the owner field is missing once, however many actions say so
        scoped = [
            (action, getattr(permission, action))
            for action in ("read", "update", "delete", "export")
            if getattr(permission, action).kind in _OWNER_SCOPES
        ]
        if scoped:
            written = [f"'{action}: {scope.kind.value}'" for action, scope in scoped]
            verb = "needs" if len(written) == 1 else "need"
            ctx.error(
                "R117",
                f"{_joined(written)} {verb} an '{OWNER_FIELD}' user field, which entity "
                f"'{entity.name}' does not have",
                child_loc(permission.loc, scoped[0][0]),
                hint=f'add `{OWNER_FIELD}: {{type: user, default: "=me()"}}` to the '
                "fields, or use `all` or an `=expression`",
            )


def _joined(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _check_view(ctx: CheckContext, entity: EntitySpec, view: ViewSpec) -> None:
    ctx.fields(entity, view.columns, child_loc(view.loc, "columns"))
    ctx.fields(entity, view.card, child_loc(view.loc, "card"))
    for key in view.sort:
        ctx.field(entity, key.field, key.loc)
    if view.group_by is not None:
        ctx.field_of_kind(
            entity,
            view.group_by,
            child_loc(view.loc, "group_by"),
            _GROUPABLE,
            "a kanban groups by a select or state field",
        )
    if view.date_field is not None:
        ctx.field_of_kind(
            entity,
            view.date_field,
            child_loc(view.loc, "date_field"),
            _DATE_KINDS,
            "a calendar needs a date or datetime field",
        )
    if view.title_field is not None:
        ctx.field(entity, view.title_field, child_loc(view.loc, "title_field"))
