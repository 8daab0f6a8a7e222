"""Admin pages for teams: the tree (each team with its manager and members), create, and
edit (name, parent, manager)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import Form, SelectField, StringField
from wtforms.validators import DataRequired, Length

from engine.errors import BadRequest, NotFound
from engine.runtime.people import Team
from engine.web.admin.blueprint import bp
from engine.web.i18n import translate
from engine.web.state import web_state

__all__ = ["TeamForm", "edit_team", "new_team", "team_tree", "teams"]


class TeamForm(Form):
    """A team's name, parent and manager."""

    name = StringField(validators=[DataRequired(), Length(max=100)])
    parent = SelectField(choices=[], validate_choice=False)
    manager = SelectField(choices=[], validate_choice=False)


def team_tree(teams: list[Team]) -> list[tuple[int, Team]]:
    """The teams in tree order, each with its depth (roots first, children under them)."""
    children: dict[int | None, list[Team]] = {}
    known = {t.id for t in teams}
    for team in teams:
        parent = team.parent_id if team.parent_id in known else None
        children.setdefault(parent, []).append(team)
    ordered: list[tuple[int, Team]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for team in sorted(children.get(parent, []), key=lambda t: t.name):
            if team.id in seen:
                continue
            seen.add(team.id)
            ordered.append((depth, team))
            walk(team.id, depth + 1)

    walk(None, 0)
    return ordered


def _choices(form: TeamForm, editing: Team | None) -> None:
    people = web_state().engine.people
    excluded = people.subteam_ids(editing.id) if editing is not None else frozenset()
    form.parent.choices = [
        ("", "—"),
        *(
            (str(t.id), "· " * depth + t.name)
            for depth, t in team_tree(people.list_teams())
            if t.id not in excluded
        ),
    ]
    form.manager.choices = [
        ("", "—"),
        *((u.username, u.name or u.username) for u in people.list_users() if u.active),
    ]


@bp.route("/teams")
def teams() -> str:
    """The team tree with managers and members."""
    people = web_state().engine.people
    members: dict[int, list[str]] = {}
    for user in people.list_users():
        if user.team_id is not None:
            members.setdefault(user.team_id, []).append(user.name or user.username)
    return render_template("admin/teams.html", tree=team_tree(people.list_teams()), members=members)


def _optional_int(text: str | None) -> int | None:
    """A chosen team id, or None for the empty choice "—" (no parent: a top-level team)."""
    return int(text) if text and text.isdigit() else None


@bp.route("/teams/new", methods=["GET", "POST"])
def new_team() -> Any:
    """Create a team."""
    form = TeamForm(request.form if request.method == "POST" else None)
    _choices(form, None)
    error = None
    if request.method == "POST" and form.validate():
        try:
            web_state().engine.people.create_team(
                form.name.data or "", parent_id=_optional_int(form.parent.data),
                manager=form.manager.data or None,
            )  # fmt: skip
        except (BadRequest, NotFound) as problem:
            error = str(problem)
        else:
            flash(translate("admin.team.saved"), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=None, error=error)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def edit_team(team_id: int) -> Any:
    """Rename a team, move it (parent "—": to the top level), change its manager."""
    people = web_state().engine.people
    try:
        team = people.get_team(team_id)
    except NotFound:
        abort(404)
    if request.method == "POST":
        form = TeamForm(request.form)
    else:
        data = {
            "name": team.name,
            "parent": str(team.parent_id or ""),
            "manager": team.manager or "",
        }
        form = TeamForm(data=data)
    _choices(form, team)
    error = None
    if request.method == "POST" and form.validate():
        try:
            people.update_team(
                team_id, name=form.name.data, parent_id=_optional_int(form.parent.data),
                manager=form.manager.data or None,
            )  # fmt: skip
        except (BadRequest, NotFound) as problem:
            error = str(problem)
        else:
            flash(translate("admin.team.saved"), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=team, error=error)
