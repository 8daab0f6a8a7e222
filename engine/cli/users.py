"""`formwork users …`: manage the people of a database — users, their passwords, roles
(per app) and main team, and the team tree.

Every command takes `--app APP_DIR` (default `apps/sales_crm`; roles are checked against
the app's roles) and `--database-url` (default `$DATABASE_URL`, else
`sqlite:///instance/<app>.db`). The database must have been migrated. Exit status: 0 on
success, 1 when the app has errors or the request is refused, 2 for a usage error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from engine.cli.context import CliContext
from engine.diagnostics import Diagnostic, did_you_mean, render_text
from engine.errors import AppInvalid, FormworkError
from engine.runtime.engine import Engine
from engine.runtime.people import KEEP, Keep, PeopleService, Team

__all__ = ["app_option", "database_option", "open_engine", "users"]

DEFAULT_APP = Path("apps/sales_crm")
LOCALES = ("zh", "en")

app_option = click.option(
    "--app",
    "app_dir",
    type=click.Path(file_okay=False, dir_okay=True, path_type=Path),
    default=DEFAULT_APP,
    show_default=True,
    help="The app folder (its roles are the ones that may be granted).",
)
database_option = click.option(
    "--database-url",
    metavar="URL",
    default=None,
    help="Database (default: $DATABASE_URL, else sqlite:///instance/<app>.db).",
)


@contextmanager
def open_engine(app_dir: Path, database_url: str | None) -> Iterator[Engine]:
    """The app's engine for one command; user errors become messages and exit status 1."""
    ctx = click.get_current_context()
    cli = ctx.find_object(CliContext)
    root = (
        cli.project_root if cli is not None else Path(os.environ.get("FORMWORK_PROJECT_ROOT", "."))
    )
    registry = cli.registry()[0] if cli is not None else None
    if not app_dir.is_dir():
        raise click.BadParameter(f"'{app_dir}' is not a folder", param_hint="'--app'")
    try:
        engine = Engine.load(
            app_dir, database_url=database_url, project_root=root, registry=registry
        )
    except AppInvalid as error:
        diagnostics = [d for d in error.diagnostics if isinstance(d, Diagnostic)]
        click.echo(render_text(diagnostics), err=True)
        click.echo("The app has errors: fix them first.", err=True)
        ctx.exit(1)
    try:
        yield engine
    except FormworkError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(1)
    except SQLAlchemyError as error:
        where = engine.db.url.render_as_string(hide_password=True)
        click.echo(f"error: cannot use the database {where} ({error.__class__.__name__}); "
                   "has it been migrated (`formwork migrate APP_DIR`)?", err=True)  # fmt: skip
        ctx.exit(1)
    finally:
        engine.close()


def _team(people: PeopleService, written: str) -> Team:
    """A team by name, or by id when the text is a number."""
    if written.isdigit():
        return people.get_team(int(written))
    return people.team_by_name(written)


def _check_roles(engine: Engine, roles: Sequence[str]) -> None:
    known = engine.app.role_names
    for role in roles:
        if role not in known:
            hint = did_you_mean(role, known)
            listed = ", ".join(sorted(known))
            raise click.BadParameter(
                f"'{role}' is not a role of app '{engine.app.id}' ({listed})"
                + (f"; {hint}" if hint else ""),
                param_hint="'--role'",
            )


@click.group("users")
def users() -> None:
    """Manage users, roles and teams."""


@users.command("add")
@click.argument("username")
@click.option("--name", help="Display name.")
@click.option("--email", help="E-mail address.")
@click.option("--password", help="Password (prompted for when omitted and --prompt is given).")
@click.option("--prompt", is_flag=True, help="Ask for the password instead of passing it.")
@click.option("--role", "roles", multiple=True, help="A role in the app (repeatable).")
@click.option("--team", help="Main team (name or id).")
@click.option("--admin", is_flag=True, help="An administrator: may do everything.")
@click.option("--locale", type=click.Choice(LOCALES), help="Language of messages.")
@app_option
@database_option
def add_user(
    username: str,
    name: str | None,
    email: str | None,
    password: str | None,
    prompt: bool,
    roles: tuple[str, ...],
    team: str | None,
    admin: bool,
    locale: str | None,
    app_dir: Path,
    database_url: str | None,
) -> None:
    """Add the user USERNAME."""
    if prompt and password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_engine(app_dir, database_url) as engine:
        _check_roles(engine, roles)
        people = engine.people
        team_id = _team(people, team).id if team is not None else None
        people.create_user(
            username, name=name, email=email, password=password, locale=locale,
            is_admin=admin, team_id=team_id,
        )  # fmt: skip
        for role in roles:
            people.grant_role(engine.app.id, username, role)
        click.echo(
            f"Added user '{username}'" + (f" with roles {', '.join(roles)}." if roles else ".")
        )


@users.command("passwd")
@click.argument("username")
@click.option("--password", help="The new password (prompted for when omitted).")
@app_option
@database_option
def set_password(
    username: str, password: str | None, app_dir: Path, database_url: str | None
) -> None:
    """Set the password of USERNAME."""
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with open_engine(app_dir, database_url) as engine:
        engine.people.set_password(username, password)
        click.echo(f"Password of '{username}' changed.")


