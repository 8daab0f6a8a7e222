"""The UI in Chinese and English: catalogs complete, spec labels per locale, switching
(engine/web/i18n.py, engine/web/locales/)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from engine.runtime.engine import Engine

WEB = Path(__file__).resolve().parents[3] / "engine" / "web"
KEY_IN_TEMPLATE = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]""")
KEY_IN_PYTHON = re.compile(r"""translate\(\s*["']([a-z0-9_.]+)["']""")

ClientFactory = Callable[[str], FlaskClient]


def _catalog(locale: str) -> dict[str, str]:
    return json.loads((WEB / "locales" / f"{locale}.json").read_text(encoding="utf-8"))


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for template in (WEB / "templates").rglob("*.html"):
        keys |= set(KEY_IN_TEMPLATE.findall(template.read_text(encoding="utf-8")))
    for module in WEB.rglob("*.py"):
        keys |= set(KEY_IN_PYTHON.findall(module.read_text(encoding="utf-8")))
    return keys


def test_both_catalogs_have_the_same_keys() -> None:
    assert set(_catalog("zh")) == set(_catalog("en"))


def test_every_key_the_ui_uses_is_in_both_catalogs() -> None:
    used = _used_keys()
    assert len(used) > 60
    for locale in ("zh", "en"):
        assert sorted(used - set(_catalog(locale))) == [], locale


def test_a_chinese_reader_sees_chinese_labels(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    web_engine.records.create(
        web_engine.actor("rep_west_2"), "customer", {"name": "华东制造", "level": "A"}
    )
    html = client_for("rep_west_2").get("/e/customer").get_data(as_text=True)
    assert '<html lang="zh">' in html
    assert "客户名称" in html and "我负责的客户" in html and "A类·战略客户" in html
    assert "下一页" not in html and "筛选" in html


def test_an_english_reader_sees_english_labels(
    client_for: ClientFactory, web_engine: Engine
) -> None:
    web_engine.records.create(
        web_engine.actor("rep_east_1"), "customer", {"name": "Acme", "level": "A"}
    )
    html = client_for("rep_east_1").get("/e/customer").get_data(as_text=True)
    assert "Customer name" in html and "My customers" in html and "A · Strategic" in html


def test_errors_come_in_the_readers_language(client_for: ClientFactory, csrf: str) -> None:
    data = {"csrf_token": csrf, "name": "甲", "email": "bad"}
    html = client_for("rep_west_2").post("/e/customer/new", data=data).get_data(as_text=True)
    assert "请修改下方标出的字段。" in html


def test_switching_the_language_is_kept_on_the_user(
    client_for: ClientFactory, csrf: str, web_engine: Engine
) -> None:
    client = client_for("rep_east_1")
    response = client.post("/locale", data={"csrf_token": csrf, "locale": "zh", "next": "/e/deal"})
    assert response.headers["Location"] == "/e/deal"
    assert web_engine.people.get_user("rep_east_1").locale == "zh"
    assert "全部商机" in client.get("/e/deal").get_data(as_text=True)
    assert client.post("/locale", data={"csrf_token": csrf, "locale": "fr"}).status_code == 400


def test_a_visitor_may_switch_the_login_page(anonymous: FlaskClient) -> None:
    page = anonymous.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    anonymous.post("/locale", data={"csrf_token": token.group(1), "locale": "en"})
    assert "Sign in" in anonymous.get("/login").get_data(as_text=True)
