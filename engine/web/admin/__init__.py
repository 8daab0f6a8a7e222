"""Admin-only pages: users (create, edit, roles, team, deactivate, reset password) and
teams (tree, manager, parent). Importing the package registers them on `bp`."""

from engine.web.admin import teams, users
from engine.web.admin.blueprint import bp

__all__ = ["bp", "teams", "users"]
