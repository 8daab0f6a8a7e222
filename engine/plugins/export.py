"""Writing the generated files: `schemas/app.schema.json` and `docs/reference.md`.

    python -m engine.plugins.export schema      # write schemas/app.schema.json
    python -m engine.plugins.export reference   # write docs/reference.md
    python -m engine.plugins.export all --check # exit 1 when a committed file is stale

Both are built from the default registry of the project (built-ins, its `plugins/` folder
and installed packages), so they live beside the plugin manager rather than in `spec`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.diagnostics import render_text
from engine.plugins.manager import default_registry
from engine.spec.reference import render_reference
from engine.spec.schema import build_schema

__all__ = [
    "REFERENCE_PATH",
    "SCHEMA_PATH",
    "main",
    "project_schema",
    "reference_text",
    "schema_text",
]

SCHEMA_PATH = Path("schemas") / "app.schema.json"
REFERENCE_PATH = Path("docs") / "reference.md"


def schema_text(schema: dict[str, Any]) -> str:
    """The schema as committed: pretty-printed, sorted keys, a final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def reference_text(schema: dict[str, Any]) -> str:
    """The reference as committed."""
    return render_reference(schema)


def project_schema(project_root: Path) -> tuple[dict[str, Any], str]:
    """The schema of the project's default registry, and the plugin problems as text ('' if
    none)."""
    registry, problems = default_registry(project_root)
    return build_schema(registry), render_text(problems) if problems else ""


def _outputs(which: str, schema: dict[str, Any]) -> dict[Path, str]:
    outputs = {}
    if which in ("schema", "all"):
        outputs[SCHEMA_PATH] = schema_text(schema)
    if which in ("reference", "all"):
        outputs[REFERENCE_PATH] = reference_text(schema)
    return outputs


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) the generated files; the exit status of the command."""
    parser = argparse.ArgumentParser(prog="python -m engine.plugins.export")
    parser.add_argument("what", choices=["schema", "reference", "all"])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project folder")
    parser.add_argument("--check", action="store_true", help="fail when a file is stale")
    args = parser.parse_args(argv)
    schema, problems = project_schema(args.root)
    if problems:
        print(problems, file=sys.stderr)
        return 1
    stale = []
    for relative, text in _outputs(args.what, schema).items():
        path = args.root / relative
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(str(relative))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {relative}")
    if stale:
        print(f"stale: {', '.join(stale)}; run `python -m engine.plugins.export all`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
