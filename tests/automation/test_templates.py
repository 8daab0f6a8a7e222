"""Text templates: the sales rules' notify texts render from records (lazy mappings too);
missing names, keys and NULLs render empty; business filters round half up on Decimals;
HTML escapes values; syntax and render errors name the line; the sandbox holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.automation.templates import TemplateFailed, TemplateRenderer

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


class LazyRecord(Mapping[str, Any]):
    """A record whose values load on access; a missing key raises KeyError."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)
        self.loaded: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.loaded.append(key)
        value = self._values[key]
        return value() if callable(value) else value

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("a template must not list a record's fields")

    def __len__(self) -> int:
        return len(self._values)


@pytest.fixture
def renderer() -> TemplateRenderer:
    return TemplateRenderer(SHANGHAI)


def test_the_bonus_notification(renderer: TemplateRenderer) -> None:
    record = LazyRecord({"name": "王芳 2026-03", "attainment": D("1.2345")})
    band = {"tier": "exceeded", "rate": D("0.04"), "cap": D(60000)}
    names = {"record": record, "band": band}
    title = renderer.render("目标达成，奖金已计提：{{ record.name }}", names)
    assert title == "目标达成，奖金已计提：王芳 2026-03"
    body = renderer.render(
        "Attainment {{ (record.attainment * 100) | round(1) }} %: a bonus at "
        "{{ (band.rate * 100) | round(1) }} % is accrued.",
        names,
    )
    assert body == "Attainment 123.5 %: a bonus at 4.0 % is accrued."


def test_a_lazy_relation_loads_on_access(renderer: TemplateRenderer) -> None:
    customer = LazyRecord({"name": "Acme"})
    deal = LazyRecord({"name": "Big deal", "customer": lambda: customer, "amount": D("500000.00")})
    text = "{{ record.name }} for {{ record.customer.name }}: ¥{{ record.amount }}"
    assert renderer.render(text, {"record": deal}) == "Big deal for Acme: ¥500000.00"
    assert deal.loaded == ["name", "customer", "amount"]


def test_a_field_named_like_a_mapping_method_is_the_field(renderer: TemplateRenderer) -> None:
    record = LazyRecord({"items": 3, "values": "v", "get": "g", "keys": "k"})
    text = "{{ record.items }} {{ record.values }} {{ record.get }} {{ record.keys }}"
    assert renderer.render(text, {"record": record}) == "3 v g k"


@pytest.mark.parametrize(
    "text",
    [
        "[{{ nobody }}]",
        "[{{ nobody.name }}]",
        "[{{ record.missing }}]",
        "[{{ record.missing.deeper }}]",
        "[{{ record.blank }}]",
        "[{{ record.blank.name }}]",
        "[{{ record.blank * 100 }}]",
        "[{{ (record.blank * 100) | round(1) }}]",
        "[{{ -record.blank }}]",
        "[{{ record.missing | money }}]",
        "[{{ record.blank | date }}]",
        "[{{ record.blank | percent }}]",
        "[{{ 1 / 0 }}]",
        "[{{ record.amount / 0 }}]",
    ],
)
def test_missing_and_null_render_empty(renderer: TemplateRenderer, text: str) -> None:
    record = LazyRecord({"blank": None, "amount": D(5)})
    assert renderer.render(text, {"record": record}) == "[]"


def test_missing_values_can_have_a_default(renderer: TemplateRenderer) -> None:
    text = "{{ record.blank | default('-', true) }} {{ nobody | default('n/a') }}"
    assert renderer.render(text, {"record": {"blank": None}}) == "- n/a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ x | round }}", "3"),
        ("{{ -x | round }}", "-3"),
        ("{{ y | round(1) }}", "0.1"),  # 0.05 → 0.1: half up, not to even
        ("{{ 1.25 | round(1) }}", "1.3"),  # a float literal is read as written
        ("{{ z | round(2) }}", "1234.57"),
        ("{{ z | round(0, 'floor') }}", "1234"),
        ("{{ z | round(0, 'ceil') }}", "1235"),
        ("{{ z | money }}", "1,234.57"),
        ("{{ big | money }}", "12,345,678.00"),
        ("{{ -z | money }}", "-1,234.57"),
        ("{{ 1234 | money(0) }}", "1,234"),
        ("{{ rate | percent }}", "12.5%"),
        ("{{ rate | percent(0) }}", "13%"),
        ("{{ rate * 1.5 }}", "0.1875"),  # a Decimal times a float stays exact
        ("{{ exp }}", "100000"),  # no exponent
        ("{{ day | date }}", "2026-03-02"),
        ("{{ day | date('%d/%m/%Y') }}", "02/03/2026"),
        ("{{ moment | date }}", "2026-03-03"),  # 17:00 UTC is the next day in Shanghai
        ("{{ moment | datetime }}", "2026-03-03 01:00"),
        ("{{ 'text' | date }}", "text"),
    ],
)
def test_business_filters(renderer: TemplateRenderer, text: str, expected: str) -> None:
    names = {
        "x": D("2.5"),
        "y": D("0.05"),
        "z": D("1234.565"),
        "big": 12345678,
        "rate": D("0.125"),
        "exp": D("1E+5"),
        "day": date(2026, 3, 2),
        "moment": datetime(2026, 3, 2, 17, 0, tzinfo=UTC),
    }
    assert renderer.render(text, names) == expected


