"""YAML text -> plain data + source map + diagnostics, in one walk of the composed nodes.

PyYAML composes the node graph (with libyaml's C parser when it is available); this module
then builds JSON-like data (dict, list, str, int, float, bool, None — timestamps stay the
strings the author wrote) and the `SourceMap` together. It reports what PyYAML would
silently accept or crash on: duplicate keys, non-string keys, several documents in one
file, unknown tags, recursive aliases. Codes Y100–Y108.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.diagnostics import Diagnostic, Severity
from engine.spec.sourcemap import NodeSpan, Position, SourceMap, join_pointer

__all__ = ["head_of", "parse_yaml"]

_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_MERGE = _TAG + "merge"
_STRING_TAGS = {_TAG + "str", _TAG + "value", _TAG + "timestamp", _TAG + "binary"}
_KEY_KINDS = {
    _TAG + "int": "an integer",
    _TAG + "float": "a number",
    _TAG + "bool": "a boolean",
    _TAG + "null": "null",
}
_COLLECTION_TAGS = {_TAG + "map", _TAG + "seq", _TAG + "set", _TAG + "omap", _TAG + "pairs"}
# What YAML allows in a stream (the pure-Python reader's rule; libyaml agrees).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
# Past this many nodes, aliases are being used to blow the data up ("billion laughs").
_MAX_NODES = 250_000
_MAX_DEPTH = 200

_SYNTAX_HINTS = (
    ("tab", "indent with spaces: YAML does not allow tabs for indentation"),
    ("'\\t'", "indent with spaces: YAML does not allow tabs for indentation"),
    (
        "mapping values are not allowed",
        "quote a value that contains ': ', or check the indentation",
    ),
    ("undefined alias", "define the anchor (&name) before the alias (*name) that uses it"),
    ("escape character", "in \"double quotes\" a backslash starts an escape; use 'single quotes'"),
    ("expected <block end>", "check the indentation of this line against the lines above"),
    ("did not find expected '-'", "check the indentation of this line against the lines above"),
)


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Parse one YAML file: (data or None, its source map, diagnostics with code Y1xx)."""
    text = text.removeprefix("\ufeff")  # editors show no column for a byte-order mark
    problem = _NON_PRINTABLE.search(text)
    if problem:
        source = SourceMap(text)
        char = problem.group()
        message = f"the character U+{ord(char):04X} is not allowed in YAML text"
        return None, source, [_at(file, source, problem.start(), "Y100", message)]
    root, diagnostics = _compose(text, file)
    if root is None:
        source = SourceMap(text)
        return None, source, [_inside(d, source) for d in diagnostics]
    walker = _Walker(file, text.splitlines())
    data = walker.build(root, "", 0)
    source = SourceMap(text, walker.spans, walker.keys)
    return data, source, _unique([_inside(d, source) for d in diagnostics + walker.diagnostics])


def head_of(text: str) -> tuple[str, str] | None:
    """The first key of a file and its text value (`entity`, `deal`), read from the events
    before any syntax error; None when the file does not start with a `key: name` pair.

    A file that cannot be parsed still names what it defines when its first line is fine:
    the checks then know the entity (or table …) exists and do not report it as unknown.
    """
    head: list[str] = []
    depth = 0
    try:
        for event in yaml.parse(text.removeprefix("\ufeff"), Loader=_LOADER):
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > 1 or isinstance(event, yaml.SequenceStartEvent):
                    return None
            elif isinstance(event, yaml.ScalarEvent) and depth == 1:
                head.append(event.value)
                if len(head) == 2:
                    return head[0], head[1]
            elif isinstance(event, yaml.AliasEvent | yaml.MappingEndEvent):
                return None
    except (yaml.YAMLError, RecursionError):
        return None
    return None


def _compose(text: str, file: str) -> tuple[Node | None, list[Diagnostic]]:
    """The single document's root node, or None with the reason."""
    loader = None
    try:
        loader = _LOADER(text)
        if not loader.check_node():
            return None, [_diag(file, "Y103", "the file is empty", 1, 1)]
        root: Node = loader.get_node()
        if loader.check_node():
            return root, [_second_document(text, file, root, loader.peek_event())]
        return root, []
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_error(file, error)]
    except yaml.YAMLError as error:
        return None, [_diag(file, "Y100", _clean(str(error).splitlines()[0]), 1, 1)]
    except RecursionError:
        return None, [_diag(file, "Y100", "the YAML is nested too deeply", 1, 1)]
    finally:
        if loader is not None:
            loader.dispose()


