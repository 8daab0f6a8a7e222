"""`visible_if` compiled for the browser (engine/web/ui/visibility.py)."""

from __future__ import annotations

import pytest

from engine.web.ui.visibility import compile_browser_condition


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("stage == 'lost'", ["cmp", "==", ["field", "stage"], ["lit", "lost"]]),
        (
            "amount > 1000 and not vip",
            ["and", ["cmp", ">", ["field", "amount"], ["lit", 1000.0]], ["not", ["field", "vip"]]],
        ),
        ("level in ['A', 'B']", ["in", False, ["field", "level"], [["lit", "A"], ["lit", "B"]]]),
        ("email is not None", ["null", True, ["field", "email"]]),
        (
            "qty * price >= 10",
            ["cmp", ">=", ["arith", "*", ["field", "qty"], ["field", "price"]], ["lit", 10.0]],
        ),
        ("a or b or c", ["or", ["field", "a"], ["field", "b"], ["field", "c"]]),
    ],
)
def test_conditions_the_browser_can_evaluate(text: str, tree: list[object]) -> None:
    assert compile_browser_condition(text) == tree


@pytest.mark.parametrize(
    "text", ["customer.level == 'A'", "today() > expected_close", "stage ==", "__import__('os')"]
)
def test_other_conditions_leave_the_element_shown(text: str) -> None:
    assert compile_browser_condition(text) is None
