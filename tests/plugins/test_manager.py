"""The plugin manager: built-ins through the hooks, plugin folders, and every way a plugin
can go wrong turned into a P diagnostic instead of an exception."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import engine.builtins
from engine.diagnostics import Diagnostic
from engine.expr import BUILTIN_FUNCTIONS
from engine.plugins import build_plugin_manager, collect_registry, default_registry
from engine.spec.registry import Registry

ROOT = Path(__file__).resolve().parents[2]

FIELD_TYPES = [
    "text",
    "long_text",
    "number",
    "integer",
    "money",
    "percent",
    "date",
    "datetime",
    "boolean",
    "select",
    "multi_select",
    "email",
    "phone",
    "url",
    "user",
    "team",
    "link",
    "subform",
    "attachment",
    "sequence",
    "formula",
    "rollup",
    "state",
]
TRIGGER_TYPES = [
    "record_created",
    "record_updated",
    "record_deleted",
    "transitioned",
    "approval",
    "threshold",
    "date",
    "schedule",
    "manual",
    "membership",
]
ACTION_TYPES = [
    "set",
    "create",
    "update",
    "delete",
    "transition",
    "for_each",
    "lookup",
    "allocate",
    "notify",
    "webhook",
    "assign_round_robin",
]

HEADER = "from engine.plugins import ActionType, ChannelType, FieldType, PluginInfo, hookimpl\n"


def write(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def collect(*dirs: Path) -> tuple[Registry, list[Diagnostic]]:
    return collect_registry(build_plugin_manager(dirs, entry_points=False))


def codes(problems: list[Diagnostic]) -> list[str]:
    return [d.code for d in problems]


STARS = """
@hookimpl
def formwork_plugin():
    return PluginInfo("stars", "Stars.", {"type": "object", "properties": {}}, __name__)

@hookimpl
def formwork_field_types():
    return [FieldType("stars", "Stars.", "integer", {
        "max": {"type": "integer", "description": "Most stars."}})]
