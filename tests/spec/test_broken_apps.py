"""Broken app folders, each with the diagnostics it must produce.

Every case is a folder under `tests/spec/broken/<case>/` with a `case.yaml`:

```yaml
about: one line saying what mistake the case makes
# either a standalone app in ./app/, or a mutation of the sales template:
mutate:
  - file: entities/deal.yaml        # relative to apps/sales_crm
    replace: "type: money"          # exact text that must occur once in the file
    with: "type: curency"
expect:                             # each must appear (code, pointer, file:line:col)
  - {code: S102, pointer: /fields/amount/type, at: "entities/deal.yaml:42:11"}
forbid:                             # optional: none of these may appear
  - R102                            # a code anywhere
  - {code: X103, pointer: /widgets/2/filter}   # a code at one pointer (any file)
  - {code: R103, at: "entities/deal.yaml:80:5"} # … or at one place
```

and an `expected.txt` golden file holding the exact `check` text output, which pins the
wording. `forbid` pins the absence of cascades: a golden file shows them too, but
regenerating goldens must not quietly accept them back. Regenerate goldens with
`FORMWORK_UPDATE_GOLDEN=1 pytest tests/spec/test_broken_apps.py` and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.diagnostics import render_text
from engine.plugins import default_registry
from engine.spec.check import AppChecker

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TEMPLATE = ROOT / "apps" / "sales_crm"
CASES = sorted(p for p in (HERE / "broken").iterdir() if (p / "case.yaml").is_file())
UPDATE = os.environ.get("FORMWORK_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def checker() -> AppChecker:
    """One checker for every case: the registry and its schema are built once."""
    reg, problems = default_registry(ROOT)
    assert not problems, problems
    return AppChecker(reg)


def materialise(case: Path, case_spec: dict[str, Any], into: Path) -> Path:
    """Copy the case's app (or the mutated template) into a scratch folder."""
    target = into / "app"
    if (case / "app").is_dir():
        shutil.copytree(case / "app", target)
        return target
    shutil.copytree(TEMPLATE, target)
    for change in case_spec["mutate"]:
        path = target / change["file"]
        if change.get("delete"):
            path.unlink()
            continue
        if "content" in change:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(change["content"], encoding="utf-8")
            continue
        text = path.read_text(encoding="utf-8")
        assert text.count(change["replace"]) == 1, (
            f"{case.name}: {change['replace']!r} must occur exactly once in {change['file']}"
        )
        path.write_text(text.replace(change["replace"], change["with"]), encoding="utf-8")
    return target


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40


def forbidden(rule: str | dict[str, str], found: set[tuple[str, str, str]]) -> list[str]:
    """The found (code, pointer, place) triples a `forbid` entry matches."""
    wanted = {"code": rule} if isinstance(rule, str) else rule
    unknown = set(wanted) - {"code", "pointer", "at"}
    assert "code" in wanted and not unknown, f"a forbid entry needs `code` (got {wanted})"
    return [
        " ".join(triple)
        for triple in sorted(found)
        if triple[0] == wanted["code"]
        and wanted.get("pointer", triple[1]) == triple[1]
        and wanted.get("at", triple[2]) == triple[2]
    ]


def test_forbidden_matches_by_code_pointer_and_place() -> None:
    found = {("R102", "/a", "x.yaml:1:1"), ("R102", "/b", "y.yaml:2:2")}
    assert len(forbidden("R102", found)) == 2
    assert forbidden({"code": "R102", "pointer": "/b"}, found) == ["R102 /b y.yaml:2:2"]
    assert forbidden({"code": "R102", "at": "x.yaml:1:1"}, found) == ["R102 /a x.yaml:1:1"]
    assert forbidden({"code": "R103"}, found) == []


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_broken_app(case: Path, tmp_path: Path, checker: AppChecker) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    app_dir = materialise(case, spec, tmp_path)
    result = checker.check(app_dir)
    assert not result.ok, f"{case.name}: expected errors, got none"
    found = {(d.code, d.pointer, f"{d.file}:{d.line}:{d.col}") for d in result.diagnostics}
    for want in spec["expect"]:
        triple = (want["code"], want["pointer"], want["at"])
        assert triple in found, f"{case.name}: missing {triple}; got {sorted(found)}"
    for rule in spec.get("forbid", ()):
        unwanted = forbidden(rule, found)
        assert not unwanted, f"{case.name}: forbidden {rule} found: {unwanted}"
    text = render_text(result.diagnostics) + "\n"
    golden = case / "expected.txt"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{case.name}: no expected.txt; run with FORMWORK_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")
