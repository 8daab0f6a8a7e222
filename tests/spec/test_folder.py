"""load_app_folder: app.yaml, includes, kinds, names and every folder-level problem."""

from __future__ import annotations

from pathlib import Path

from engine.diagnostics import Diagnostic, Severity
from engine.spec.folder import DEFAULT_INCLUDES, load_app_folder
from engine.spec.sourcemap import Position

APP = "app: crm\ntitle: CRM\nlocales: [en]\n"


def make(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def where(d: Diagnostic) -> tuple[str, str, int, int, str]:
    return d.code, d.file, d.line, d.col, d.pointer


def test_loads_app_and_default_includes_in_sorted_order(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "app.yaml": APP,
            "entities/deal.yaml": "entity: deal\n",
            "entities/customer.yaml": "entity: customer\n",
            "rules/notify.yaml": "automation: notify\n",
            "tables/t.yaml": "table: threshold\n",
            "dashboards/d.yaml": "dashboard: overview\n",
            "tests/s.yaml": "suite: approval\n",
            "seed/data.yaml": "entity: not_included\n",
        },
    )
    folder = load_app_folder(tmp_path)
    assert folder.diagnostics == []
    assert [(d.file, d.kind, d.name) for d in folder.documents] == [
        ("app.yaml", "app", "crm"),
        ("dashboards/d.yaml", "dashboard", "overview"),
        ("entities/customer.yaml", "entity", "customer"),
        ("entities/deal.yaml", "entity", "deal"),
        ("rules/notify.yaml", "automation", "notify"),
        ("tables/t.yaml", "table", "threshold"),
        ("tests/s.yaml", "suite", "approval"),
    ]
    assert folder.root == tmp_path
    assert folder.app is not None and folder.app.data["title"] == "CRM"
    assert [d.name for d in folder.of_kind("entity")] == ["customer", "deal"]
    assert sorted(folder.sources) == sorted(d.file for d in folder.documents)
    assert folder.sources["entities/deal.yaml"].value("/entity") == Position(1, 9)


def test_default_includes_match_the_language_reference() -> None:
    assert DEFAULT_INCLUDES == (
        "entities/*.yaml",
        "rules/*.yaml",
        "tables/*.yaml",
        "dashboards/*.yaml",
        "tests/*.yaml",
    )


def test_explicit_includes_replace_the_defaults(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "app.yaml": APP + "includes: [model/**/*.yaml, '*.yaml']\n",
            "model/a/deal.yaml": "entity: deal\n",
            "model/b.yaml": "entity: bee\n",
            "top.yaml": "entity: top\n",
            "entities/ignored.yaml": "entity: ignored\n",
        },
    )
    folder = load_app_folder(tmp_path)
    assert folder.diagnostics == []
    # app.yaml matches '*.yaml' but is loaded once.
    assert [d.file for d in folder.documents] == [
        "app.yaml",
        "model/a/deal.yaml",
        "model/b.yaml",
        "top.yaml",
    ]


