"""Workflow diagrams: every state and move of the YAML drawn, markers, labels by locale, and
label text that cannot break Mermaid or DOT."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.runtime.engine import Engine
from engine.spec.model import AppSpec
from engine.workflow.diagram import diagram_of, dot_text, mermaid_text, render

SALES = Path(__file__).resolve().parent.parent.parent / "apps" / "sales_crm"
MERMAID_EDGE = re.compile(r"^    (\w+) --> (\w+): (\S+)(.*)$")
DOT_EDGE = re.compile(r'^    "(\w+)" -> "(\w+)" \[label="(\w+)(.*)"\];$')


def yaml_moves(entity: str) -> tuple[dict[str, Any], set[tuple[str, str, str]]]:
    """The states and (source, target, action) moves, read from the YAML file itself."""
    data = yaml.safe_load((SALES / "entities" / f"{entity}.yaml").read_text(encoding="utf-8"))
    workflow = data["workflow"]
    states = workflow["states"]
    moves = set()
    for action, written in workflow["transitions"].items():
        for transition in written if isinstance(written, list) else [written]:
            sources = transition["from"]
            if sources == "*":
                sources = [n for n, s in states.items() if not (s or {}).get("final")]
            targets = transition["to"]
            for source in [sources] if isinstance(sources, str) else sources:
                for target in [targets] if isinstance(targets, str) else targets:
                    moves.add((source, target, action))
    return states, moves


@pytest.mark.parametrize("entity", ["contract", "deal"])
def test_mermaid_draws_every_state_and_move_of_the_yaml(sales_engine: Engine, entity: str) -> None:
    states, moves = yaml_moves(entity)
    workflow = sales_engine.app.entities[entity].workflow
    assert workflow is not None
    text = render(diagram_of(entity, workflow, "en"), "mermaid")
    lines = text.splitlines()
    assert lines[:4] == ["---", f'title: "{workflow.label["en"]}"', "---", "stateDiagram-v2"]
    declared = re.findall(r'^    state "([^"]*)" as (\w+)$', text, re.MULTILINE)
    assert [name for _, name in declared] == list(states)
    for label, name in declared:
        assert label.startswith(states[name]["label"]["en"])
    drawn = {(m[1], m[2], m[3]) for m in map(MERMAID_EDGE.match, lines) if m and m[1] != "[*]"}
    assert drawn == moves
    [initial] = [n for n, s in states.items() if s.get("initial")]
    assert f"    [*] --> {initial}" in lines
    finals = {n for n, s in states.items() if s.get("final")}
    assert {line.split()[0] for line in lines if line.endswith("--> [*]")} == finals


def test_dot_draws_every_state_and_move_of_the_contract(sales_engine: Engine) -> None:
    _, moves = yaml_moves("contract")
    workflow = sales_engine.app.entities["contract"].workflow
    assert workflow is not None
    text = render(diagram_of("contract", workflow, "zh"), "dot")
    lines = text.splitlines()
    assert lines[0] == 'digraph "contract" {' and lines[-1] == "}"
    drawn = {(m[1], m[2], m[3]) for m in map(DOT_EDGE.match, lines) if m}
    assert drawn == moves
    assert '    "__start" -> "draft";' in lines
    assert '    "cancelled" [label="已作废", peripheries=2];' in lines
    assert (
        '    "director" [label="总监审批\\n(approval · all)", style="rounded,filled", '
        'fillcolor="#fff4d6", color="#c28a00"];'
    ) in lines


def test_markers_guards_and_labels(sales_engine: Engine) -> None:
    workflow = sales_engine.app.entities["contract"].workflow
    assert workflow is not None
    text = render(diagram_of("contract", workflow, "en"))
    assert '    state "Manager review (approval · any)" as review' in text
    assert '    state "Finance review (approval · 1 of n)" as finance' in text
    # a label that only repeats the name is left out
    assert "    review --> director: approve [director_required]\n" in text
    assert "    review --> draft: send_back\n" in text
    assert "    draft --> review: submit (Submit for approval)\n" in text
    assert "    class review,director,finance approval\n" in text
    zh = render(diagram_of("contract", workflow, "zh"))
    assert "    review --> director: approve (同意) [director_required]\n" in zh


def test_mermaid_and_dot_escaping() -> None:
    nasty = 'Say "hi"; #1 {a}: <b> | 50%'
    assert mermaid_text(nasty) == (
        "Say #quot;hi#quot;#59; #35;1 #123;a#125;#58; #lt;b#gt; #124; 50#37;"
    )
    assert mermaid_text("two\nlines") == "two lines"
    assert dot_text('a "quoted" \\ back\nslash') == '"a \\"quoted\\" \\\\ back\\nslash"'


Writer = Callable[[Mapping[str, str]], Path]
QUOTED = """
entity: job
label: Job
fields:
  title: {type: text}
  note: {type: text}
workflow:
  field: status
  label: 'A "quoted" flow'
  states:
    todo: {initial: true, label: 'To "do"; #1'}
    end: {final: true, label: 'Done: {yes}'}
  transitions:
    finish: {from: todo, to: end, label: 'Finish <now>', if: 'note == "ok"'}
"""


def test_quotes_in_labels_and_guards_stay_inside_their_strings(
    write_app_folder: Writer, load_spec: Callable[[Path], AppSpec]
) -> None:
    app = load_spec(
        write_app_folder(
            {"app.yaml": "app: jobs\ntitle: Jobs\nlocales: [en]\n", "entities/job.yaml": QUOTED}
        )
    )
    workflow = app.entities["job"].workflow
    assert workflow is not None
    mermaid = render(diagram_of("job", workflow, "en"), "mermaid")
    assert 'title: "A \\"quoted\\" flow"' in mermaid
    assert '    state "To #quot;do#quot;#59; #35;1" as todo' in mermaid
    # `end` is a Mermaid keyword: the state gets an id of its own
    assert '    state "Done#58; #123;yes#125;" as end_' in mermaid
    assert "    todo --> end_: finish (Finish #lt;now#gt;) [note == #quot;ok#quot;]" in mermaid
    assert "    end_ --> [*]" in mermaid
    dot = render(diagram_of("job", workflow, "en"), "dot")
    assert '    "todo" [label="To \\"do\\"; #1"];' in dot
    assert '    "todo" -> "end" [label="finish (Finish <now>) [note == \\"ok\\"]"];' in dot
    with pytest.raises(ValueError, match="unknown diagram format 'svg'"):
        render(diagram_of("job", workflow, "en"), "svg")
