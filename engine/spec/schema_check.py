"""JSON Schema validation of loaded documents, every error turned into a readable diagnostic.

Each document is validated against `#/definitions/<kind>_file` of the app-folder schema
with one pre-built `Draft7Validator` per kind. Every error is reported (never only the
first), mapped to a stable S-code by the keyword that failed, located at the offending node
(or key) and phrased in plain English with a "did you mean" where one exists:

S100 unknown key · S101 missing required key · S102 value not among the allowed ones ·
S103 wrong type · S104 text not of the required form · S105 number out of range ·
S106 text too short or long · S107 too few or many items · S108 duplicate list items ·
S109 too few or many keys · S110 any other schema violation · S199 no schema for a kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from engine.diagnostics import Diagnostic, did_you_mean, sort_diagnostics
from engine.spec.document import DOCUMENT_KINDS, Document, Loc, SourceIndex
from engine.spec.schema_fastpath import FastValidator, compile_fast_validator
from engine.spec.sourcemap import join_pointer

__all__ = ["ID_PATTERN", "SchemaValidators", "validate_documents", "validators_for"]

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


_NAMED_SCHEMAS = {"properties", "patternProperties", "definitions", "dependencies"}
_SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "items"}
_SCHEMAS = {"items", "additionalItems", "additionalProperties", "contains", "propertyNames"}
_SCHEMAS |= {"not", "if", "then", "else"}


class SchemaValidators:
    """One pre-built Draft7Validator per document kind of one app-folder schema."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        schema = _require_discriminators(schema)
        definitions = schema.get("definitions", {})
        self._validators: dict[str, Draft7Validator] = {}
        self._wrappers: dict[str, dict[str, Any]] = {}
        self._fast: dict[str, FastValidator | None] = {}
        for kind in DOCUMENT_KINDS:
            name = f"{kind}_file"
            if name in definitions:
                # `$ref` siblings are ignored in draft-07: the wrapper only anchors the
                # references of the definitions at the original root.
                wrapper = {k: schema[k] for k in ("$schema", "$id") if k in schema}
                wrapper.update(definitions=definitions, **{"$ref": f"#/definitions/{name}"})
                self._validators[kind] = Draft7Validator(wrapper)
                self._wrappers[kind] = wrapper

    def for_kind(self, kind: str) -> Draft7Validator | None:
        """The validator of one kind's files, or None when the schema does not define it."""
        return self._validators.get(kind)

    def is_valid_fast(self, kind: str, data: Any) -> bool:
        """True when the compiled fast path accepts the document (built on first use)."""
        if kind not in self._fast:
            wrapper = self._wrappers.get(kind)
            self._fast[kind] = compile_fast_validator(wrapper) if wrapper else None
        fast = self._fast[kind]
        return fast is not None and fast(data)


