"""The generated HTML UI: home, list pages, record pages, create and edit forms, pickers.

Importing the package registers every page on `bp`.
"""

from engine.web.ui import editing, listing, lookup, record_page
from engine.web.ui.blueprint import bp

__all__ = ["bp", "editing", "listing", "lookup", "record_page"]
