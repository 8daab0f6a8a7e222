"""Approver sources resolved to users."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from engine.spec.document import Loc
from engine.spec.model_action import ApproverSpec
from engine.spec.model_values import ExprSpec
from engine.workflow.approvers import SEQ_STEP, resolve_approvers, sequential

LOC = Loc("app.yaml", "")


class People:
    """rep → manager → director → ceo; `gone` is inactive."""

    managers: ClassVar[dict[str, str]] = {
        "rep": "manager",
        "manager": "director",
        "director": "ceo",
    }
    roles: ClassVar[dict[str, list[str]]] = {"finance": ["fay", "gone", "fin"]}

    def role_members(self, role: str) -> Sequence[str]:
        return self.roles.get(role, [])

    def manager_of(self, username: str) -> str | None:
        return self.managers.get(username)

    def is_active(self, username: str) -> bool:
        return username != "gone"


def source(type_: str, **keys: Any) -> ApproverSpec:
    values = {"role": None, "field": None, "of": None, "levels": None, "users": (), "expr": None}
    return ApproverSpec(type=type_, loc=LOC, **(values | keys))


def names(sources: list[ApproverSpec], values: dict[str, Any], result: Any = None) -> list[Any]:
    found = resolve_approvers(sources, values, People(), lambda expr: result)
    return [(r.username, r.seq) for r in found]


def test_role_members_who_are_active() -> None:
    assert names([source("role", role="finance")], {}) == [("fay", SEQ_STEP), ("fin", SEQ_STEP)]


def test_user_field_manager_and_chain() -> None:
    values = {"owner": "rep", "reviewer": "fay"}
    assert names([source("user_field", field="reviewer")], values) == [("fay", SEQ_STEP)]
    assert names([source("manager")], values) == [("manager", SEQ_STEP)]
    chain = names([source("manager_chain", levels=3)], values)
    assert chain == [("manager", 10), ("director", 20), ("ceo", 30)]
    assert names([source("manager_chain", levels=5)], {"owner": "director"}) == [("ceo", 10)]
    assert sequential([source("manager_chain", levels=2)])
    assert not sequential([source("role", role="finance")])


def test_users_and_expressions_are_deduplicated_in_order() -> None:
    expr = ExprSpec("reviewers", LOC)
    listed = [source("users", users=("fin", "fay")), source("expression", expr=expr)]
    assert names(listed, {}, result=["fay", "gone", "new"]) == [
        ("fin", 10),
        ("fay", 10),
        ("new", 10),
    ]
    assert names([source("expression", expr=expr)], {}, result=None) == []
    assert names([source("user_field", field="reviewer")], {}) == []
