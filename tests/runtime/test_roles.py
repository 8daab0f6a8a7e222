"""Role inheritance, resolved once per app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runtime_support import SALES_APP

from engine.runtime.roles import RoleTree
from engine.spec.model import AppSpec


def test_roles_expand_transitively(load_spec: Callable[[Path], AppSpec]) -> None:
    tree = RoleTree(load_spec(SALES_APP))
    assert tree.expand(["sales_director"]) == {"sales_director", "sales_manager", "sales_rep"}
    assert tree.expand(["sales_manager", "finance"]) == {"sales_manager", "sales_rep", "finance"}
    assert tree.expand(["sales_rep"]) == {"sales_rep"}
    assert tree.expand(["stranger"]) == {"stranger"}
    assert tree.holds(["sales_director"], "sales_rep") is True
    assert tree.holds(["finance"], "sales_rep") is False
    assert tree.holds(["admin"], "finance") is True
