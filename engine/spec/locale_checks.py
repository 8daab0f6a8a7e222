"""Locale checks: a label map that uses a locale the app does not list (W120).

Labels are found by walking the built spec: every `Label`-typed attribute of a spec node,
and the keys a field, trigger or action type declares as labels in its options schema
(`title`/`body` of `notify`, `label` of `manual`)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from typing import Any

from engine.spec.check_context import CheckContext
from engine.spec.document import Loc
from engine.spec.model import ANY_LOCALE, ActionSpec, FieldSpec, TriggerSpec
from engine.spec.model_values import child_loc

__all__ = ["check_locales"]

_LABEL_ANNOTATIONS = frozenset({"Label", "Label | None"})
_LABEL_REF = "#/definitions/label"


def check_locales(ctx: CheckContext) -> None:
    """W120 for each label-map key that is not one of the app's `locales`."""
    locales = set(ctx.app.locales)
    if not locales:
        return
    for label, loc in _labels(ctx, ctx.app):
        for locale in label:
            if locale != ANY_LOCALE and locale not in locales:
                ctx.warn(
                    "W120",
                    f"the locale '{locale}' is not one of the app's locales "
                    f"({', '.join(ctx.app.locales)})",
                    child_loc(loc, locale),
                    key=True,
                    hint=f"add '{locale}' to `locales:` or remove this translation",
                )


@functools.cache
def _shape(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(label attributes, attributes that may hold spec nodes) of a spec class."""
    labels, nested = [], []
    for field in dataclasses.fields(cls):
        annotation = str(field.type)
        if annotation in _LABEL_ANNOTATIONS:
            labels.append(field.name)
        elif "Spec" in annotation:
            nested.append(field.name)
    return tuple(labels), tuple(nested)


def _labels(ctx: CheckContext, node: Any) -> Iterator[tuple[Mapping[str, Any], Loc]]:
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        labels, nested = _shape(type(node))
        loc = getattr(node, "loc", None)
        for name in labels:
            value = getattr(node, name)
            if isinstance(value, Mapping) and isinstance(loc, Loc):
                yield value, child_loc(loc, name)
        for name in nested:
            yield from _labels(ctx, getattr(node, name))
        if isinstance(node, FieldSpec | TriggerSpec | ActionSpec):
            yield from _option_labels(ctx, node)
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _labels(ctx, value)
    elif isinstance(node, tuple):
        for value in node:
            yield from _labels(ctx, value)


def _option_labels(
    ctx: CheckContext, node: FieldSpec | TriggerSpec | ActionSpec
) -> Iterator[tuple[Mapping[str, Any], Loc]]:
    registry = ctx.registry
    declared: Any
    if isinstance(node, FieldSpec):
        declared = registry.field_types.get(node.type)
    elif isinstance(node, TriggerSpec):
        declared = registry.trigger_types.get(node.type)
    else:
        declared = registry.action_types.get(node.type)
    if declared is None:
        return
    for key, schema in declared.options_schema.items():
        value = node.options.get(key)
        if (
            isinstance(schema, Mapping)
            and schema.get("$ref") == _LABEL_REF
            and isinstance(value, Mapping)
        ):
            yield value, child_loc(node.loc, key)
