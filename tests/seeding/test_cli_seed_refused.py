"""`formwork seed --demo` when the record service refuses a generated record: D120 at the
recipe of that entity (file:line:col), exit 1, and no demo record written."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from seeding_support import small_sales_app

from engine.cli.seed import seed

CONTACT_PHONE = '      phone: {template: "1{mobile}'


def test_a_refused_record_is_d120_at_its_recipe(tmp_path: Path) -> None:
    app = small_sales_app(tmp_path / "sales_crm", divisor=1000)
    recipe = app / "seed" / "demo.yaml"
    lines = recipe.read_text(encoding="utf-8").splitlines()
    # contacts need a phone or a WeChat id (a rule of the template): generate neither
    kept = [x for x in lines if not x.startswith((CONTACT_PHONE, "      wechat: "))]
    assert len(kept) == len(lines) - 2
    recipe.write_text("\n".join(kept) + "\n", encoding="utf-8")
    line = kept.index("  contact:") + 2  # the recipe's mapping starts on the next line
    database = tmp_path / "demo.db"
    url = f"sqlite:///{database.as_posix()}"
    result = CliRunner().invoke(seed, [str(app), "--demo", "--database-url", url])
    assert result.exit_code == 1, result.output
    assert f"{recipe.as_posix()}:{line}:5: error D120 /records/contact\n" in result.stderr
    assert "phone" in result.stderr
    assert "Nothing of the demo records was written." in result.stderr
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = [t for t in sa.inspect(connection).get_table_names() if "customer" in t]
            assert tables, "the app was migrated"
            for table in tables:
                assert connection.scalar(sa.text(f'SELECT count(*) FROM "{table}"')) == 0
    finally:
        engine.dispose()