def _second_document(text: str, file: str, root: Node, event: Any) -> Diagnostic:
    """Y104 at the `---` that starts the second document."""
    source = SourceMap(text)
    marker = _DOCUMENT_START.search(text, source.offset_of(Position(root.end_mark.line + 1, 1)))
    if marker:
        position = source.at_offset(marker.start())
    else:
        position = Position(event.start_mark.line + 1, event.start_mark.column + 1)
    return _diag(
        file,
        "Y104",
        "a file holds one document, but a second one starts here",
        position.line,
        position.col,
        hint="move the second document into a file of its own",
    )


def _syntax_error(file: str, error: yaml.MarkedYAMLError) -> Diagnostic:
    """Y100 at the problem's line:col, with PyYAML's wording cleaned up."""
    mark = error.problem_mark or error.context_mark
    problem = _clean(error.problem or error.context or "invalid YAML")
    message = problem
    if error.context and error.problem and error.context_mark is not None:
        context = _clean(error.context)
        where = f"line {error.context_mark.line + 1}, column {error.context_mark.column + 1}"
        message = f"{problem} ({context} that starts at {where})"
    hint = next((h for needle, h in _SYNTAX_HINTS if needle in (error.problem or "")), None)
    if hint is not None:
        message = problem  # the hint explains; "(while scanning …)" would only add noise
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return _diag(file, "Y100", message, line, col, hint=hint)


def _clean(text: str) -> str:
    text = " ".join(text.split()).replace("<unicode string>", "the text")
    return text.replace("found character '\\t'", "found a tab character")