def test_include_that_matches_nothing_is_a_warning_at_the_pattern(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": APP + "includes:\n  - entities/*.yaml\n  - flows/*.yaml\n"})
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [
        ("Y114", "app.yaml", 5, 5, "/includes/0"),
        ("Y114", "app.yaml", 6, 5, "/includes/1"),
    ]
    assert all(d.severity is Severity.WARNING for d in folder.diagnostics)
    assert folder.diagnostics[1].message == "the include 'flows/*.yaml' matches no file"


def test_an_include_of_a_misspelt_folder_suggests_the_existing_one(tmp_path: Path) -> None:
    files = {"app.yaml": APP + "includes: [entity/*.yaml, rules/x/*.yaml, zzz/*.yaml]\n"}
    make(tmp_path, {**files, "entities/a.yaml": "entity: a\n", "rules/b.yaml": "entity: b\n"})
    hints = [d.hint for d in load_app_folder(tmp_path).diagnostics]
    assert hints == ["did you mean 'entities/*.yaml'?", None, None]


def test_default_includes_that_match_nothing_say_nothing(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": APP})
    assert load_app_folder(tmp_path).diagnostics == []


def test_include_outside_the_folder_is_refused(tmp_path: Path) -> None:
    app = tmp_path / "app"
    make(tmp_path, {"other/x.yaml": "entity: x\n"})
    make(app, {"app.yaml": APP + "includes: [../other/*.yaml, /etc/*.yaml, '']\n"})
    folder = load_app_folder(app)
    assert [(d.code, d.pointer) for d in folder.diagnostics] == [
        ("Y117", "/includes/0"),
        ("Y117", "/includes/1"),
        ("Y117", "/includes/2"),
    ]
    assert [d.kind for d in folder.documents] == ["app"]


def test_malformed_includes_fall_back_to_the_defaults(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": APP + "includes: entities\n", "entities/a.yaml": "entity: a\n"})
    folder = load_app_folder(tmp_path)
    assert folder.diagnostics == []  # the schema check reports the wrong type
    assert [d.file for d in folder.documents] == ["app.yaml", "entities/a.yaml"]


def test_missing_app_yaml(tmp_path: Path) -> None:
    make(tmp_path, {"entities/a.yaml": "entity: a\n"})
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [("Y110", "app.yaml", 0, 0, "")]
    # paths are relative to the app folder: its own (temporary, absolute) path is not shown
    assert folder.diagnostics[0].message == (
        "the folder has no app.yaml: an app folder starts with app.yaml"
    )
    assert str(tmp_path) not in folder.diagnostics[0].message
    assert folder.documents == ()


def test_app_yml_gets_a_rename_hint(tmp_path: Path) -> None:
    make(tmp_path, {"app.yml": APP})
    (problem,) = load_app_folder(tmp_path).diagnostics
    assert problem.code == "Y110"
    assert problem.hint == "rename app.yml to app.yaml"


def test_path_that_is_not_a_folder(tmp_path: Path) -> None:
    (problem,) = load_app_folder(tmp_path / "nope").diagnostics
    assert problem.code == "Y109"
    assert "is not a folder" in problem.message


def test_unknown_first_key_with_did_you_mean(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": APP, "entities/a.yaml": "# modeline\nentitty: a\nfields: {}\n"})
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [("Y112", "entities/a.yaml", 2, 1, "/entitty")]
    assert folder.diagnostics[0].hint == "did you mean 'entity'?"
    assert "app, entity, automation, table, dashboard, suite" in folder.diagnostics[0].message
    assert [d.file for d in folder.documents] == ["app.yaml"]


def test_kind_key_that_is_not_first_gets_a_move_hint(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": APP, "entities/a.yaml": "label: A\nentity: a\n"})
    (problem,) = load_app_folder(tmp_path).diagnostics
    assert where(problem) == ("Y112", "entities/a.yaml", 1, 1, "/label")
    assert problem.hint == "move 'entity:' to the top of the file"


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    make(
        tmp_path,
        {"app.yaml": APP, "entities/a.yaml": "- entity: a\n", "entities/b.yaml": "{}\n"},
    )
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [
        ("Y111", "entities/a.yaml", 1, 1, ""),
        ("Y111", "entities/b.yaml", 1, 1, ""),
    ]
    assert folder.diagnostics[0].message.endswith("found a list")


def test_empty_file_is_reported_once(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": APP, "entities/a.yaml": "# nothing yet\n"})
    assert [where(d) for d in load_app_folder(tmp_path).diagnostics] == [
        ("Y103", "entities/a.yaml", 1, 1, "")
    ]


def test_duplicate_names_of_one_kind_name_both_files(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "app.yaml": APP,
            "entities/a.yaml": "entity: deal\n",
            "entities/b.yaml": "\nentity: deal\n",
            "rules/deal.yaml": "automation: deal\n",  # another kind: no clash
        },
    )
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [("Y113", "entities/b.yaml", 2, 9, "/entity")]
    problem = folder.diagnostics[0]
    assert "entities/a.yaml" in problem.message and "entities/b.yaml" in problem.message
    assert problem.related == ("entities/a.yaml:1:9",)


def test_invalid_utf8_is_a_diagnostic_at_the_byte(tmp_path: Path) -> None:
    bad = "entity: a\nlabel: 合".encode() + b"\xff\n"
    make(tmp_path, {"app.yaml": APP, "entities/a.yaml": bad})
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [("Y108", "entities/a.yaml", 2, 9, "")]
    assert folder.diagnostics[0].message == "the file is not valid UTF-8 (byte 0xff)"


def test_bom_and_crlf_files_load_with_true_positions(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "app.yaml": "\ufeff" + APP.replace("\n", "\r\n"),
            "entities/a.yaml": "\ufeffentity: a\r\nlabel: {zh: 合同}\r\n",
        },
    )
    folder = load_app_folder(tmp_path)
    assert folder.diagnostics == []
    assert folder.sources["entities/a.yaml"].value("/label/zh") == Position(2, 13)
    assert folder.documents[1].data == {"entity": "a", "label": {"zh": "合同"}}


def test_app_yaml_of_another_kind(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": "entity: a\n"})
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [("Y115", "app.yaml", 1, 1, "/entity")]


def test_second_app_document_is_refused(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": APP, "entities/x.yaml": "app: other\n"})
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [("Y115", "entities/x.yaml", 1, 1, "/app")]
    assert [d.file for d in folder.documents] == ["app.yaml"]


def test_hidden_files_are_skipped(tmp_path: Path) -> None:
    make(
        tmp_path,
        {"app.yaml": APP, "entities/.#a.yaml": "garbage: [", "entities/a.yaml": "entity: a\n"},
    )
    folder = load_app_folder(tmp_path)
    assert folder.diagnostics == []
    assert [d.file for d in folder.documents] == ["app.yaml", "entities/a.yaml"]


def test_errors_in_one_file_do_not_stop_the_others(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "app.yaml": APP,
            "entities/a.yaml": "entity: a\nfields: {x: 1\n",
            "entities/b.yaml": "entity: b\n---\nentity: c\n",
            "entities/c.yaml": "entity: c\nx: 1\nx: 2\n",
        },
    )
    folder = load_app_folder(tmp_path)
    assert [where(d) for d in folder.diagnostics] == [
        ("Y100", "entities/a.yaml", 3, 1, ""),
        ("Y104", "entities/b.yaml", 2, 1, ""),
        ("Y101", "entities/c.yaml", 3, 1, "/x"),
    ]
    # Files with only structural problems still yield their (first) document.
    assert [d.name for d in folder.documents] == ["crm", "b", "c"]
    assert "entities/a.yaml" in folder.sources


def test_name_that_is_not_text_is_none(tmp_path: Path) -> None:
    make(tmp_path, {"app.yaml": APP, "entities/a.yaml": "entity: [x]\n"})
    folder = load_app_folder(tmp_path)
    assert folder.diagnostics == []  # the schema reports the type
    assert folder.documents[1].kind == "entity" and folder.documents[1].name is None


def test_a_file_that_cannot_be_parsed_still_names_what_it_defines(tmp_path: Path) -> None:
    broken = "entity: deal\nfields:\n  name:\n    required: true\n\tmax_length: 9\n"
    make(tmp_path, {"app.yaml": APP, "entities/deal.yaml": broken, "entities/x.yaml": "- a\n"})
    folder = load_app_folder(tmp_path)
    assert [d.code for d in folder.diagnostics] == ["Y100", "Y111"]
    assert folder.unparsed == (("entity", "deal"),)
    assert [d.file for d in folder.documents] == ["app.yaml"]