"""


# ---------------------------------------------------------------- the built-ins


def test_the_builtins_are_one_plugin_registered_through_the_hooks() -> None:
    pm = build_plugin_manager(entry_points=False)
    assert pm.get_plugin("builtin") is engine.builtins
    assert [impl.plugin_name for impl in pm.hook.formwork_field_types.get_hookimpls()] == [
        "builtin"
    ]


def test_every_builtin_type_channel_and_function_is_collected() -> None:
    registry, problems = collect()
    assert problems == []
    assert list(registry.field_types) == [n for n in registry.field_types if n in FIELD_TYPES]
    assert sorted(registry.field_types) == sorted(FIELD_TYPES)
    assert sorted(registry.trigger_types) == sorted(TRIGGER_TYPES)
    assert sorted(registry.action_types) == sorted(ACTION_TYPES)
    assert list(registry.channels) == ["inbox", "email", "webhook"]
    assert list(registry.functions) == [f.name for f in BUILTIN_FUNCTIONS]
    assert list(registry.plugins) == ["builtin"]
    assert {t.plugin for t in registry.field_types.values()} == {"builtin"}


def test_builtin_declarations_say_which_keys_are_expressions_values_and_nested() -> None:
    registry, _ = collect()
    assert registry.field_types["link"].expression_options == ("filter",)
    assert registry.field_types["rollup"].expression_options == ("match", "where")
    assert registry.field_types["formula"].required_options == ("expr",)
    assert registry.field_types["date"].value_options == ("min", "max")
    assert registry.action_types["for_each"].nested_actions == ("actions",)
    assert registry.action_types["update"].value_options == ("values",)
    assert registry.trigger_types["record_updated"].value_options == ("from", "to")
    assert registry.field_types["multi_select"].value_kind == "list"


def test_every_builtin_option_is_documented() -> None:
    registry, _ = collect()
    for family in (registry.field_types, registry.trigger_types, registry.action_types):
        for declared in family.values():
            for key, schema in declared.options_schema.items():
                assert schema.get("description"), (declared.name, key)


# ---------------------------------------------------------------- plugin folders


def test_a_plugin_folder_adds_types_stamped_with_the_plugin_name(tmp_path: Path) -> None:
    write(
        tmp_path, "stars.py", STARS.replace('"stars", "Stars.", {"type"', '"stars", "S", {"type"')
    )
    registry, problems = collect(tmp_path)
    assert problems == []
    assert registry.field_types["stars"].plugin == "stars"
    assert registry.plugins["stars"].module == "formwork_plugins.stars"


def test_a_plugin_without_formwork_plugin_is_named_after_its_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "fax.py",
        """
        @hookimpl
        def formwork_channels():
            return [ChannelType("fax", "Fax.", {"type": "object"})]
        """,
    )
    registry, problems = collect(tmp_path)
    assert problems == []
    assert registry.channels["fax"].plugin == "fax"
    assert registry.plugins["fax"].description == ""


def test_plugin_modules_do_not_stay_in_sys_modules(tmp_path: Path) -> None:
    write(tmp_path, "stars.py", STARS)
    collect(tmp_path)
    assert "formwork_plugins.stars" not in sys.modules


def test_files_starting_with_an_underscore_are_not_plugins(tmp_path: Path) -> None:
    write(tmp_path, "_shared.py", "raise RuntimeError('not a plugin')\n")
    _, problems = collect(tmp_path)
    assert problems == []


def test_the_default_registry_loads_the_projects_plugins_folder() -> None:
    registry, problems = default_registry(ROOT)
    assert problems == []
    assert registry.field_types["rating"].plugin == "rating"
    assert set(registry.plugins) == {"builtin", "dingtalk", "feishu", "rating", "wecom"}


def test_without_a_project_the_default_registry_is_the_builtins() -> None:
    registry, problems = default_registry(None)
    assert problems == []
    assert "rating" not in registry.field_types


# ---------------------------------------------------------------- broken plugins


def test_a_syntax_error_is_p100_at_its_line_and_the_others_still_load(tmp_path: Path) -> None:
    write(tmp_path, "broken.py", "\n\ndef oops(:\n    pass\n")
    write(tmp_path, "stars.py", STARS)
    registry, problems = collect(tmp_path)
    assert [(d.code, d.file, d.line) for d in problems] == [
        ("P100", str(tmp_path / "broken.py"), 4)
    ]
    assert "could not be imported: SyntaxError" in problems[0].message
    assert "stars" in registry.field_types


def test_an_exception_at_import_is_p100_at_the_raising_line(tmp_path: Path) -> None:
    write(tmp_path, "raising.py", "\nimport json\nraise ValueError('no config')\n")
    _, problems = collect(tmp_path)
    assert [(d.code, d.line) for d in problems] == [("P100", 4)]
    assert problems[0].message == (
        "the plugin 'raising.py' could not be imported: ValueError: no config"
    )


def test_diagnostic_paths_are_relative_to_the_project(tmp_path: Path) -> None:
    write(tmp_path / "plugins", "broken.py", "import not_a_module_anywhere\n")
    _, problems = default_registry(tmp_path)
    assert [(d.code, d.file, d.line) for d in problems] == [("P100", "plugins/broken.py", 2)]
    assert "ModuleNotFoundError" in problems[0].message


def test_a_missing_plugin_folder_is_p101(tmp_path: Path) -> None:
    _, problems = collect(tmp_path / "nope")
    assert [(d.code, d.file) for d in problems] == [("P101", str(tmp_path / "nope"))]


def test_a_hook_with_arguments_is_p102(tmp_path: Path) -> None:
    write(
        tmp_path,
        "args.py",
        """
        @hookimpl
        def formwork_field_types(app):
            return []
        """,
    )
    _, problems = collect(tmp_path)
    assert codes(problems) == ["P102"]
    assert "formwork_plugins.args" in problems[0].message


def test_the_same_plugin_file_name_in_two_folders_is_p102(tmp_path: Path) -> None:
    write(tmp_path / "a", "stars.py", STARS)
    write(tmp_path / "b", "stars.py", STARS)
    registry, problems = collect(tmp_path / "a", tmp_path / "b")
    assert [(d.code, d.file) for d in problems] == [("P102", str(tmp_path / "b" / "stars.py"))]
    assert "stars" in registry.field_types


def test_a_misspelt_hook_is_p103_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "typo.py",
        """
        @hookimpl
        def formwork_field_type():
            return []
        """,
    )
    _, problems = collect(tmp_path)
    assert [(d.code, d.file, d.line) for d in problems] == [("P103", str(path), 3)]
    assert problems[0].hint == "did you mean 'formwork_field_types'?"


def test_a_hook_that_raises_is_p104_and_the_other_hooks_still_count(tmp_path: Path) -> None:
    write(
        tmp_path,
        "half.py",
        STARS
        + """
