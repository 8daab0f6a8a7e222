"""How schema errors are worded: the values shown, the forms a pattern stands for, the
kinds of value a key expects, limits and the "did you mean" hints of `schema_check`.

An author never sees a raw regular expression: each pattern the app schema uses is named by
the form it describes ("a duration like 30m, 48h, 3d or 2w"); a pattern this module does
not know (a plugin's) is described by its key's own `description`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError

__all__ = [
    "ID_PATTERN",
    "as_list",
    "expected_kinds",
    "format_words",
    "limit_words",
    "listing",
    "literal",
    "noun",
    "pattern_words",
    "show",
    "type_hint",
]

ID_PATTERN = "^[a-z][a-z0-9_]*$"
# The schema may bound the length inside the pattern (`{0,47}`): still the id pattern.
_ID_PATTERN_START = "^[a-z][a-z0-9_]"
_MAX_LISTED = 12
_TYPE_NAMES = {
    "string": "text",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "null": "nothing",
}
# What a `type:` discriminates, by the key of the collection that holds the node.
_TYPED_THINGS = {
    "fields": "field",
    "triggers": "trigger",
    "actions": "action",
    "on_enter": "action",
    "views": "view",
    "widgets": "widget",
    "steps": "step",
    "approvers": "approver",
    "cc": "approver",
    "to": "recipient",
}
_EXPRESSION = "an =expression"
_ISO_DATE = "an ISO date like 2026-03-01"
# The forms of the app schema's patterns (the schema's own and the built-in plugins').
_FORMS: Mapping[str, str] = {
    r"^[+-]?[0-9]+(m|h|d|w)$": "a duration like 30m, 48h, 3d or 2w (a whole number and "
    "m, h, d or w, with an optional sign)",
    r"^\s*\S+(\s+\S+){4}\s*$": "a cron expression of five fields (minute hour day month "
    "weekday) like '0 9 * * 1'",
    r"^[^{}]*(\{(yyyy|yy|mm|dd|0+)\}[^{}]*)*$": "a sequence pattern: text with the tokens "
    "{yyyy}, {yy}, {mm}, {dd} and a run of zeros such as {0000} for the counter",
    r"^(https?://|=).+": "a web address starting with http:// or https://, or " + _EXPRESSION,
    r"^https?://.+": "a web address starting with http:// or https://",
    r"^[A-Z]{3}$": "a three-letter ISO 4217 currency code like CNY or USD",
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$": "a locale code like en, zh or zh-CN",
    r"^#[0-9a-fA-F]{6}$": "a colour written #rrggbb",
    r"^[a-z0-9-]+$": "lowercase letters, digits and '-' (file-text)",
    r"^[A-Za-z0-9-]+$": "an HTTP header name (letters, digits and '-')",
    r"^(\.[A-Za-z0-9]+|[a-z]+/[\w.+*-]+)$": "a file extension like .pdf or a MIME type "
    "like image/*",
    r"^(=.+|[0-9]{4}-[0-9]{2}-[0-9]{2})$": f"{_ISO_DATE}, or {_EXPRESSION}",
    r"^(=.+|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?.*)$": "an ISO "
    f"date and time like 2026-03-01T09:00, or {_EXPRESSION}",
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$": "an ISO date and time with its offset like "
    "2026-03-02T09:00:00+08:00",
    r"^[^@\s]+@[^@\s]+$|^.+<[^@\s]+@[^@\s]+>$": "an e-mail address like crm@example.com "
    "or CRM <crm@example.com>",
    r"^[^@\s]+@[^@\s]+$": "an e-mail address like crm@example.com",
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$": "a time of day written HH:MM, like 09:00",
    r"^[A-Za-z0-9_.@-]+$": "a username (letters, digits and . _ @ -)",
    r"^-?[a-z][a-z0-9_]*$": "a field id, with '-' in front for descending (-amount)",
}
# Keys that take a number (or a boolean …) or an `=expression`: a text that is not one.
_EXPRESSION_ONLY = frozenset({"^=", "^=.+"})
_THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}([,' ][0-9]{3})+(\.[0-9]+)?$")
_NUMBER_TEXT = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def pattern_words(value: str, pattern: str, schema: Mapping[str, Any]) -> tuple[str, str | None]:
    """Message and hint for a text that does not match `pattern` (never the regex itself)."""
    if pattern == ID_PATTERN or pattern.startswith(_ID_PATTERN_START):
        message = (
            f"'{value}' is not a valid id: ids are snake_case "
            "(lowercase letters, digits and _, starting with a letter)"
        )
        fixed = re.sub(r"[^a-z0-9_]+", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", value).lower())
        fixed = fixed.strip("_")
        hint = f"did you mean '{fixed}'?" if re.match(ID_PATTERN, fixed) else None
        return message, hint
    if pattern in _EXPRESSION_ONLY:
        kinds = [t for t in as_list(schema.get("type")) if t != "string"]
        wanted = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in kinds) or "a value"
        hint = None
        if "number" in kinds or "integer" in kinds:
            hint = number_hint(value)
        return f"expected {wanted} or {_EXPRESSION}, got {show(value)}", hint
    form = _FORMS.get(pattern)
    if form is not None:
        return f"'{value}' is not {form}", None
    described = str(schema.get("description", "")).strip().rstrip(".")
    if described:
        return f"'{value}' does not have the required form: {described}", None
    return f"'{value}' does not have the required form", None


def format_words(value: Any, format_name: str) -> str:
    """The message for a text that is not of a JSON Schema `format` (a regex, …)."""
    if format_name == "regex" and isinstance(value, str):
        try:
            re.compile(value)
        except re.error as error:
            return f"{show(value)} is not a valid regular expression: {error}"
    return f"{show(value)} is not a valid {format_name}"


def number_hint(value: str) -> str | None:
    """A hint for a text that was meant as a number: `1,000`, `"100"`."""
    text = value.strip()
    if _THOUSANDS.match(text):
        digits = re.sub(r"[,' ]", "", text)
        return f"write {digits}: numbers take no thousands separator"
    if _NUMBER_TEXT.match(text):
        return f"write the number without quotes: {text}"
    return None


def expected_kinds(expected: Sequence[Any]) -> str:
    """'a number or text' for the JSON types in `expected`."""
    names = list(dict.fromkeys(_TYPE_NAMES.get(str(t), str(t)) for t in expected))
    return " or ".join(names) if names else "another kind of value"


def type_hint(expected: Sequence[Any], value: Any) -> str | None:
    """What to write instead of a value of the wrong kind."""
    if "string" in expected and isinstance(value, bool):
        return "YAML reads true/false, yes/no and on/off as booleans: quote the value"
    if "string" in expected and isinstance(value, int | float):
        return f"quote the value to make it text: '{value}'"
    if ("number" in expected or "integer" in expected) and isinstance(value, str):
        return number_hint(value)
    if "array" in expected and isinstance(value, str | int | float):
        return f"write a list: [{value}]"
    return None


def limit_words(error: ValidationError, keyword: str) -> tuple[str, str]:
    """Code and message for ranges, lengths, sizes, uniqueness and everything else."""
    limit = error.validator_value
    shown = show(error.instance)
    size = len(error.instance) if isinstance(error.instance, str | list | dict) else 0
    table: dict[str, tuple[str, str]] = {
        "minimum": ("S105", f"{shown} is too small: the minimum is {limit}"),
        "maximum": ("S105", f"{shown} is too large: the maximum is {limit}"),
        "exclusiveMinimum": ("S105", f"{shown} is too small: it must be more than {limit}"),
        "exclusiveMaximum": ("S105", f"{shown} is too large: it must be less than {limit}"),
        "multipleOf": ("S105", f"{shown} is not a multiple of {limit}"),
        "minLength": ("S106", f"{shown} is too short: at least {limit} characters"),
        "maxLength": ("S106", f"{shown} is too long: at most {limit} characters, not {size}"),
        "minItems": ("S107", f"too few items: at least {limit} needed, not {size}"),
        "maxItems": ("S107", f"too many items: at most {limit} allowed, not {size}"),
        "uniqueItems": ("S108", f"the list repeats {_duplicates(error.instance)}"),
        "minProperties": ("S109", f"too few keys: at least {limit} needed, not {size}"),
        "maxProperties": ("S109", f"too many keys: at most {limit} allowed, not {size}"),
    }
    if keyword in table:
        return table[keyword]
    if keyword == "format":
        return "S104", format_words(error.instance, str(limit))
    if keyword == "oneOf":
        return "S110", f"{shown} fits more than one of the allowed forms; make it unambiguous"
    detail = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return "S110", f"{shown} is not allowed here ({detail})"


def noun(error: ValidationError) -> str:
    """What the rejected value is: 'field type', "value for 'mode'", …"""
    path = list(error.absolute_path)
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return "value"
    last = names[-1]
    if last == "type" and path and path[-1] == "type":
        holder = path[-3] if len(path) >= 3 else None
        thing = _TYPED_THINGS.get(holder) if isinstance(holder, str) else None
        return f"{thing} type" if thing else "type"
    return f"value for '{last}'"


def listing(values: Sequence[str]) -> str:
    """At most a dozen values, comma-separated."""
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + ", …" if len(values) > _MAX_LISTED else shown


def as_list(value: Any) -> list[Any]:
    """A schema keyword's value as a list (`type: string` → ['string'])."""
    return list(value) if isinstance(value, list | tuple) else [value]


def literal(value: Any) -> str:
    """A schema constant as YAML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def show(value: Any) -> str:
    """A short, readable rendering of a YAML value for messages."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return literal(value)


def _duplicates(value: Any) -> str:
    if not isinstance(value, list):
        return "items"
    seen: list[Any] = []
    repeated: list[str] = []
    for item in value:
        if item in seen and show(item) not in repeated:
            repeated.append(show(item))
        seen.append(item)
    return ", ".join(repeated) or "items"
