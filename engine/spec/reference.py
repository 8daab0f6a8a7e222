"""The key-by-key reference of app folders (docs/reference.md), rendered from the JSON Schema.

One section per file kind and per definition: its description and a table of its keys (type,
required, description, allowed values and default); discriminated nodes list their types;
the expression definition lists the functions. Nothing here knows the grammar: everything
comes from the schema, so the reference cannot drift from what `check` enforces.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from engine.spec.registry import ID_PATTERN

__all__ = ["REFERENCE_COMMAND", "render_reference"]

REFERENCE_COMMAND = "python -m engine.plugins.export reference"

Schema = Mapping[str, Any]

_FILE_SUFFIX = "_file"


def _cell(text: str) -> str:
    """Table-safe text: no pipes or line breaks (GFM unescapes `\\|` even in code spans)."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"`{text}`"


def _ref_name(schema: Schema) -> str | None:
    target = schema.get("$ref")
    if isinstance(target, str) and target.startswith("#/definitions/"):
        return target.removeprefix("#/definitions/")
    return None


def type_text(schema: Schema) -> str:
    """A short human description of a schema's type (`list of [id](#id)`, `map of …`)."""
    name = _ref_name(schema)
    if name is not None:
        return f"[{name}](#{name})"
    if "const" in schema:
        return _code(schema["const"])
    if "anyOf" in schema:
        return " or ".join(type_text(branch) for branch in schema["anyOf"])
    if schema.get("if") == {"type": "array"} and "then" in schema and "else" in schema:
        # "one X or a list of X", written as a condition on the instance's type
        return f"{type_text(schema['else'])} or {_one_type('array', schema['then'])}"
    types = schema.get("type")
    names = types if isinstance(types, list) else [types] if types else []
    parts = [_one_type(t, schema) for t in names]
    return " or ".join(parts) if parts else "any value"


def _one_type(name: str, schema: Schema) -> str:
    if name == "array" and isinstance(schema.get("items"), Mapping):
        return f"list of {type_text(schema['items'])}"
    if name == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        keys = "id" if schema.get("propertyNames", {}).get("pattern") == ID_PATTERN else "key"
        return f"map of {keys} → {type_text(schema['additionalProperties'])}"
    return name


def _range(schema: Schema, low: str, high: str, unit: str = "") -> str | None:
    if low in schema and high in schema:
        return f"{schema[low]}–{schema[high]}{unit}"
    if low in schema:
        return f"≥ {schema[low]}{unit}"
    if high in schema:
        return f"≤ {schema[high]}{unit}"
    return None


def _pattern(schema: Schema) -> str | None:
    if "pattern" not in schema:
        return None
    types = schema.get("type")
    mixed = isinstance(types, list) and len(types) > 1
    return f"pattern {_code(schema['pattern'])}{' (for text)' if mixed else ''}"


def allowed_text(schema: Schema) -> str:
    """Allowed values, bounds, patterns and the default of a schema, in one line."""
    parts: list[str] = []
    if "enum" in schema:
        parts.append(" · ".join(_code(v) for v in schema["enum"]))
    if "const" in schema:
        parts.append(_code(schema["const"]))
    for branch in schema.get("anyOf", ()):
        text = allowed_text(branch)
        if text:
            parts.append(text)
    bounds = (
        _range(schema, "minimum", "maximum"),
        f"> {schema['exclusiveMinimum']}" if "exclusiveMinimum" in schema else None,
        _range(schema, "minLength", "maxLength", " characters"),
        _range(schema, "minItems", "maxItems", " items"),
        _range(schema, "minProperties", "maxProperties", " entries"),
        _pattern(schema),
    )
    parts.extend(b for b in bounds if b)
    items = schema.get("items")
    if isinstance(items, Mapping) and _ref_name(items) is None:
        inner = allowed_text(items)
        if inner:
            parts.append(f"each: {inner}")
    if "default" in schema:
        parts.append(f"default {_code(schema['default'])}")
    return "; ".join(parts)


