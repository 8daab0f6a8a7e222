"""Admin pages for users: the list, create, edit (name, e-mail, language, admin flag,
team, roles in the served app), deactivate / reactivate, reset password.

A team change (and deactivating or reactivating) fires the apps' `membership` rules in the
same transaction: when one fails nothing is saved and the page says which rule and why."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import BooleanField, Form, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from engine.errors import AutomationFailed, BadRequest, NotFound
from engine.runtime.people import USERNAME_PATTERN
from engine.spec.model import label_text
from engine.web.admin.blueprint import bp
from engine.web.i18n import LOCALE_NAMES, current_locale, translate
from engine.web.state import web_state

__all__ = ["UserForm", "edit_user", "new_user", "users"]

EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class UserForm(Form):
    """A user's details; `username` and `password` are used on create only."""

    username = StringField(validators=[Optional(), Regexp(USERNAME_PATTERN)])
    name = StringField(validators=[Optional(), Length(max=100)])
    email = StringField(validators=[Optional(), Regexp(EMAIL_SHAPE)])
    password = PasswordField(validators=[Optional(), Length(min=4)])
    locale = SelectField(choices=[], validate_choice=True)
    team = SelectField(choices=[], validate_choice=False)
    roles = SelectMultipleField(
        choices=[], validate_choice=True,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )  # fmt: skip
    is_admin = BooleanField()


class PasswordForm(Form):
    """A new password for a user."""

    password = PasswordField(validators=[DataRequired(), Length(min=4)])


def _choices(form: UserForm) -> None:
    state = web_state()
    locale = current_locale()
    form.locale.choices = [(code, LOCALE_NAMES.get(code, code)) for code in state.locales]
    teams = state.engine.people.list_teams()
    form.team.choices = [("", "—"), *((str(t.id), t.name) for t in teams)]
    roles = state.engine.app.roles
    form.roles.choices = [(name, label_text(r.label, locale, name)) for name, r in roles.items()]


def _team_id(form: UserForm) -> int | None:
    team = form.team.data or ""
    return int(team) if team.isdigit() else None


def _save_roles(username: str, form: UserForm) -> None:
    state = web_state()
    people, app_id = state.engine.people, state.app_id
    wanted = set(form.roles.data or [])
    held = people.roles_of(app_id, username)
    for role in sorted(wanted - held):
        people.grant_role(app_id, username, role)
    for role in sorted(held - wanted):
        people.revoke_role(app_id, username, role)


@bp.route("/users")
def users() -> str:
    """Every user with team, roles and status."""
    state = web_state()
    people = state.engine.people
    teams = {t.id: t.name for t in people.list_teams()}
    rows = [
        {
            "user": u,
            "team": teams.get(u.team_id or 0, ""),
            "roles": sorted(people.roles_of(state.app_id, u.username)),
        }
        for u in people.list_users()
    ]
    return render_template("admin/users.html", rows=rows)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    """Create a user (username and password required)."""
    form = UserForm(request.form if request.method == "POST" else None)
    _choices(form)
    error = None
    if request.method == "POST" and form.validate():
        if not form.username.data or not form.password.data:
            error = translate("admin.user.required")
        else:
            try:
                web_state().engine.people.create_user(
                    form.username.data,
                    name=form.name.data or None,
                    email=form.email.data or None,
                    password=form.password.data,
                    locale=form.locale.data,
                    is_admin=form.is_admin.data,
                    team_id=_team_id(form),
                )
                _save_roles(form.username.data, form)
            except (BadRequest, AutomationFailed) as problem:
                error = str(problem)
            else:
                flash(translate("admin.user.created"), "success")
                return redirect(url_for("admin.edit_user", username=form.username.data))
    return render_template("admin/user_form.html", form=form, user=None, error=error)


@bp.route("/users/<username>", methods=["GET", "POST"])
def edit_user(username: str) -> Any:
    """Edit a user; `action=deactivate|activate|password` handle the other buttons."""
    state = web_state()
    people = state.engine.people
    try:
        user = people.get_user(username)
    except NotFound:
        abort(404)
    error = None
    action = request.form.get("action", "save") if request.method == "POST" else None
    if action in ("deactivate", "activate"):
        try:
            people.set_active(username, action == "activate")
        except AutomationFailed as problem:
            flash(str(problem), "error")
        else:
            flash(translate(f"admin.user.{action}d"), "success")
        return redirect(url_for("admin.edit_user", username=username))
    if action == "password":
        password_form = PasswordForm(request.form)
        if password_form.validate():
            people.set_password(username, password_form.password.data or "")
            flash(translate("admin.user.password_set"), "success")
            return redirect(url_for("admin.edit_user", username=username))
        error = translate("admin.user.password_short")
    if action == "save":
        form = UserForm(request.form)
        _choices(form)
        if form.validate():
            try:
                people.update_user(
                    username, name=form.name.data or "", email=form.email.data or "",
                    locale=form.locale.data, is_admin=bool(form.is_admin.data),
                    team_id=_team_id(form),
                )  # fmt: skip
            except AutomationFailed as problem:
                error = str(problem)
            else:
                _save_roles(username, form)
                flash(translate("admin.user.saved"), "success")
                return redirect(url_for("admin.edit_user", username=username))
    else:
        data = {
            "name": user.name or "", "email": user.email or "", "locale": user.locale,
            "team": str(user.team_id or ""), "is_admin": user.is_admin,
            "roles": sorted(people.roles_of(state.app_id, username)),
        }  # fmt: skip
        form = UserForm(data=data)
        _choices(form)
    return render_template("admin/user_form.html", form=form, user=user, error=error)
