"""docs/diagnostics.md documents every diagnostic code the engine defines, and nothing else.

The codes are collected the way each range is declared: R and W codes in the `CODES` table of
`engine.spec.codes`, X codes in the `CODES` table of `engine.expr.problems`, S codes in the
module docstring of `engine.spec.schema_check` (the checks made beside the schema — key
rules, regular expressions, time zones — use only those), and Y, P and D codes as the string
literals the loader, the folder reader, the plugin modules and the demo-recipe modules (the
seeding package and the `seed` command) emit. Every row's example must
exist: a case of the broken-app corpus that expects the code, or a test file that mentions it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import engine.spec.schema_check
from engine.expr.problems import CODES as EXPRESSION_CODES
from engine.spec.codes import CODES as SPEC_CODES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "diagnostics.md"
CORPUS = ROOT / "tests" / "spec" / "broken"
ENGINE = ROOT / "engine"

CODE = r"[YSRXPWD]\d{3}"
QUOTED_CODE = re.compile(rf"""["']({CODE})["']""")
# A table row: | `CODE` | meaning | example |  (the example cell holds no '|')
DOC_ROW = re.compile(rf"^\| `({CODE})` \| (.+) \| ([^|]+) \|$", re.MULTILINE)
# Modules that emit Y, P and D codes as literals (R, W, X and S are declared in tables/docs).
LITERAL_SOURCES = (
    ENGINE / "spec" / "yaml_loader.py",
    ENGINE / "spec" / "folder.py",
    ENGINE / "spec" / "registry.py",
    *sorted((ENGINE / "plugins").glob("*.py")),
    *sorted((ENGINE / "seeding").glob("*.py")),
    ENGINE / "cli" / "seed.py",
)
LITERAL_PHASES = "YPD"


def engine_codes() -> set[str]:
    """Every code the engine defines, from where each range is declared."""
    codes = set(SPEC_CODES) | set(EXPRESSION_CODES)
    codes |= set(re.findall(r"\b(S\d{3})\b", engine.spec.schema_check.__doc__ or ""))
    for source in LITERAL_SOURCES:
        codes |= {
            c
            for c in QUOTED_CODE.findall(source.read_text(encoding="utf-8"))
            if c[0] in LITERAL_PHASES
        }
    return codes


def documented() -> dict[str, str]:
    """Code -> the example column of its row in docs/diagnostics.md."""
    rows = DOC_ROW.findall(DOC.read_text(encoding="utf-8"))
    codes = [code for code, _, _ in rows]
    assert len(codes) == len(set(codes)), "a code has two rows in docs/diagnostics.md"
    return {code: example.strip("` ") for code, _, example in rows}


def test_every_phase_declares_codes() -> None:
    phases = {code[0] for code in engine_codes()}
    # the collector would silently find nothing if a declaration moved: fail loudly instead
    assert phases == set("YSRXPWD")


def test_every_engine_code_is_documented() -> None:
    missing = sorted(engine_codes() - set(documented()))
    assert not missing, f"add these codes to docs/diagnostics.md: {missing}"


def test_every_documented_code_exists() -> None:
    stale = sorted(set(documented()) - engine_codes())
    assert not stale, f"docs/diagnostics.md lists codes the engine does not define: {stale}"


def test_s_codes_emitted_beside_the_schema_are_declared_with_it() -> None:
    # key rules, regular expressions and time zones are checked after the schema, with its
    # codes: each such code must be one the schema phase declares
    declared = set(re.findall(r"\b(S\d{3})\b", engine.spec.schema_check.__doc__ or ""))
    emitted = {
        code
        for source in sorted((ENGINE / "spec").glob("*.py"))
        for code in QUOTED_CODE.findall(source.read_text(encoding="utf-8"))
        if code[0] == "S"
    }
    assert emitted and emitted <= declared, sorted(emitted - declared)


def test_the_listed_codes_are_found_where_they_are_emitted() -> None:
    # spot checks that each collector reads the right thing
    codes = engine_codes()
    assert {"Y101", "Y113", "S100", "S199", "R102", "R201", "W120", "X101", "P100", "P130"} <= codes
    assert {"D100", "D101", "D106", "D110", "D116", "D120"} <= codes


@pytest.mark.parametrize("code", sorted(documented()))
def test_the_example_shows_the_code(code: str) -> None:
    example = documented()[code]
    if example == "—":
        return  # no place can show it yet; the meaning column says why
    if example.startswith("tests/"):
        test_file = ROOT / example
        assert test_file.is_file(), f"{code}: no test file {example}"
        assert code in test_file.read_text(encoding="utf-8"), f"{example} never mentions {code}"
        return
    case = CORPUS / example / "case.yaml"
    assert case.is_file(), f"{code}: no corpus case '{example}'"
    assert re.search(rf"\bcode:\s*{code}\b", case.read_text(encoding="utf-8")), (
        f"{code}: the case '{example}' does not expect {code}"
    )
