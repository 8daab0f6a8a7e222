"""The fast path of schema validation: a compiled validator that only answers "valid?".

`jsonschema` explains errors well but walks a large discriminated schema slowly (about
0.9 s for the sales template). `fastjsonschema` turns the same draft-07 schema into Python
code that accepts a valid document in microseconds. Valid documents — nearly all of them —
stop here; only a rejected one goes through `jsonschema` for its diagnostics, so the
wording never depends on this module.

Generating and compiling the code costs seconds, so the generated module is kept in a cache
folder (`FORMWORK_CACHE_DIR`, else `$XDG_CACHE_HOME/formwork`, else `~/.cache/formwork`) under
a name derived from the schema's hash, with its compiled bytecode beside it (written here,
not by the import system, which `PYTHONDONTWRITEBYTECODE` may switch off: compiling the
2 MB module costs seconds on every start). When the cache cannot be written the code is
compiled in memory; when the schema uses something the
compiler does not support, there is no fast path and `jsonschema` does all the work.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import CodeType
from typing import Any

import fastjsonschema

__all__ = ["FastValidator", "cache_dir", "compile_fast_validator"]

FastValidator = Callable[[Any], bool]
"""Returns True when the document is valid (False: ask jsonschema why)."""

_ENTRY = "validate"
# Never fill defaults into the document: fastjsonschema would mutate it. (Its
# `detailed_exceptions=False` mode fails to generate `const` checks, so details stay on.)
_OPTIONS: dict[str, Any] = {"use_default": False}
# Part of the cache key: bump it whenever the code written to the cache changes shape.
_RECIPE = "3"


def cache_dir() -> Path:
    """Where generated validators are kept between runs."""
    explicit = os.environ.get("FORMWORK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "formwork"


def compile_fast_validator(schema: Mapping[str, Any]) -> FastValidator | None:
    """A compiled "is it valid?" function for `schema`, or None when it cannot be built."""
    text = json.dumps(schema, sort_keys=True, ensure_ascii=False)
    salt = f"{_RECIPE}\n{fastjsonschema.VERSION}\n{sorted(_OPTIONS.items())}\n"
    digest = hashlib.sha256(f"{salt}{text}".encode()).hexdigest()[:24]
    try:
        function = _load_cached(digest) or _generate(schema, digest)
    except Exception:  # a code-generator defect must only cost speed, never a check
        return None
    return _as_predicate(function)


def _as_predicate(function: Callable[[Any], Any]) -> FastValidator:
    def is_valid(document: Any) -> bool:
        try:
            function(document)
        except fastjsonschema.JsonSchemaValueException:
            return False
        except Exception:  # any defect of generated code: let jsonschema decide
            return False
        return True

    return is_valid


def _module_path(digest: str) -> Path:
    return cache_dir() / f"schema_{digest}.py"


def _load_cached(digest: str) -> Callable[[Any], Any] | None:
    path = _module_path(digest)
    if not path.is_file():
        return None
    return _import(path, digest)


def _import(path: Path, digest: str) -> Callable[[Any], Any] | None:
    code = _bytecode(path)
    if code is None:
        return None
    namespace: dict[str, Any] = {"__name__": f"formwork_schema_{digest}", "__file__": str(path)}
    try:
        exec(code, namespace)  # our own generated validator, from our cache
    except (SyntaxError, ImportError, OSError):
        return None
    function = namespace.get(_ENTRY)
    return function if callable(function) else None


def _bytecode(path: Path) -> CodeType | None:
    """The module's code object: from the bytecode cache beside it, else compiled (and
    cached). A truncated or foreign cache file means compiling again, never failing."""
    cached = path.with_name(f"{path.stem}.{sys.implementation.cache_tag}.code")
    try:
        if cached.is_file() and cached.stat().st_mtime >= path.stat().st_mtime:
            code = marshal.loads(cached.read_bytes())
            if isinstance(code, CodeType):
                return code
    except (OSError, EOFError, ValueError, TypeError):
        pass
    try:
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    except (OSError, SyntaxError, ValueError):
        return None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(marshal.dumps(code))
        os.replace(temporary, cached)
    except OSError:
        pass  # a read-only cache: compile every time
    return code


def _generate(schema: Mapping[str, Any], digest: str) -> Callable[[Any], Any]:
    # The generated module refers to Decimal for numeric checks but does not import it.
    code = "from decimal import Decimal\n" + fastjsonschema.compile_to_code(
        dict(schema), **_OPTIONS
    )
    path = _module_path(digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(code)
        os.replace(temporary, path)
    except OSError:
        return fastjsonschema.compile(dict(schema), **_OPTIONS)  # read-only home: no cache
    imported = _import(path, digest)
    return imported if imported is not None else fastjsonschema.compile(dict(schema), **_OPTIONS)
