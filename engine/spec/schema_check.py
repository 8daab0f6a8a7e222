"""JSON Schema validation of loaded documents, every error turned into a readable diagnostic.

Each document is validated against `#/definitions/<kind>_file` of the app-folder schema
with one pre-built `Draft7Validator` per kind. Every error is reported (never only the
first), mapped to a stable S-code by the keyword that failed, located at the offending node
(or key) and phrased in plain English with a "did you mean" where one exists:

S100 unknown key · S101 missing required key · S102 value not among the allowed ones ·
S103 wrong type · S104 text not of the required form · S105 number out of range ·
S106 text too short or long · S107 too few or many items · S108 duplicate list items ·
S109 too few or many keys · S110 any other schema violation · S199 no schema for a kind.
The checks that JSON Schema cannot express readably, made after building (a rollup's key
rules in `field_checks`, time zone names in `time_zones`), use the same codes.

Besides the diagnostics, `check_documents` says which nodes the schema *rejected*: values of
the wrong kind or form (S100, S102, S103, S104 on a value). The builder leaves exactly those
out, so a document with a schema error is still built and checked — only the broken node is
missing. A mapping that lacks a key (S101), a key whose name is ill-formed, a number out of
range … are not rejected: what is there is still usable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from engine.diagnostics import Diagnostic, did_you_mean, sort_diagnostics
from engine.spec.document import DOCUMENT_KINDS, Document, Loc, SourceIndex
from engine.spec.schema_fastpath import FastValidator, compile_fast_validator
from engine.spec.schema_words import (
    ID_PATTERN,
    as_list,
    expected_kinds,
    limit_words,
    listing,
    literal,
    noun,
    pattern_words,
    show,
    type_hint,
)
from engine.spec.sourcemap import join_pointer

__all__ = [
    "ID_PATTERN",
    "SchemaReport",
    "SchemaValidators",
    "check_documents",
    "validate_documents",
    "validators_for",
]

# The formats the schema's keys declare and `check` enforces (fastjsonschema checks them
# too, so both paths agree): a `pattern` key of a text field must compile.
_FORMATS = FormatChecker(formats=("regex",))


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
                self._validators[kind] = Draft7Validator(wrapper, format_checker=_FORMATS)
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


@dataclass(frozen=True)
class SchemaReport:
    """What the schema check found: the diagnostics, and the rejected nodes by file."""

    diagnostics: list[Diagnostic]
    rejected: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Finding:
    """One diagnostic, and the pointer of the node it rejects (None: nothing rejected)."""

    diagnostic: Diagnostic
    rejects: str | None = None


def validate_documents(
    documents: Iterable[Document], sources: SourceIndex, schema: Mapping[str, Any]
) -> list[Diagnostic]:
    """Every schema violation of every document: S-code diagnostics, sorted, each once."""
    return check_documents(documents, sources, schema).diagnostics


def check_documents(
    documents: Iterable[Document], sources: SourceIndex, schema: Mapping[str, Any]
) -> SchemaReport:
    """Every schema violation of every document, and the nodes the schema rejected."""
    validators = validators_for(schema)
    found: list[Diagnostic] = []
    rejected: dict[str, set[str]] = {}
    for document in documents:
        for finding in _document_findings(document, sources, validators):
            found.append(finding.diagnostic)
            if finding.rejects is not None:
                rejected.setdefault(document.file, set()).add(finding.rejects)
    # jsonschema reports some keys in set order: sort, so the output never varies.
    frozen = {file: frozenset(pointers) for file, pointers in rejected.items()}
    return SchemaReport(sort_diagnostics(list(dict.fromkeys(found))), frozen)


def _document_findings(
    document: Document, sources: SourceIndex, validators: SchemaValidators
) -> Iterator[_Finding]:
    validator = validators.for_kind(document.kind)
    if validator is None:
        message = f"the schema defines no '{document.kind}_file': cannot check this file"
        yield _Finding(sources.diagnostic("S199", message, Loc(document.file, "")))
        return
    if validators.is_valid_fast(document.kind, document.data):
        return
    try:
        errors = list(validator.iter_errors(document.data))
    except Unresolvable as broken:
        # A defect of the schema, not of the app: say so instead of crashing `check`.
        message = f"the app schema cannot resolve {broken.ref!r}: cannot check this file"
        yield _Finding(sources.diagnostic("S199", message, Loc(document.file, "")))
        return
    for error in errors:
        yield from _diagnose(error, document.file, sources)


def _diagnose(error: ValidationError, file: str, sources: SourceIndex) -> Iterator[_Finding]:
    """The findings of one validation error (several for several unknown keys)."""
    loc = Loc(file, join_pointer("", *error.absolute_path))
    keyword = str(error.validator)
    if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
        # propertyNames checks keys: the error's path is the mapping, its instance the key.
        # The key's name is wrong, not its value: nothing is rejected.
        where = Loc(file, join_pointer(loc.pointer, error.instance))
        yield _Finding(_value_diagnostic(error, keyword, where, sources, key=True))
    elif keyword in ("anyOf", "oneOf") and error.context:
        yield from _alternatives(error, file, sources)
    elif keyword == "additionalProperties":
        yield from _unknown_keys(error, loc, sources)
    elif keyword in ("required", "dependencies"):
        yield from (_Finding(d) for d in _missing_keys(error, loc, sources))
    elif keyword == "type":
        expected = as_list(error.validator_value)
        yield _Finding(_type_diagnostic(expected, error.instance, loc, sources), loc.pointer)
    elif keyword == "not" and _forbids_keys(error):
        yield from (_Finding(d) for d in _forbidden_keys(error, loc, sources))
    else:
        diagnostic = _value_diagnostic(error, keyword, loc, sources)
        rejects = loc.pointer if diagnostic.code in ("S102", "S104") else None
        yield _Finding(diagnostic, rejects)


def _value_diagnostic(
    error: ValidationError, keyword: str, loc: Loc, sources: SourceIndex, *, key: bool = False
) -> Diagnostic:
    """Errors about one value (or, with key=True, about a mapping key's text)."""
    if keyword in ("enum", "const"):
        return _not_allowed(error, loc, sources, key=key)
    if keyword == "pattern":
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        message, hint = pattern_words(str(error.instance), str(error.validator_value), schema)
        return sources.diagnostic("S104", message, loc, hint=hint, key=key)
    code, message = limit_words(error, keyword)
    return sources.diagnostic(code, message, loc, key=key)


def _alternatives(error: ValidationError, file: str, sources: SourceIndex) -> Iterator[_Finding]:
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
                expected.extend(as_list(sub.validator_value))
    loc = Loc(file, join_pointer("", *error.absolute_path))
    yield _Finding(_type_diagnostic(expected, error.instance, loc, sources), loc.pointer)


def _unknown_keys(error: ValidationError, loc: Loc, sources: SourceIndex) -> Iterator[_Finding]:
    """S100 at each key that the schema does not allow (S104 for ill-formed id keys)."""
    if not isinstance(error.instance, dict):
        return
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    allowed = [key for key in schema.get("properties", {}) if key != "type"]
    patterns = list(schema.get("patternProperties", {}))
    for key in error.instance:
        if key in allowed or key == "type" or any(re.search(p, str(key)) for p in patterns):
            continue
        where = Loc(loc.file, join_pointer(loc.pointer, key))
        if patterns and not allowed:
            message, hint = pattern_words(str(key), patterns[0], {})
            yield _Finding(sources.diagnostic("S104", message, where, key=True, hint=hint))
            continue
        message = f"unknown key '{key}'"
        kind = error.instance.get("type")
        if isinstance(kind, str):
            message += f" for type '{kind}'"
        hint = did_you_mean(str(key), allowed)
        if hint is None and allowed:
            hint = "allowed keys: " + listing(allowed)
        diagnostic = sources.diagnostic("S100", message, where, key=True, hint=hint)
        yield _Finding(diagnostic, where.pointer)


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
        wanted = [(name, "") for name in as_list(error.validator_value)]
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
    present = [k for k in as_list(value.get("required")) if k in instance]
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
        as_list(error.validator_value) if error.validator == "enum" else [error.validator_value]
    )
    value = error.instance
    shown = listing([literal(v) for v in allowed])
    message = f"{show(value)} is not a valid {noun(error)} (expected one of: {shown})"
    if len(allowed) == 1:
        message = f"{show(value)} is not a valid {noun(error)} (expected {shown})"
    hint = did_you_mean(str(value), [str(v) for v in allowed]) if isinstance(value, str) else None
    return sources.diagnostic("S102", message, loc, hint=hint, key=key)


def _type_diagnostic(
    expected: Sequence[Any], value: Any, loc: Loc, sources: SourceIndex
) -> Diagnostic:
    """S103: expected one kind of value, got another."""
    message = f"expected {expected_kinds(expected)}, got {show(value)}"
    return sources.diagnostic("S103", message, loc, hint=type_hint(expected, value))
