"""Admin-only pages: users (create, edit, roles, team, deactivate, reset password),
teams (tree, manager, parent), automations (their runs and traces, replay) and the outbox
(messages by status, retry dead letters). Importing the package registers them on `bp`."""

from engine.web.admin import automations, outbox, teams, users
from engine.web.admin.blueprint import bp

__all__ = ["automations", "bp", "outbox", "teams", "users"]