@users.command("team")
@click.argument("username")
@click.argument("team", required=False)
@click.option("--none", "no_team", is_flag=True, help="Take the user out of every team.")
@app_option
@database_option
def set_user_team(
    username: str, team: str | None, no_team: bool, app_dir: Path, database_url: str | None
) -> None:
    """Move USERNAME to the team TEAM (name or id): they leave their old team and join
    the new one, and the app's `membership` rules run."""
    if (team is None) == (not no_team):
        raise click.UsageError("give a TEAM or --none (one of them)")
    with open_engine(app_dir, database_url) as engine:
        people = engine.people
        team_id = _team(people, team).id if team is not None else None
        people.set_team(username, team_id)
        where = f"team '{people.get_team(team_id).name}'" if team_id is not None else "no team"
        click.echo(f"'{username}' is now in {where}.")


@users.command("deactivate")
@click.argument("username")
@app_option
@database_option
def deactivate_user(username: str, app_dir: Path, database_url: str | None) -> None:
    """Stop USERNAME from logging in (they leave their team; their records stay)."""
    with open_engine(app_dir, database_url) as engine:
        engine.people.set_active(username, False)
        click.echo(f"'{username}' is deactivated.")


@users.command("activate")
@click.argument("username")
@app_option
@database_option
def activate_user(username: str, app_dir: Path, database_url: str | None) -> None:
    """Let USERNAME log in again (they join their team again)."""
    with open_engine(app_dir, database_url) as engine:
        engine.people.set_active(username, True)
        click.echo(f"'{username}' is active again.")


@users.command("list")
@app_option
@database_option
def list_users(app_dir: Path, database_url: str | None) -> None:
    """List every user with their team and roles in the app."""
    with open_engine(app_dir, database_url) as engine:
        people = engine.people
        teams = {team.id: team.name for team in people.list_teams()}
        rows = [("USERNAME", "NAME", "TEAM", "ROLES", "FLAGS")]
        for user in people.list_users():
            flags = ",".join(
                f for f, on in (("admin", user.is_admin), ("inactive", not user.active)) if on
            )
            roles = ",".join(sorted(people.roles_of(engine.app.id, user.username)))
            team = teams.get(user.team_id, "") if user.team_id is not None else ""
            rows.append((user.username, user.name or "", team, roles, flags))
        _table(rows)


@users.command("roles")
@click.argument("username")
@click.option("--add", "added", multiple=True, help="Grant this role (repeatable).")
@click.option("--remove", "removed", multiple=True, help="Take this role away (repeatable).")
@app_option
@database_option
def user_roles(
    username: str,
    added: tuple[str, ...],
    removed: tuple[str, ...],
    app_dir: Path,
    database_url: str | None,
) -> None:
    """Show, grant or take away the roles of USERNAME in the app."""
    with open_engine(app_dir, database_url) as engine:
        _check_roles(engine, (*added, *removed))
        people, app = engine.people, engine.app.id
        for role in added:
            people.grant_role(app, username, role)
        for role in removed:
            people.revoke_role(app, username, role)
        roles = sorted(people.roles_of(app, username))
        click.echo(f"{username}: {', '.join(roles) if roles else '(no roles)'}")


@users.group("teams")
def teams() -> None:
    """Manage the team tree."""


@teams.command("add")
@click.argument("name")
@click.option("--parent", help="The team above it (name or id).")
@click.option("--manager", help="The username of its head.")
@app_option
@database_option
def add_team(
    name: str, parent: str | None, manager: str | None, app_dir: Path, database_url: str | None
) -> None:
    """Add the team NAME."""
    with open_engine(app_dir, database_url) as engine:
        people = engine.people
        parent_id = _team(people, parent).id if parent is not None else None
        team = people.create_team(name, parent_id=parent_id, manager=manager)
        click.echo(f"Added team '{team.name}' (id {team.id}).")


@teams.command("edit")
@click.argument("team")
@click.option("--name", help="A new name.")
@click.option("--parent", help="Move it under this team (name or id).")
@click.option("--root", is_flag=True, help="Take it from under its parent: a top-level team.")
@click.option("--manager", help="The username of its new head.")
@app_option
@database_option
def edit_team(
    team: str,
    name: str | None,
    parent: str | None,
    root: bool,
    manager: str | None,
    app_dir: Path,
    database_url: str | None,
) -> None:
    """Rename, move or re-head the team TEAM (name or id); what is not given stays."""
    if parent is not None and root:
        raise click.UsageError("--parent and --root exclude each other: give one")
    with open_engine(app_dir, database_url) as engine:
        people = engine.people
        team_id = _team(people, team).id
        parent_id: int | Keep | None = KEEP
        if root:
            parent_id = None
        elif parent is not None:
            parent_id = _team(people, parent).id
        edited = people.update_team(team_id, name=name, parent_id=parent_id, manager=manager)
        above = people.get_team(edited.parent_id).name if edited.parent_id is not None else None
        place = f"under '{above}'" if above is not None else "at the top"
        head = f", head {edited.manager}" if edited.manager else ""
        click.echo(f"Team '{edited.name}' (id {edited.id}): {place}{head}.")


@teams.command("list")
@app_option
@database_option
def list_teams(app_dir: Path, database_url: str | None) -> None:
    """List the teams as a tree, with their heads."""
    with open_engine(app_dir, database_url) as engine:
        listed = engine.people.list_teams()
        children: dict[int | None, list[Team]] = {}
        for team in listed:
            children.setdefault(team.parent_id, []).append(team)
        known = {team.id for team in listed}
        roots = [t for t in listed if t.parent_id is None or t.parent_id not in known]

        def show(team: Team, depth: int) -> None:
            head = f"  (head: {team.manager})" if team.manager else ""
            click.echo(f"{'  ' * depth}{team.name} [id {team.id}]{head}")
            for child in children.get(team.id, []):
                show(child, depth + 1)

        for root in roots:
            show(root, 0)


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
