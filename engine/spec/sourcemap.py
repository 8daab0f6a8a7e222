"""Where each node of a parsed YAML file sits in its text: JSON pointer -> line:col.

Owns `Position`, `NodeSpan`, `SourceMap` and the RFC 6901 pointer helpers. A source map is
built once by `engine.spec.yaml_loader` while it walks the composed node graph; every later
phase turns a pointer (and, for expressions, a character offset into a scalar's value) back
into the 1-based line and column an editor shows.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "BLOCK_STYLES",
    "NodeSpan",
    "Position",
    "SourceMap",
    "join_pointer",
    "parent_pointer",
    "split_pointer",
]

# YAML's line breaks: CRLF counts as one break; NEL, LS and PS are breaks too (YAML 1.1).
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# An anchor or tag written before a node: the node's start mark includes it.
_PROPERTIES = re.compile(r"(?:[&!][^\s,\[\]{}]*[ \t]+)+")
_BLOCK_INDENT = re.compile(r"[|>][+-]?([1-9])?")

BLOCK_STYLES = frozenset({"|", ">"})


@dataclass(frozen=True)
class Position:
    """A 1-based line and column (columns count characters, a tab is one)."""

    line: int
    col: int


@dataclass(frozen=True)
class NodeSpan:
    """A node's start and end in the text; `style` is a scalar's quoting, None otherwise."""

    start: Position
    end: Position
    style: str | None = None


def split_pointer(pointer: str) -> list[str]:
    """The unescaped reference tokens of an RFC 6901 pointer ("" is the root: no tokens)."""
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def join_pointer(base: str, *tokens: str | int) -> str:
    """`base` extended by the given keys or indexes, escaped per RFC 6901."""
    for token in tokens:
        text = str(token)
        if "~" in text or "/" in text:
            text = text.replace("~", "~0").replace("/", "~1")
        base = f"{base}/{text}"
    return base


def parent_pointer(pointer: str) -> str:
    """The pointer one level up (the root is its own parent)."""
    return pointer[: pointer.rfind("/")] if pointer else ""


class SourceMap:
    """Positions of every node of one parsed file, by JSON pointer."""

    def __init__(
        self,
        text: str = "",
        spans: Mapping[str, NodeSpan] | None = None,
        keys: Mapping[str, Position] | None = None,
    ) -> None:
        self._text = text
        self._spans = dict(spans or {})
        self._keys = dict(keys or {})
        self._line_starts = [0] + [m.end() for m in _BREAK.finditer(text)]

    @property
    def line_count(self) -> int:
        """How many lines the text has (a final line break opens one more, empty line)."""
        return len(self._line_starts)

    def __contains__(self, pointer: object) -> bool:
        return pointer in self._spans

    def pointers(self) -> Iterable[str]:
        """Every pointer that has a node, in document order."""
        return iter(self._spans)

    def span(self, pointer: str) -> NodeSpan | None:
        """The exact span of the node at `pointer`, or None when there is no such node."""
        return self._spans.get(pointer)

    def value(self, pointer: str) -> Position:
        """Start of the node at `pointer`, or of its nearest existing ancestor."""
        current = pointer
        while True:
            span = self._spans.get(current)
            if span is not None:
                return span.start
            if not current:
                return Position(1, 1)
            current = parent_pointer(current)

    def key(self, pointer: str) -> Position:
        """Start of the mapping key of the node at `pointer`; its value() when it has none."""
        found = self._keys.get(pointer)
        return found if found is not None else self.value(pointer)

    def in_scalar(self, pointer: str, offset: int) -> Position:
        """Position of character `offset` of the scalar string value at `pointer`."""
        span = self._spans.get(pointer)
        if span is None or span.style is None:
            return self.value(pointer)
        start = self.offset_of(span.start)
        end = self.offset_of(span.end)
        properties = _PROPERTIES.match(self._text, start, end)
        if properties:
            start = properties.end()
        if span.style in BLOCK_STYLES:
            offsets = self._block_offsets(start, end, span.style)
        elif span.style in ("'", '"'):
            offsets = self._flow_offsets(start + 1, max(start + 1, end - 1), span.style)
        else:
            offsets = self._flow_offsets(start, end, "")
        if not offsets:
            return self.at_offset(start)
        if offset >= len(offsets):
            return self.at_offset(offsets[-1] + 1)
        return self.at_offset(offsets[max(offset, 0)])

    # -- text offsets ---------------------------------------------------------------------

    def offset_of(self, position: Position) -> int:
        """The character offset into the text of a line:col (clamped to the text)."""
        index = min(max(position.line, 1), len(self._line_starts)) - 1
        return min(self._line_starts[index] + position.col - 1, len(self._text))

    def clamp(self, line: int, col: int) -> Position:
        """The nearest position inside the text (parsers may report one past its end)."""
        if line > len(self._line_starts):
            return self.at_offset(len(self._text))
        line = max(line, 1)
        start = self._line_starts[line - 1]
        end = self._line_starts[line] if line < len(self._line_starts) else len(self._text)
        width = len(_BREAK.sub("", self._text[start:end]))
        return Position(line, min(max(col, 1), width + 1))

    def at_offset(self, offset: int) -> Position:
        """The line:col of a character offset into the text."""
        offset = min(max(offset, 0), len(self._text))
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return Position(index + 1, offset - self._line_starts[index] + 1)

    def _lines(self, start: int, end: int) -> list[tuple[int, str]]:
        """(offset, text) of each line of the region, without line breaks."""
        lines: list[tuple[int, str]] = []
        cursor = start
        for match in _BREAK.finditer(self._text, start, end):
            lines.append((cursor, self._text[cursor : match.start()]))
            cursor = match.end()
        lines.append((cursor, self._text[cursor:end]))
        return lines

    def _flow_offsets(self, start: int, end: int, quote: str) -> list[int]:
        """Offsets of the value's characters for plain and quoted scalars (folding lines)."""
        lines = self._lines(start, end)
        out: list[int] = []
        breaks: list[int] = []
        escaped_break = False
        for index, (line_start, line) in enumerate(lines):
            first, last = index == 0, index == len(lines) - 1
            lo = 0 if first else len(line) - len(line.lstrip(" \t"))
            hi = len(line) if last else len(line.rstrip(" \t"))
            if not first and lo >= hi and not last:
                breaks.append(line_start)
                continue
            if breaks and not escaped_break:
                # One break folds into a space; each further (empty) line keeps a newline.
                out.extend(breaks if len(breaks) == 1 else breaks[1:])
            breaks = []
            escaped_break = _scan_flow_line(line, line_start, lo, hi, quote, out) and not last
            breaks.append(line_start + len(line))
        return out

    def _block_offsets(self, start: int, end: int, style: str) -> list[int]:
        """Offsets of the value's characters for | and > block scalars (line by line)."""
        lines = self._lines(start, end)
        header_start, header = lines[0]
        body = lines[1:]
        indicator = _BLOCK_INDENT.match(header)
        line_index = bisect.bisect_right(self._line_starts, header_start) - 1
        header_line = self._text[self._line_starts[line_index] : header_start + len(header)]
        if indicator and indicator.group(1):
            indent = len(header_line) - len(header_line.lstrip(" ")) + int(indicator.group(1))
        else:
            filled = [text for _, text in body if text.strip()]
            indent = len(filled[0]) - len(filled[0].lstrip(" ")) if filled else 0
        out: list[int] = []
        for index, (line_start, line) in enumerate(body):
            if line.strip():
                lead = min(indent, len(line) - len(line.lstrip(" ")))
                out.extend(range(line_start + lead, line_start + len(line)))
            following = body[index + 1][1] if index + 1 < len(body) else ""
            # Folding turns a break before a non-empty line into a space and drops it
            # before an empty line; a literal block keeps every break.
            if style == "|" or following.strip() or not line.strip():
                out.append(line_start + len(line))
        return out


def _scan_flow_line(
    line: str, line_start: int, lo: int, hi: int, quote: str, out: list[int]
) -> bool:
    """Append the offsets of one line's value characters; True when it ends in an escaped break."""
    j = lo
    while j < hi:
        ch = line[j]
        if quote == '"' and ch == "\\":
            if j + 1 >= hi:
                return True
            out.append(line_start + j)
            j += {"x": 4, "u": 6, "U": 10}.get(line[j + 1], 2)
            continue
        out.append(line_start + j)
        j += 2 if quote == "'" and ch == "'" and line[j + 1 : j + 2] == "'" else 1
    return False
