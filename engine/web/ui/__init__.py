"""The generated HTML UI: home, list pages, record pages, create and edit forms, pickers,
workflow actions, the inbox and dashboards.

Importing the package registers every page on `bp`.
"""

from engine.web.ui import (
    dashboards,
    editing,
    inbox,
    listing,
    lookup,
    record_page,
    workflow_actions,
)
from engine.web.ui.blueprint import bp

__all__ = [
    "bp",
    "dashboards",
    "editing",
    "inbox",
    "listing",
    "lookup",
    "record_page",
    "workflow_actions",
]
