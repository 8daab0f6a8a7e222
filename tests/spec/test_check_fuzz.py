"""Fuzzing the whole `check` pipeline with random edits of the real sales template.

Each example picks one file of `apps/sales_crm`, applies one to three random edits to its
text (delete, duplicate or swap lines; insert or delete characters; replace an identifier by
another identifier of the template; change a line's indentation) and checks the folder.
Whatever the edit, `check` must not raise, and every diagnostic must have a stable code and
point into the folder: an existing file (or none, for app-level problems) and a line and
column inside that file's text.

The pipeline is the one `check_app` runs (`AppChecker.check`); one checker is shared by all
examples so that the JSON Schema is built once, and the template is copied once: each
example writes its mutated file over the copy and puts the original back afterwards.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import Diagnostic, Severity
from engine.plugins import default_registry
from engine.spec.check import AppChecker, CheckResult, check_app

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "apps" / "sales_crm"
FILES = sorted(p.relative_to(TEMPLATE).as_posix() for p in TEMPLATE.rglob("*.yaml"))
ORIGINALS = {name: (TEMPLATE / name).read_text(encoding="utf-8") for name in FILES}

CODE = re.compile(r"^[YSRXPW]\d{3}$")
# YAML's line breaks, which the loader counts lines by (CRLF is one break).
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
IDENTIFIER = re.compile(r"\b[a-z][a-z0-9_]*\b")
RELATED = re.compile(r"^(.+):(\d+):(\d+)$")
# Python's representations of internal objects must never reach an author.
PYTHON_REPR = re.compile(r"frozenset\(|MappingProxyType|object at 0x|Traceback")
# Characters that mean something to YAML or to expressions, plus a few that should not be
# in a YAML file at all (NUL, a tab, a lone carriage return, a non-ASCII letter).
NOISE = ":-{}[],'\"#&*!|>%@`=()<.\\ \t\n\r\x00é中"
IDENTIFIERS = sorted({m.group() for text in ORIGINALS.values() for m in IDENTIFIER.finditer(text)})


@dataclass(frozen=True)
class Bench:
    """One checker and one copy of the template, shared by every example."""

    checker: AppChecker = field(repr=False)
    folder: Path

    @contextmanager
    def edited(self, name: str, text: str) -> Iterator[Path]:
        """The copy with file `name` holding `text`; the original is put back afterwards."""
        path = self.folder / name
        path.write_text(text, encoding="utf-8", newline="")
        try:
            yield self.folder
        finally:
            path.write_text(ORIGINALS[name], encoding="utf-8", newline="")


@dataclass(frozen=True)
class Mutation:
    """A template file, the edits made to it (what a failing example prints) and the result."""

    file: str
    edits: tuple[str, ...]
    text: str = field(repr=False)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    registry, problems = default_registry(ROOT)
    assert not problems, problems
    folder = tmp_path_factory.mktemp("fuzz") / "sales_crm"
    shutil.copytree(TEMPLATE, folder)
    return Bench(AppChecker(registry), folder)


# -- edits ------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def delete_line(draw: st.DrawFn, text: str) -> tuple[str, str]:
    lines = _lines(text)
    index = draw(st.integers(0, len(lines) - 1))
    return f"delete line {index + 1}", "\n".join(lines[:index] + lines[index + 1 :])


@st.composite
def duplicate_line(draw: st.DrawFn, text: str) -> tuple[str, str]:
    lines = _lines(text)
    index = draw(st.integers(0, len(lines) - 1))
    lines.insert(index, lines[index])
    return f"duplicate line {index + 1}", "\n".join(lines)


@st.composite
def swap_lines(draw: st.DrawFn, text: str) -> tuple[str, str]:
    lines = _lines(text)
    first = draw(st.integers(0, len(lines) - 1))
    second = draw(st.integers(0, len(lines) - 1))
    lines[first], lines[second] = lines[second], lines[first]
    return f"swap lines {first + 1} and {second + 1}", "\n".join(lines)


@st.composite
def insert_characters(draw: st.DrawFn, text: str) -> tuple[str, str]:
    at = draw(st.integers(0, len(text)))
    noise = draw(st.text(alphabet=NOISE, min_size=1, max_size=4))
    return f"insert {noise!r} at offset {at}", text[:at] + noise + text[at:]


@st.composite
def delete_characters(draw: st.DrawFn, text: str) -> tuple[str, str]:
    at = draw(st.integers(0, max(0, len(text) - 1)))
    size = draw(st.integers(1, 12))
    return f"delete {size} characters at offset {at}", text[:at] + text[at + size :]


@st.composite
def replace_identifier(draw: st.DrawFn, text: str) -> tuple[str, str]:
    found = list(IDENTIFIER.finditer(text))
    if not found:
        return "no identifier to replace", text
    match = draw(st.sampled_from(found))
    other = draw(st.sampled_from(IDENTIFIERS))
    edited = text[: match.start()] + other + text[match.end() :]
    return f"replace {match.group()!r} at offset {match.start()} by {other!r}", edited


@st.composite
def reindent_line(draw: st.DrawFn, text: str) -> tuple[str, str]:
    lines = _lines(text)
    index = draw(st.integers(0, len(lines) - 1))
    body = lines[index].lstrip(" ")
    indent = len(lines[index]) - len(body)
    new_indent = draw(st.sampled_from([" " * max(0, indent - 2), " " * (indent + 1), "\t"]))
    lines[index] = new_indent + body
    return f"reindent line {index + 1} to {new_indent!r}", "\n".join(lines)


EDITS = (
    delete_line,
    duplicate_line,
    swap_lines,
    insert_characters,
    delete_characters,
    replace_identifier,
    reindent_line,
)


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    """A template file and its text after one to three random edits."""
    name = draw(st.sampled_from(FILES))
    text = ORIGINALS[name]
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        edit = draw(st.sampled_from(EDITS))
        description, text = draw(edit(text))
        edits.append(description)
    return Mutation(name, tuple(edits), text)


# -- properties ---------------------------------------------------------------------------------


def line_lengths(text: str) -> list[int]:
    """The length of each line as the loader counts lines (a byte-order mark is dropped)."""
    text = text.removeprefix("\ufeff")
    starts = [0] + [m.end() for m in LINE_BREAK.finditer(text)]
    ends = [m.start() for m in LINE_BREAK.finditer(text)] + [len(text)]
    return [end - start for start, end in zip(starts, ends, strict=True)]


def outside(folder: Path, file: str, line: int, col: int) -> str | None:
    """Why `file:line:col` does not point into the folder (None when it does)."""
    path = folder / file
    if not path.is_file():
        return "no such file in the folder"
    if line == 0 and col == 0:
        return None  # the whole file (it could not be read)
    lengths = line_lengths(path.read_bytes().decode("utf-8", errors="replace"))
    if not 1 <= line <= len(lengths):
        return f"line outside the file's {len(lengths)} lines"
    if not 1 <= col <= lengths[line - 1] + 1:
        return f"column outside line {line}"
    return None


def misplaced(diagnostic: Diagnostic, folder: Path) -> Iterator[str]:
    """What is wrong with one diagnostic's code, text and places (nothing when sound)."""
    where = f"{diagnostic.code} at {diagnostic.location()}"
    if not CODE.match(diagnostic.code):
        yield f"{where}: malformed code"
    if not diagnostic.message.strip():
        yield f"{where}: empty message"
    if PYTHON_REPR.search(diagnostic.message + (diagnostic.hint or "")):
        yield f"{where}: Python internals in the message: {diagnostic.message}"
    if not diagnostic.file:
        if diagnostic.line or diagnostic.col:
            yield f"{where}: a position without a file"
    else:
        reason = outside(folder, diagnostic.file, diagnostic.line, diagnostic.col)
        if reason:
            yield f"{where}: {reason}"
    for related in diagnostic.related:
        match = RELATED.match(related)
        reason = "not file:line:col"
        if match:
            reason = outside(folder, match[1], int(match[2]), int(match[3])) or ""
        if reason:
            yield f"{where}: see {related}: {reason}"


