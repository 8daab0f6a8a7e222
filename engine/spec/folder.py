"""Reading an app folder from disk: `app.yaml`, its `includes`, each file's kind and name.

The only module of `engine.spec` that does I/O. It parses every file it finds, keeps going
after any error, and returns the documents with every problem as a diagnostic (codes
Y108–Y115 and Y117); it never raises for what is in the folder. A file that cannot be parsed
still says what it defines when its first line is readable (`unparsed`), so that the checks
do not report that entity, table … as unknown everywhere else.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, Severity, did_you_mean
from engine.spec.document import DOCUMENT_KINDS, Document, Loc, SourceIndex
from engine.spec.sourcemap import SourceMap, join_pointer
from engine.spec.yaml_loader import head_of, parse_yaml

__all__ = ["APP_FILE", "DEFAULT_INCLUDES", "LoadedFolder", "load_app_folder"]

APP_FILE = "app.yaml"
DEFAULT_INCLUDES: tuple[str, ...] = (
    "entities/*.yaml",
    "rules/*.yaml",
    "tables/*.yaml",
    "dashboards/*.yaml",
    "tests/*.yaml",
)


@dataclass(frozen=True)
class LoadedFolder:
    """An app folder as read from disk: its documents, their source maps, the problems."""

    root: Path
    documents: tuple[Document, ...]
    sources: SourceIndex
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unparsed: tuple[tuple[str, str], ...] = ()
    """(kind, name) of each file that could not be read as a document (a YAML syntax error,
    a misspelt kind key) but says what it defines."""

    @property
    def app(self) -> Document | None:
        """The `app:` document of app.yaml, when it could be read."""
        return next((d for d in self.documents if d.kind == "app"), None)

    def of_kind(self, kind: str) -> tuple[Document, ...]:
        """The documents of one kind, in load order."""
        return tuple(d for d in self.documents if d.kind == kind)


def load_app_folder(path: Path) -> LoadedFolder:
    """Read app.yaml and every included file of the app folder at `path`."""
    root = Path(path)
    loader = _FolderLoader(root)
    if not root.is_dir():
        message = f"'{root}' is not a folder: an app is a folder that holds {APP_FILE}"
        loader.diagnostics.append(Diagnostic("Y109", message))
        return loader.result()
    app_path = root / APP_FILE
    if not app_path.is_file():
        loader.diagnostics.append(_missing_app_file(root))
        return loader.result()
    app = loader.load_file(app_path)
    if app is not None and app.kind != "app":
        loc = Loc(APP_FILE, join_pointer("", app.kind))
        message = f"{APP_FILE} must start with 'app:', not '{app.kind}:'"
        loader.error("Y115", message, loc, key=True, hint="put this document in its own file")
    patterns, explicit = _includes(app.data if app is not None else None)
    for path_ in loader.included_files(patterns, explicit):
        loader.load_file(path_)
    loader.check_duplicate_names()
    return loader.result()


class _FolderLoader:
    """Collects the documents, source maps and diagnostics of one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.documents: list[Document] = []
        self.sources: dict[str, SourceMap] = {}
        self.diagnostics: list[Diagnostic] = []
        self.unparsed: list[tuple[str, str]] = []

    def result(self) -> LoadedFolder:
        return LoadedFolder(
            self.root,
            tuple(self.documents),
            SourceIndex(self.sources),
            self.diagnostics,
            tuple(self.unparsed),
        )

    def error(
        self,
        code: str,
        message: str,
        loc: Loc,
        *,
        key: bool = False,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
        related: tuple[str, ...] = (),
    ) -> None:
        index = SourceIndex({loc.file: self.sources[loc.file]} if loc.file in self.sources else {})
        self.diagnostics.append(
            index.diagnostic(
                code, message, loc, key=key, hint=hint, severity=severity, related=related
            )
        )

    def load_file(self, path: Path) -> Document | None:
        """Read, parse and classify one file; the document, or None when it is unusable."""
        rel = path.relative_to(self.root).as_posix()
        text = self.read(path, rel)
        if text is None:
            return None
        data, source, problems = parse_yaml(text, rel)
        self.sources[rel] = source
        self.diagnostics.extend(problems)
        if data is None and problems:
            head = head_of(text)
            if head is not None and head[0] in DOCUMENT_KINDS:
                self.unparsed.append(head)
            return None
        document = self.classify(rel, data, source)
        if document is None:
            return None
        if document.kind == "app" and rel != APP_FILE:
            message = f"only {APP_FILE} may hold the 'app:' document"
            self.error("Y115", message, Loc(rel, "/app"), key=True)
            return None
        self.documents.append(document)
        return document

    def read(self, path: Path, rel: str) -> str | None:
        """The file's text (UTF-8), or None with a Y108 diagnostic."""
        try:
            raw = path.read_bytes()
        except OSError as error:
            reason = error.strerror or str(error)
            self.diagnostics.append(Diagnostic("Y108", f"cannot read the file: {reason}", rel))
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            line_start = raw.rfind(b"\n", 0, error.start) + 1
            col = len(raw[line_start : error.start].decode("utf-8", errors="replace")) + 1
            message = f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02x})"
            hint = "save the file with UTF-8 encoding"
            self.diagnostics.append(Diagnostic("Y108", message, rel, line, col, "", hint))
            return None

    def classify(self, rel: str, data: Any, source: SourceMap) -> Document | None:
        """The document of a parsed file, named by its first key; None with Y111/Y112."""
        if not isinstance(data, dict) or not data:
            found = _describe(data)
            message = f"a file must be a mapping whose first key names its kind; found {found}"
            kinds = ", ".join(f"{k}:" for k in DOCUMENT_KINDS)
            self.error("Y111", message, Loc(rel, ""), hint=f"start the file with one of: {kinds}")
            return None
        kind = next(iter(data))
        if kind not in DOCUMENT_KINDS:
            expected = ", ".join(DOCUMENT_KINDS)
            message = f"'{kind}' is not a kind of file (the first key must be one of: {expected})"
            elsewhere = [k for k in data if k in DOCUMENT_KINDS]
            meant = difflib.get_close_matches(str(kind), DOCUMENT_KINDS, n=1, cutoff=0.6)
            hint = (
                f"move '{elsewhere[0]}:' to the top of the file"
                if elsewhere
                else did_you_mean(kind, DOCUMENT_KINDS)
            )
            self.error("Y112", message, Loc(rel, join_pointer("", kind)), key=True, hint=hint)
            if meant and not elsewhere and isinstance(data[kind], str):
                # `entty: deal` still says which entity the file is meant to define
                self.unparsed.append((meant[0], data[kind]))
            return None
        name = data[kind] if isinstance(data[kind], str) else None
        return Document(rel, kind, name, data, source)

    def included_files(self, patterns: list[tuple[int, str]], explicit: bool) -> list[Path]:
        """The files the include patterns match, sorted, each once, app.yaml excluded."""
        found: set[Path] = set()
        for index, pattern in patterns:
            loc = Loc(APP_FILE, f"/includes/{index}")
            if not _safe_pattern(pattern):
                message = f"the include '{pattern}' must be a relative path inside the app folder"
                self.error("Y117", message, loc)
                continue
            try:
                matches = {p for p in self.root.glob(pattern) if p.is_file()}
            except (ValueError, NotImplementedError, OSError) as error:
                self.error("Y117", f"the include '{pattern}' is not a valid pattern: {error}", loc)
                continue
            # Editors leave hidden files (`.#deal.yaml`, `.deal.yaml.swp`) next to real ones.
            matches = {p for p in matches if not _hidden(p.relative_to(self.root))}
            matches.discard(self.root / APP_FILE)
            if not matches and explicit:
                message = f"the include '{pattern}' matches no file"
                hint = _nearest_pattern(self.root, pattern)
                self.error("Y114", message, loc, hint=hint, severity=Severity.WARNING)
            found |= matches
        return sorted(found, key=lambda p: p.relative_to(self.root).as_posix())

    def check_duplicate_names(self) -> None:
        """Y113 when two files define the same name for the same kind."""
        first: dict[tuple[str, str], Document] = {}
        for document in self.documents:
            if document.name is None:
                continue
            earlier = first.setdefault((document.kind, document.name), document)
            if earlier is document:
                continue
            where = earlier.source.value(f"/{document.kind}")
            message = (
                f"{document.kind} '{document.name}' is defined twice: "
                f"in {earlier.file} and in {document.file}"
            )
            hint = "rename one of them, or delete one of the two files"
            related = (f"{earlier.file}:{where.line}:{where.col}",)
            loc = Loc(document.file, f"/{document.kind}")
            self.error("Y113", message, loc, hint=hint, related=related)


