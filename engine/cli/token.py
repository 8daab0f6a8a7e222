"""`formwork token create USER`: issue an API token (`Authorization: Bearer TOKEN`).

The token is printed once; only its SHA-256 is stored, so it cannot be shown again. Takes
`--app APP_DIR` and `--database-url` like `formwork users`.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.users import app_option, database_option, open_engine

__all__ = ["token"]


@click.group("token")
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("username")
@app_option
@database_option
def create_token(username: str, app_dir: Path, database_url: str | None) -> None:
    """Issue an API token for USERNAME and print it (it is not shown again)."""
    with open_engine(app_dir, database_url) as engine:
        engine.people.load_actor(username, engine.app.id)  # unknown or inactive → error
        click.echo(engine.people.create_token(username))