def assert_sound(result: CheckResult, folder: Path) -> None:
    problems = [p for d in result.diagnostics for p in misplaced(d, folder)]
    assert not problems, problems
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert result.ok is not bool(errors)
    keys = [d.sort_key() for d in result.diagnostics]
    assert keys == sorted(keys)


# -- tests -------------------------------------------------------------------------------------


def test_the_unmutated_template_is_clean(bench: Bench) -> None:
    result = bench.checker.check(bench.folder)
    assert result.diagnostics == []
    assert result.ok


@pytest.mark.parametrize(
    "diagnostic",
    [
        Diagnostic("E100", "unknown key", "app.yaml", 1, 1),
        Diagnostic("S100", "", "app.yaml", 1, 1),
        Diagnostic("S100", "unknown key frozenset({'a'})", "app.yaml", 1, 1),
        Diagnostic("S100", "unknown key", "entities/nothing.yaml", 1, 1),
        Diagnostic("S100", "unknown key", "app.yaml", 1_000, 1),
        Diagnostic("S100", "unknown key", "app.yaml", 6, 200),
        Diagnostic("S100", "unknown key", "", 3, 4),
        Diagnostic("Y113", "defined twice", "app.yaml", 6, 1, related=("app.yaml:0:5",)),
    ],
    ids=repr,
)
def test_the_checks_catch_a_misplaced_diagnostic(bench: Bench, diagnostic: Diagnostic) -> None:
    assert list(misplaced(diagnostic, bench.folder)) != []


def test_the_checks_accept_a_sound_diagnostic(bench: Bench) -> None:
    sound = Diagnostic("Y113", "defined twice", "app.yaml", 6, 6, related=("app.yaml:6:1",))
    assert list(misplaced(sound, bench.folder)) == []
    assert list(misplaced(Diagnostic("P130", "not installed"), bench.folder)) == []


def test_check_app_matches_the_shared_checker(bench: Bench) -> None:
    text = ORIGINALS["entities/deal.yaml"].replace("type: money", "type: mony")
    with bench.edited("entities/deal.yaml", text) as folder:
        via_function = check_app(folder, bench.checker.registry)
        via_checker = bench.checker.check(folder)
    assert [d.code for d in via_function.diagnostics] == ["S102"]
    assert via_function.diagnostics == via_checker.diagnostics


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=mutations())
def test_any_edit_gives_sound_diagnostics(bench: Bench, mutation: Mutation) -> None:
    with bench.edited(mutation.file, mutation.text) as folder:
        result = bench.checker.check(folder)
        assert_sound(result, folder)