@dataclass
class _Walker:
    """Builds the data and the source map from the node graph, reporting what it meets."""

    file: str
    lines: list[str] = field(default_factory=list)
    spans: dict[str, NodeSpan] = field(default_factory=dict)
    keys: dict[str, Position] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    active: set[int] = field(default_factory=set)
    budget: int = field(default_factory=lambda: _MAX_NODES)
    scalars: SafeConstructor = field(default_factory=SafeConstructor)
    constructors: dict[str, Callable[[ScalarNode], Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.constructors = {
            _TAG + "null": self.scalars.construct_yaml_null,
            _TAG + "bool": self.scalars.construct_yaml_bool,
            _TAG + "int": self.scalars.construct_yaml_int,
            _TAG + "float": self.scalars.construct_yaml_float,
        }

    def error(
        self, code: str, message: str, mark: Any, pointer: str, hint: str | None = None
    ) -> None:
        position = _pos(mark)
        self.diagnostics.append(
            Diagnostic(code, message, self.file, position.line, position.col, pointer, hint)
        )

    def build(self, node: Node, pointer: str, depth: int) -> Any:
        """The plain value of `node`, recording its span (and its children's) at `pointer`."""
        self.budget -= 1
        if self.budget == -1:
            self.error(
                "Y107", "aliases expand this file to too many values", node.start_mark, pointer
            )
        if self.budget < 0:
            return None
        style = _scalar_style(node) if isinstance(node, ScalarNode) else None
        self.spans[pointer] = NodeSpan(_pos(node.start_mark), _pos(node.end_mark), style)
        if isinstance(node, ScalarNode):
            return self.scalar(node, pointer)
        if id(node) in self.active or depth > _MAX_DEPTH:
            message = "this alias refers to a node that contains it"
            self.error("Y107", message, node.start_mark, pointer)
            return None
        if node.tag not in _COLLECTION_TAGS:
            self.error("Y106", f"the tag '{node.tag}' is not supported", node.start_mark, pointer)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                items = enumerate(node.value)
                return [self.build(item, join_pointer(pointer, i), depth + 1) for i, item in items]
            if isinstance(node, MappingNode):
                return self.mapping(node, pointer, depth)
            return None
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, pointer: str) -> Any:
        """A scalar's value as the safe loader reads it; timestamps stay text."""
        tag = node.tag
        if tag in _STRING_TAGS:
            return node.value
        construct = self.constructors.get(tag)
        if construct is None:
            hint = "remove the tag; quote the value if it must be text"
            self.error("Y106", f"the tag '{tag}' is not supported", node.start_mark, pointer, hint)
            return node.value
        try:
            return construct(node)
        except (ValueError, yaml.YAMLError):
            return node.value

    def mapping(self, node: MappingNode, pointer: str, depth: int) -> dict[str, Any]:
        """A mapping's data: merged (`<<`) keys first, then its own keys, which win."""
        own = self.own_pairs(node, pointer)
        merged = self.merged_pairs(node, set(own), pointer)
        result: dict[str, Any] = {}
        for name, (key_node, value_node) in [*merged.items(), *own.items()]:
            child = join_pointer(pointer, name)
            self.keys[child] = _pos(key_node.start_mark)
            result[name] = self.build(value_node, child, depth + 1)
        return result

    def own_pairs(self, node: MappingNode, pointer: str) -> dict[str, tuple[Node, Node]]:
        """The mapping's explicit keys; duplicates and non-string keys are reported."""
        pairs: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            name = self.key_name(key_node, pointer)
            if name is None:
                continue
            if name in pairs:
                first = pairs[name][0].start_mark.line + 1
                message = f"duplicate key '{name}' (first defined on line {first})"
                hint = "YAML would silently keep only the last one; remove or rename one"
                where = join_pointer(pointer, name)
                self.error("Y101", message, key_node.start_mark, where, hint)
                continue
            pairs[name] = (key_node, value_node)
        return pairs

    def key_name(self, key_node: Node, pointer: str) -> str | None:
        """The text of a key; non-string keys are reported (scalars keep their text)."""
        if not isinstance(key_node, ScalarNode):
            message = "a key must be text, not a list or a mapping"
            self.error("Y102", message, key_node.start_mark, pointer)
            return None
        name = str(key_node.value)
        if key_node.tag not in _STRING_TAGS:
            kind = _KEY_KINDS.get(key_node.tag, f"a value tagged {key_node.tag}")
            message = f"the key '{name}' is read as {kind}, not as text"
            where = join_pointer(pointer, name)
            self.error("Y102", message, key_node.start_mark, where, f"quote it: '{name}'")
        return name

    def merged_pairs(
        self, node: MappingNode, own: set[str], pointer: str
    ) -> dict[str, tuple[Node, Node]]:
        """Keys merged in by `<<: *anchor` (earlier sources win); own keys excluded."""
        merged: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                continue
            if isinstance(value_node, SequenceNode) and self.merge_value(key_node):
                # `<<: *anchor` naming a list: not a list of mappings written in place
                self.bad_merge(key_node, value_node, pointer)
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode) or id(source) in self.active:
                    self.bad_merge(key_node, source, pointer)
                    continue
                self.active.add(id(source))
                try:
                    inherited = self.merged_pairs(source, set(), pointer)
                    inherited.update(self.own_pairs_quiet(source))
                finally:
                    self.active.discard(id(source))
                for name, pair in inherited.items():
                    if name not in own and name not in merged:
                        merged[name] = pair
        return merged

    def bad_merge(self, key_node: Node, source: Node, pointer: str) -> None:
        """Y105 at what `<<:` is given (not at the anchor, which may be far away)."""
        written = self.merge_value(key_node)
        what = "a list" if isinstance(source, SequenceNode) else "a single value"
        if isinstance(source, MappingNode):
            what = "a mapping that contains this one"
        message = f"'<<' merges mappings, but {written or 'this'} is {what}"
        hint = "write '<<: *anchor' where the anchor names a mapping"
        if isinstance(source, SequenceNode) and written.startswith("*"):
            hint = f"to reuse the list, write it under a key: `<key>: {written}`"
        line = key_node.end_mark.line
        text = self.lines[line] if line < len(self.lines) else ""
        column = key_node.end_mark.column
        while column < len(text) and text[column] in " \t:":
            column += 1
        self.diagnostics.append(
            Diagnostic("Y105", message, self.file, line + 1, column + 1, pointer, hint)
        )

    def merge_value(self, key_node: Node) -> str:
        """The text written after `<<:` on its line (`*close_order`), or ''."""
        line = key_node.end_mark.line
        text = self.lines[line] if line < len(self.lines) else ""
        rest = text[key_node.end_mark.column :].lstrip(" \t:").split("#")[0].strip()
        return rest if rest.startswith("*") else ""

    def own_pairs_quiet(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        """A merged mapping's own keys; its mistakes are reported where it is defined."""
        pairs: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE and isinstance(key_node, ScalarNode):
                pairs.setdefault(str(key_node.value), (key_node, value_node))
        return pairs


def _scalar_style(node: ScalarNode) -> str:
    # libyaml reports a plain scalar's style as "" and the pure-Python parser as None.
    return node.style or ""


def _pos(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def _at(file: str, source: SourceMap, offset: int, code: str, message: str) -> Diagnostic:
    position = source.at_offset(offset)
    return _diag(file, code, message, position.line, position.col)


def _diag(
    file: str, code: str, message: str, line: int, col: int, *, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(code, message, file, line, col, "", hint, Severity.ERROR)


def _inside(diagnostic: Diagnostic, source: SourceMap) -> Diagnostic:
    # libyaml reports the end of the stream on a line after the last one.
    position = source.clamp(diagnostic.line, diagnostic.col)
    return replace(diagnostic, line=position.line, col=position.col)


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    # A merged anchor is walked once per use: report each of its problems once.
    return list(dict.fromkeys(diagnostics))
