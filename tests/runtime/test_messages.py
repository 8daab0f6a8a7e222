"""The service's messages in English and Chinese, with label parameters resolved."""

from __future__ import annotations

from engine.runtime.messages import CATALOG, Message, render


def test_every_message_exists_in_both_languages_with_the_same_parameters() -> None:
    assert set(CATALOG["en"]) == set(CATALOG["zh"])
    for key, english in CATALOG["en"].items():
        names = {part.split("}")[0] for part in english.split("{")[1:]}
        chinese = {part.split("}")[0] for part in CATALOG["zh"][key].split("{")[1:]}
        assert names == chinese, key


def test_render_picks_the_language_and_falls_back_to_english() -> None:
    message = Message("max_length", {"limit": 20})
    assert render(message, "en") == "Enter at most 20 characters."
    assert render(message, "zh") == "最多输入 20 个字符。"
    assert render(message, "zh-CN") == "最多输入 20 个字符。"
    assert render(message, "fr") == "Enter at most 20 characters."
    assert render(message, None) == "Enter at most 20 characters."


def test_label_parameters_are_resolved_in_the_same_language() -> None:
    message = Message("unique", {"entity": {"en": "customer", "zh": "客户"}})
    assert render(message, "en") == "This value is already used by another customer."
    assert render(message, "zh") == "该值已被其他客户使用。"