def test_html_escapes_values_and_plain_text_does_not(renderer: TemplateRenderer) -> None:
    names = {"name": "<b>Tom & Jerry</b>"}
    assert renderer.render_html("<p>{{ name }}</p>", names) == (
        "<p>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</p>"
    )
    assert renderer.render("<p>{{ name }}</p>", names) == "<p><b>Tom & Jerry</b></p>"


def test_text_without_tags_is_returned_as_it_is(renderer: TemplateRenderer) -> None:
    assert renderer.render("Deal won", {}) == "Deal won"
    assert renderer.render("a\nb\n", {}) == "a\nb\n"
    assert renderer.render("{{ x }}\n", {"x": 1}) == "1\n"  # the trailing newline stays


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Hello {{ record.name ", 1, "unexpected end of template"),
        ("one\ntwo\n{% if %}\n", 3, "Expected an expression"),
        ("{{ record.name }}\n{% endif %}", 2, "Encountered unknown tag 'endif'"),
        ("{{ x | nosuchfilter }}", 1, "No filter named 'nosuchfilter'"),
    ],
)
def test_syntax_errors_name_the_line(
    renderer: TemplateRenderer, text: str, line: int, message: str
) -> None:
    with pytest.raises(TemplateFailed) as caught:
        renderer.render(text, {"record": {"name": "x"}})
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"template line {line}: ")
    with pytest.raises(TemplateFailed):
        renderer.check(text)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("ok\n{{ name | round(1) }}", 2, "round: 'Acme' is not a number"),
        ("ok\nok\n{{ name | money }}", 3, "money: 'Acme' is not a number"),
        ("{{ 5 | round(1, 'up') }}", 1, "round: the method is common, ceil or floor"),
        ("a\n{{ name * name }}", 2, "can't multiply sequence"),
    ],
)
def test_render_errors_name_the_line(
    renderer: TemplateRenderer, text: str, line: int, message: str
) -> None:
    with pytest.raises(TemplateFailed) as caught:
        renderer.render(text, {"name": "Acme"})
    assert caught.value.line == line
    assert message in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "{{ record.__class__ }}",
        "{{ record.__class__.__mro__ }}",
        "{{ record._values }}",
    ],
)
def test_the_sandbox_hides_internals(renderer: TemplateRenderer, text: str) -> None:
    assert renderer.render(text, {"record": LazyRecord({"name": "x"})}) == ""


def test_the_sandbox_refuses_to_call_internals(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateFailed, match="attribute '__class__' of 'str' object is unsafe"):
        renderer.render("{{ ''.__class__.__subclasses__() }}", {})


def test_the_sandbox_does_not_change_values(renderer: TemplateRenderer) -> None:
    names = {"items": [1, 2]}
    with pytest.raises(TemplateFailed, match="unsafe"):
        renderer.render("{{ items.append(3) }}", names)
    assert names["items"] == [1, 2]


def test_templates_are_compiled_once(renderer: TemplateRenderer) -> None:
    compiled: list[str] = []
    environment = renderer._text  # the plain-text environment
    real = environment.from_string

    def counting(source: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source)
        return real(source, *args, **kwargs)

    environment.from_string = counting  # type: ignore[method-assign]
    for number in range(5):
        assert renderer.render("n={{ n }}", {"n": number}) == f"n={number}"
    assert compiled == ["n={{ n }}"]


def test_the_cache_is_bounded() -> None:
    renderer = TemplateRenderer(cache_size=2)
    for number in range(5):
        assert renderer.render(f"{number}:{{{{ n }}}}", {"n": "x"}) == f"{number}:x"
    assert len(renderer._compiled[False]) == 2
