"""Exact JSON: decimals leave as number literals written from the decimal itself, and
numbers in bodies come in as decimals."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask

from engine.web.api.encoding import dumps, read_json_object


def test_decimals_are_exact_number_literals() -> None:
    value = {"a": Decimal("0.1"), "b": [Decimal("1E+3"), Decimal("-0.050000")], "c": None}
    text = dumps(value)
    assert text == '{"a":0.1,"b":[1000,-0.05],"c":null}'
    big = Decimal("12345678901234567.89")
    assert dumps(big) == "12345678901234567.89"  # a float would round this
    assert json.loads(dumps(big), parse_float=Decimal) == big


def test_other_values_are_plain_json() -> None:
    moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    text = dumps({"d": date(2026, 3, 2), "t": moment, "s": '合同 "x"', "n": 3, "ok": True})
    assert json.loads(text) == {
        "d": "2026-03-02",
        "t": "2026-03-02T01:00:00+00:00",
        "s": '合同 "x"',
        "n": 3,
        "ok": True,
    }


def test_request_numbers_are_read_as_decimals() -> None:
    app = Flask(__name__)
    body = '{"amount": 0.1, "count": 2, "nested": {"rate": 1.005}}'
    with app.test_request_context(data=body, content_type="application/json"):
        assert read_json_object() == {
            "amount": Decimal("0.1"),
            "count": 2,
            "nested": {"rate": Decimal("1.005")},
        }
    with app.test_request_context(data=body, content_type="text/plain"):
        assert read_json_object() is None
    with app.test_request_context(data="[1]", content_type="application/json"):
        assert read_json_object() is None


def test_the_encoder_writes_what_json_dumps_writes_for_everything_but_decimals() -> None:
    class Text(str):
        pass

    moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    value = {
        "s": 'line\n"quoted" \\ 合同 \u2028 \x00',
        "sub": Text("subclass"),
        "i": -(10**30),
        "b": [True, False, None],
        "f": 1.25,
        "t": (1, "two"),
        3: {"nested": [date(2026, 1, 1), moment]},
    }
    expected = json.dumps(
        {**value, 3: {"nested": ["2026-01-01", moment.isoformat()]}},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert dumps(value) == expected