def _missing_app_file(root: Path) -> Diagnostic:
    # Paths in diagnostics are relative to the app folder: its own path is not repeated.
    hint = None
    if (root / "app.yml").is_file():
        hint = f"rename app.yml to {APP_FILE}"
    message = f"the folder has no {APP_FILE}: an app folder starts with {APP_FILE}"
    return Diagnostic("Y110", message, APP_FILE, hint=hint)


def _includes(app_data: Any) -> tuple[list[tuple[int, str]], bool]:
    """(index, pattern) pairs of `includes`, and whether the author wrote them."""
    written = app_data.get("includes") if isinstance(app_data, dict) else None
    if not isinstance(written, list):
        # Absent or malformed: the schema check reports the latter; load the defaults so
        # that the other files are still checked.
        return list(enumerate(DEFAULT_INCLUDES)), False
    return [(i, p) for i, p in enumerate(written) if isinstance(p, str)], True


_GLOB_CHARS = frozenset("*?[")


def _nearest_pattern(root: Path, pattern: str) -> str | None:
    """ "did you mean" for a pattern whose folder does not exist: the closest existing
    folder at that level put in its place (`dashboard/*.yaml` → `dashboards/*.yaml`)."""
    parts = Path(pattern).parts
    folder = root
    for index, part in enumerate(parts[:-1]):
        if _GLOB_CHARS.intersection(part):
            return None
        if (folder / part).is_dir():
            folder = folder / part
            continue
        existing = sorted(
            p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
        nearest = difflib.get_close_matches(part, existing, n=1, cutoff=0.6)
        if not nearest:
            return None
        fixed = Path(*parts[:index], nearest[0], *parts[index + 1 :]).as_posix()
        return f"did you mean '{fixed}'?"
    return None


def _safe_pattern(pattern: str) -> bool:
    path = Path(pattern)
    return bool(pattern.strip()) and not path.is_absolute() and ".." not in path.parts


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _describe(data: Any) -> str:
    if isinstance(data, dict):
        return "an empty mapping"
    if isinstance(data, list):
        return "a list"
    if data is None:
        return "nothing"
    return f"the value {data!r}"
