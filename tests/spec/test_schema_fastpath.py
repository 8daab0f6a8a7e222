"""The compiled fast path agrees with jsonschema, never mutates documents, and caches code."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.plugins import default_registry
from engine.spec.check import schema_for
from engine.spec.folder import load_app_folder
from engine.spec.schema_check import SchemaValidators
from engine.spec.schema_fastpath import cache_dir, compile_fast_validator

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "apps" / "sales_crm"


@pytest.fixture(scope="module")
def validators() -> SchemaValidators:
    registry, _ = default_registry(ROOT)
    return SchemaValidators(schema_for(registry))


@pytest.fixture(scope="module")
def documents() -> list[Any]:
    return list(load_app_folder(TEMPLATE).documents)


def slow_ok(validators: SchemaValidators, kind: str, data: Any) -> bool:
    validator = validators.for_kind(kind)
    assert validator is not None
    return not any(True for _ in validator.iter_errors(data))


def test_template_documents_pass_both_ways(validators: SchemaValidators, documents: list[Any]):
    for document in documents:
        assert validators.is_valid_fast(document.kind, document.data), document.file
        assert slow_ok(validators, document.kind, document.data), document.file


def test_fast_path_does_not_fill_defaults(validators: SchemaValidators, documents: list[Any]):
    for document in documents:
        before = copy.deepcopy(document.data)
        validators.is_valid_fast(document.kind, document.data)
        assert document.data == before, document.file


MUTATIONS = [
    ("entity", ["fields", "amount"], {"type": "curency"}),
    ("entity", ["fields", "amount"], {"type": "money", "minimum": 0}),
    ("entity", ["fields", "amount"], {"type": "money", "min": "zero"}),
    ("entity", ["fields", "amount"], {"required": True}),
    ("entity", ["fields", "Bad-Name"], {"type": "text"}),
    ("entity", ["fields", "score"], {"type": "rating", "max": 20}),
    ("entity", ["label"], 5),
]


@pytest.mark.parametrize(("kind", "path", "value"), MUTATIONS)
def test_invalid_documents_are_rejected_by_both(
    validators: SchemaValidators, documents: list[Any], kind: str, path: list[str], value: Any
) -> None:
    document = next(d for d in documents if d.kind == kind and d.name == "deal")
    data = copy.deepcopy(document.data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert not slow_ok(validators, kind, data)
    assert not validators.is_valid_fast(kind, data)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=6), st.lists(st.integers())
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fast_and_slow_agree_on_mutated_documents(
    validators: SchemaValidators, documents: list[Any], data: st.DataObject
) -> None:
    document = data.draw(st.sampled_from(documents))
    mutated = copy.deepcopy(document.data)
    node: Any = mutated
    for _ in range(data.draw(st.integers(0, 4))):
        if isinstance(node, dict) and node:
            child = node[data.draw(st.sampled_from(sorted(node)))]
        elif isinstance(node, list) and node:
            child = data.draw(st.sampled_from(node))
        else:
            break
        if not isinstance(child, dict | list):
            break
        node = child
    if isinstance(node, dict):
        node[data.draw(st.sampled_from([*sorted(node), "extra_key"]))] = data.draw(SCALARS)
    elif isinstance(node, list):
        node.append(data.draw(SCALARS))
    fast = validators.is_valid_fast(document.kind, mutated)
    assert fast == slow_ok(validators, document.kind, mutated)


SMALL = {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0}}}


def test_generated_code_is_cached_and_reused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FORMWORK_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"
    first = compile_fast_validator(SMALL)
    assert first is not None and first({"a": 1}) and not first({"a": -1})
    cached = list((tmp_path / "cache").glob("schema_*.py"))
    assert len(cached) == 1
    again = compile_fast_validator(SMALL)
    assert again is not None and again({"a": 2})
    assert list((tmp_path / "cache").glob("schema_*.py")) == cached


def test_a_corrupt_cache_file_is_regenerated(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FORMWORK_CACHE_DIR", str(tmp_path))
    assert compile_fast_validator(SMALL) is not None
    (path,) = tmp_path.glob("schema_*.py")
    path.write_text("def validate(:\n", encoding="utf-8")
    validator = compile_fast_validator(SMALL)
    assert validator is not None and validator({"a": 3}) and not validator({"a": "x"})


def test_an_unwritable_cache_still_validates(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("FORMWORK_CACHE_DIR", str(blocker / "cache"))
    validator = compile_fast_validator(SMALL)
    assert validator is not None and validator({"a": 0}) and not validator({"a": -2})