def _key_table(schema: Schema) -> list[str]:
    required = set(schema.get("required", ()))
    lines = [
        "| key | type | required | description | allowed values / default |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, prop in schema.get("properties", {}).items():
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{key}`",
                    _cell(type_text(prop)),
                    "yes" if key in required else "",
                    _cell(str(prop.get("description", ""))),
                    _cell(allowed_text(prop)),
                ]
            )
            + " |"
        )
    return lines


def _nested_objects(schema: Schema, path: str) -> Iterator[tuple[str, Schema]]:
    """Inline objects with their own keys (plugin settings, select options …)."""
    for key, prop in schema.get("properties", {}).items():
        for candidate in (prop, prop.get("items")):
            if isinstance(candidate, Mapping) and candidate.get("properties"):
                child = f"{path}.{key}"
                yield child, candidate
                yield from _nested_objects(candidate, child)


def _variants(schema: Schema) -> list[str]:
    """The type → definition table of a discriminated node."""
    type_schema = schema["properties"]["type"]
    descriptions = dict(
        zip(type_schema["enum"], type_schema.get("enumDescriptions", ()), strict=False)
    )
    lines = ["| `type` | description | keys |", "| --- | --- | --- |"]
    for branch in schema["allOf"]:
        name = branch["if"]["properties"]["type"]["const"]
        target = _ref_name(branch["then"]) or ""
        text = _cell(descriptions.get(name, ""))
        lines.append(f"| `{name}` | {text} | [{target}](#{target}) |")
    return lines


def _is_discriminator(schema: Schema) -> bool:
    branches = schema.get("allOf", ())
    return bool(branches) and all("if" in b and "then" in b for b in branches)


def _functions(schema: Schema) -> list[str]:
    lines = [
        "| function | arguments | description | example |",
        "| --- | --- | --- | --- |",
    ]
    for function in schema.get("x-functions", ()):
        example = _code(function["example"]) if function.get("example") else ""
        lines.append(
            f"| `{function['name']}()` | {_cell(function['arguments'])} | "
            f"{_cell(function['description'])} | {_cell(example)} |"
        )
    return lines


def _enum_table(schema: Schema) -> list[str]:
    lines = ["| value | description |", "| --- | --- |"]
    for value, text in zip(schema["enum"], schema["enumDescriptions"], strict=True):
        lines.append(f"| {_code(value)} | {_cell(text)} |")
    return lines


def _section(name: str, schema: Schema, heading: str) -> list[str]:
    title = schema.get("title", name)
    lines = [f'<a id="{name}"></a>', "", f"{heading} {title}", ""]
    lines += [f"Definition `{name}`. {schema.get('description', '')}".rstrip(), ""]
    if _is_discriminator(schema):
        lines += ["Discriminated by `type`:", "", *_variants(schema), ""]
    elif schema.get("properties"):
        if schema.get("type") != "object":
            lines += [f"Type: {type_text(schema)}.", ""]
        lines += [*_key_table(schema), ""]
        for path, nested in _nested_objects(schema, ""):
            lines += [f"Keys of `{path.lstrip('.')}`:", "", *_key_table(nested), ""]
    else:
        lines += [f"Type: {type_text(schema)}.", ""]
        allowed = allowed_text(schema)
        if allowed:
            lines += [f"Allowed: {allowed}.", ""]
    if "enumDescriptions" in schema and not _is_discriminator(schema):
        lines += [*_enum_table(schema), ""]
    if "x-functions" in schema:
        lines += ["Functions:", "", *_functions(schema), ""]
    return lines


def render_reference(schema: dict[str, Any]) -> str:
    """The Markdown reference of every file kind and definition of `schema`."""
    definitions: Mapping[str, Schema] = schema["definitions"]
    kinds = [b["if"]["required"][0] for b in schema["allOf"] if "required" in b.get("if", {})]
    files = [f"{k}{_FILE_SUFFIX}" for k in kinds if f"{k}{_FILE_SUFFIX}" in definitions]
    nodes = sorted(n for n in definitions if n not in files)
    lines = [
        "# App folder reference",
        "",
        "<!-- Generated from schemas/app.schema.json: do not edit by hand. "
        f"Regenerate with `{REFERENCE_COMMAND}`. -->",
        "",
        str(schema.get("description", "")),
        "",
        "## File kinds",
        "",
        *(f"- [{definitions[f]['title']}](#{f})" for f in files),
        "",
    ]
    for name in files:
        lines += _section(name, definitions[name], "###")
    lines += ["## Nodes", ""]
    for name in nodes:
        lines += _section(name, definitions[name], "###")
    return "\n".join(lines).rstrip() + "\n"
