"""`Engine.load`: a broken app raises AppInvalid; a good one builds every service once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from runtime_support import SALES_APP

from engine.errors import AppInvalid
from engine.runtime.engine import Engine
from engine.spec.registry import Registry


def test_a_broken_app_is_refused_with_its_diagnostics(
    write_app_folder: Callable[..., Path], project_registry: Registry, tmp_path: Path
) -> None:
    broken = write_app_folder(
        {
            "app.yaml": "app: broken\ntitle: Broken\nroles: {}\n",
            "entities/x.yaml": "entity: x\nlabel: X\nfields:\n  a: {type: curency}\n",
        }
    )
    with pytest.raises(AppInvalid) as caught:
        Engine.load(broken, database_url=f"sqlite:///{tmp_path}/x.db", registry=project_registry)
    found = [
        (getattr(d, "code", None), getattr(d, "pointer", None)) for d in caught.value.diagnostics
    ]
    assert found == [("S102", "/fields/a/type")]


def test_the_sales_template_loads_on_the_default_database(
    project_registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    engine = Engine.load(SALES_APP, project_root=tmp_path, registry=project_registry)
    try:
        assert engine.db.url.database == str(tmp_path / "instance" / "sales_crm.db")
        assert engine.db.dialect == "sqlite"
        assert set(engine.runtime.compiled) == {
            "customer", "contact", "follow_up", "deal", "contract", "target", "bonus"
        }  # fmt: skip
        assert engine.runtime.compiled["contract"].fields.formula_order == ("lines_total",)
        assert engine.runtime.compiled["contract"].fields.fields["lines"].rows is not None
        steps = engine.migrate()
        assert any("sales_crm__contract" in step.sentence for step in steps)
        assert engine.migrate() == ()
    finally:
        engine.close()