@hookimpl
def formwork_channels():
    raise KeyError("smtp")
""",
    )
    registry, problems = collect(tmp_path)
    assert codes(problems) == ["P104"]
    assert (
        problems[0].message
        == "plugin 'stars': the hook formwork_channels() raised KeyError: 'smtp'"
    )
    assert "stars" in registry.field_types


def test_a_hook_returning_the_wrong_kind_is_p105(tmp_path: Path) -> None:
    write(
        tmp_path,
        "wrong.py",
        """
        @hookimpl
        def formwork_action_types():
            return [FieldType("x", "X.", "text", {}), "set"]
        """,
    )
    registry, problems = collect(tmp_path)
    assert codes(problems) == ["P105", "P105"]
    assert "returned a FieldType, not an ActionType" in problems[0].message
    assert "x" not in registry.action_types


def test_a_type_declared_twice_is_p107_naming_both_plugins(tmp_path: Path) -> None:
    write(tmp_path, "stars.py", STARS)
    second = write(
        tmp_path, "twinkle.py", STARS.replace('PluginInfo("stars"', 'PluginInfo("twinkle"')
    )
    write(
        tmp_path,
        "texts.py",
        """
        @hookimpl
        def formwork_field_types():
            return [FieldType("text", "Mine.", "text", {})]
        """,
    )
    registry, problems = collect(tmp_path)
    found = sorted((d.code, d.file, d.message.split(":")[0]) for d in problems)
    assert found == [
        ("P107", str(tmp_path / "texts.py"), "plugin 'texts'"),
        ("P107", str(second), "plugin 'twinkle'"),
    ]
    duplicate = next(d for d in problems if d.file == str(second))
    assert "the field type 'stars' is already declared by plugin 'stars'" in duplicate.message
    assert registry.field_types["stars"].plugin == "stars"
    assert registry.field_types["text"].plugin == "builtin"


def test_a_plugin_name_declared_twice_is_p107(tmp_path: Path) -> None:
    write(tmp_path, "one.py", STARS.replace('FieldType("stars"', 'FieldType("one"'))
    write(tmp_path, "two.py", STARS.replace('FieldType("stars"', 'FieldType("two"'))
    registry, problems = collect(tmp_path)
    assert codes(problems) == ["P107"]
    assert "the plugin 'stars' is already declared" in problems[0].message
    assert {"one", "two"} <= set(registry.field_types)


def test_a_plugin_and_a_channel_sharing_settings_is_p114(tmp_path: Path) -> None:
    settings = (
        '{"type": "object", "properties": {"token": {"type": "string", "description": "T."}}}'
    )
    write(
        tmp_path,
        "dingtalk.py",
        f"""
        @hookimpl
        def formwork_plugin():
            return PluginInfo("dingtalk", "DingTalk.", {settings}, __name__)

        @hookimpl
        def formwork_channels():
            return [ChannelType("dingtalk", "A robot.", {settings})]
        """,
    )
    _, problems = collect(tmp_path)
    assert codes(problems) == ["P114"]
    assert problems[0].file == str(tmp_path / "dingtalk.py")