def _require_discriminators(schema: Any) -> Any:
    """A copy where `if: {properties: {type: {const: X}}}` also requires `type`.

    Without it a node that lacks its discriminator satisfies every `if` and gets the errors
    of every `then` branch; the missing key is already reported by `required`.
    """
    if not isinstance(schema, Mapping):
        return schema
    patched: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _NAMED_SCHEMAS and isinstance(value, Mapping):
            patched[key] = {name: _require_discriminators(v) for name, v in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            patched[key] = [_require_discriminators(v) for v in value]
        elif key in _SCHEMAS:
            patched[key] = _require_discriminators(value)
        else:
            patched[key] = value
    condition = patched.get("if")
    if isinstance(condition, dict) and "required" not in condition:
        properties = condition.get("properties")
        if isinstance(properties, Mapping):
            constants = [
                k for k, v in properties.items() if isinstance(v, Mapping) and "const" in v
            ]
            if constants:
                patched["if"] = {**condition, "required": constants}
    return patched


# Built validators by schema identity: the schema of a registry is built once and then
# passed to every check, so the (costly) validator construction happens once per schema.
_VALIDATORS: dict[int, tuple[Mapping[str, Any], SchemaValidators]] = {}
_VALIDATORS_KEPT = 8


def validators_for(schema: Mapping[str, Any]) -> SchemaValidators:
    """The validators of `schema`, built on first use and reused while it lives."""
    hit = _VALIDATORS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    built = SchemaValidators(schema)
    if len(_VALIDATORS) >= _VALIDATORS_KEPT:
        _VALIDATORS.pop(next(iter(_VALIDATORS)))
    _VALIDATORS[id(schema)] = (schema, built)
    return built


def validate_documents(
    documents: Iterable[Document], sources: SourceIndex, schema: Mapping[str, Any]
) -> list[Diagnostic]:
    """Every schema violation of every document: S-code diagnostics, sorted, each once."""
    validators = validators_for(schema)
    found: list[Diagnostic] = []
    for document in documents:
        validator = validators.for_kind(document.kind)
        if validator is None:
            message = f"the schema defines no '{document.kind}_file': cannot check this file"
            found.append(sources.diagnostic("S199", message, Loc(document.file, "")))
            continue
        if validators.is_valid_fast(document.kind, document.data):
            continue
        try:
            errors = list(validator.iter_errors(document.data))
        except Unresolvable as broken:
            # A defect of the schema, not of the app: say so instead of crashing `check`.
            message = f"the app schema cannot resolve {broken.ref!r}: cannot check this file"
            found.append(sources.diagnostic("S199", message, Loc(document.file, "")))
            continue
        for error in errors:
            found.extend(_diagnose(error, document.file, sources))
    # jsonschema reports some keys in set order: sort, so the output never varies.
    return sort_diagnostics(found)


def _diagnose(error: ValidationError, file: str, sources: SourceIndex) -> Iterator[Diagnostic]:
    """The diagnostics of one validation error (several for several unknown keys)."""
    loc = Loc(file, join_pointer("", *error.absolute_path))
    keyword = str(error.validator)
    if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
        # propertyNames checks keys: the error's path is the mapping, its instance the key.
        where = Loc(file, join_pointer(loc.pointer, error.instance))
        yield _key_diagnostic(error, keyword, where, sources)
    elif keyword in ("anyOf", "oneOf") and error.context:
        yield from _alternatives(error, file, sources)
    elif keyword == "additionalProperties":
        yield from _unknown_keys(error, loc, sources)
    elif keyword in ("required", "dependencies"):
        yield from _missing_keys(error, loc, sources)
    elif keyword == "type":
        yield _type_diagnostic(_as_list(error.validator_value), error.instance, loc, sources)
    elif keyword == "not" and _forbids_keys(error):
        yield from _forbidden_keys(error, loc, sources)
    else:
        yield _key_diagnostic(error, keyword, loc, sources, key=False)


def _key_diagnostic(
    error: ValidationError, keyword: str, loc: Loc, sources: SourceIndex, *, key: bool = True
) -> Diagnostic:
    """Errors about one value (or, with key=True, about a mapping key's text)."""
    if keyword in ("enum", "const"):
        return _not_allowed(error, loc, sources, key=key)
    if keyword == "pattern":
        message, hint = _pattern_words(str(error.instance), str(error.validator_value))
        return sources.diagnostic("S104", message, loc, hint=hint, key=key)
    code, message = _limits(error, keyword)
    return sources.diagnostic(code, message, loc, key=key)


def _alternatives(error: ValidationError, file: str, sources: SourceIndex) -> Iterator[Diagnostic]:
    """anyOf/oneOf: the errors of the branch the value was meant for, or a type mismatch."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [
        errors
        for errors in branches.values()
        if not any(e.validator == "type" and not e.relative_path for e in errors)
    ]
    if fitting:
        for sub in min(fitting, key=len):
            yield from _diagnose(sub, file, sources)
        return
    expected: list[str] = []
    for errors in branches.values():
        for sub in errors:
            if sub.validator == "type" and not sub.relative_path:
                expected.extend(_as_list(sub.validator_value))
    loc = Loc(file, join_pointer("", *error.absolute_path))
    yield _type_diagnostic(expected, error.instance, loc, sources)


def _unknown_keys(error: ValidationError, loc: Loc, sources: SourceIndex) -> Iterator[Diagnostic]:
    """S100 at each key that the schema does not allow (S104 for ill-formed id keys)."""
    if not isinstance(error.instance, dict):
        return
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    allowed = list(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    for key in error.instance:
        if key in allowed or any(re.search(p, str(key)) for p in patterns):
            continue
        where = Loc(loc.file, join_pointer(loc.pointer, key))
        if patterns and not allowed:
            message, hint = _pattern_words(str(key), patterns[0])
            yield sources.diagnostic("S104", message, where, key=True, hint=hint)
            continue
        message = f"unknown key '{key}'"
        kind = error.instance.get("type")
        if isinstance(kind, str):
            message += f" for type '{kind}'"
        hint = did_you_mean(str(key), allowed)
        if hint is None and allowed:
            hint = "allowed keys: " + _listing(allowed)
        yield sources.diagnostic("S100", message, where, key=True, hint=hint)


def _missing_keys(error: ValidationError, loc: Loc, sources: SourceIndex) -> Iterator[Diagnostic]:
    """S101 at the mapping, once per key it lacks."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    dependencies = error.validator_value if isinstance(error.validator_value, dict) else {}
    if error.validator == "dependencies":
        wanted = [
            (needed, f" (needed with '{key}')")
            for key, needs in dependencies.items()
            if key in instance and isinstance(needs, list)
            for needed in needs
        ]
    else:
        wanted = [(name, "") for name in _as_list(error.validator_value)]
    kind = instance.get("type")
    for name, why in wanted:
        if name in instance:
            continue
        suffix = why or (f" for type '{kind}'" if isinstance(kind, str) else "")
        yield sources.diagnostic("S101", f"missing required key '{name}'{suffix}", loc)


def _forbids_keys(error: ValidationError) -> bool:
    """True for `not: {required: [...]}`: keys that exclude each other."""
    value = error.validator_value
    return isinstance(value, Mapping) and set(value) == {"required"}


def _forbidden_keys(error: ValidationError, loc: Loc, sources: SourceIndex) -> Iterator[Diagnostic]:
    """S110 at each key that may not be combined with the other keys of its mapping."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    value = error.validator_value if isinstance(error.validator_value, Mapping) else {}
    present = [k for k in _as_list(value.get("required")) if k in instance]
    others = [f"'{k}'" for k in instance if k not in present]
    for name in present:
        message = f"'{name}' cannot be used together with {', '.join(others) or 'these keys'}"
        where = Loc(loc.file, join_pointer(loc.pointer, name))
        yield sources.diagnostic("S110", message, where, key=True, hint=f"remove '{name}'")


def _not_allowed(
    error: ValidationError, loc: Loc, sources: SourceIndex, *, key: bool = False
) -> Diagnostic:
    """S102: the value is none of the allowed ones."""
    allowed = (
        _as_list(error.validator_value) if error.validator == "enum" else [error.validator_value]
    )
    value = error.instance
    listing = _listing([_literal(v) for v in allowed])
    message = f"{_show(value)} is not a valid {_noun(error)} (expected one of: {listing})"
    if len(allowed) == 1:
        message = f"{_show(value)} is not a valid {_noun(error)} (expected {listing})"
    hint = did_you_mean(str(value), [str(v) for v in allowed]) if isinstance(value, str) else None
    return sources.diagnostic("S102", message, loc, hint=hint, key=key)


def _type_diagnostic(
    expected: Sequence[Any], value: Any, loc: Loc, sources: SourceIndex
) -> Diagnostic:
    """S103: expected one kind of value, got another."""
    names = list(dict.fromkeys(_TYPE_NAMES.get(str(t), str(t)) for t in expected))
    wanted = " or ".join(names) if names else "another kind of value"
    message = f"expected {wanted}, got {_show(value)}"
    hint = None
    if "string" in expected and isinstance(value, bool):
        hint = "YAML reads true/false, yes/no and on/off as booleans: quote the value"
    elif "string" in expected and isinstance(value, int | float):
        hint = f"quote the value to make it text: '{value}'"
    elif "array" in expected and isinstance(value, str | int | float):
        hint = f"write a list: [{value}]"
    return sources.diagnostic("S103", message, loc, hint=hint)


def _pattern_words(value: str, pattern: str) -> tuple[str, str | None]:
    """Message and hint for a text that does not match `pattern`."""
    if pattern == ID_PATTERN or pattern.startswith(_ID_PATTERN_START):
        message = (
            f"'{value}' is not a valid id: ids are snake_case "
            "(lowercase letters, digits and _, starting with a letter)"
        )
        fixed = re.sub(r"[^a-z0-9_]+", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", value).lower())
        fixed = fixed.strip("_")
        hint = f"did you mean '{fixed}'?" if re.match(ID_PATTERN, fixed) else None
        return message, hint
    return f"'{value}' does not have the required form (pattern {pattern})", None


def _limits(error: ValidationError, keyword: str) -> tuple[str, str]:
    """Code and message for ranges, lengths, sizes, uniqueness and everything else."""
    limit = error.validator_value
    shown = _show(error.instance)
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
    if keyword == "oneOf":
        return "S110", f"{shown} fits more than one of the allowed forms; make it unambiguous"
    detail = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return "S110", f"{shown} is not allowed here ({detail})"


def _noun(error: ValidationError) -> str:
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


def _listing(values: Sequence[str]) -> str:
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + ", …" if len(values) > _MAX_LISTED else shown


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _show(value: Any) -> str:
    """A short, readable rendering of a YAML value for messages."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return _literal(value)


def _duplicates(value: Any) -> str:
    if not isinstance(value, list):
        return "items"
    seen: list[Any] = []
    repeated: list[str] = []
    for item in value:
        if item in seen and _show(item) not in repeated:
            repeated.append(_show(item))
        seen.append(item)
    return ", ".join(repeated) or "items"
