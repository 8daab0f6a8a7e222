"""The server-side workflow diagram: columns by distance from the initial state, merged
arrows, lanes that keep arrows off the boxes, the current state, escaped text."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ElementTree
from itertools import pairwise
from typing import Any

from engine.spec.model_workflow import WorkflowSpec
from engine.web.ui.workflow_diagram import BOX_H, layout, render_svg


def _workflow(web_template: Any, entity: str) -> WorkflowSpec:
    workflow = web_template.app.entities[entity].workflow
    assert workflow is not None
    return workflow


def test_states_are_in_columns_by_distance_from_the_initial_state(web_template: Any) -> None:
    diagram = layout(_workflow(web_template, "contract"), "en")
    columns = {name: node.column for name, node in diagram.nodes.items()}
    assert columns == {
        "draft": 0, "review": 1, "director": 2, "finance": 2, "rejected": 2, "approved": 3,
        "cancelled": 4,
    }  # fmt: skip
    deal = layout(_workflow(web_template, "deal"), "en")
    assert deal.nodes["lead"].column == 0 and deal.nodes["lost"].column == 1
    assert deal.nodes["won"].column == 3


def test_arrows_between_the_same_states_are_merged_with_every_label(web_template: Any) -> None:
    diagram = layout(_workflow(web_template, "contract"), "en")
    back = {(e.source, e.target): e for e in diagram.edges}
    assert back[("director", "draft")].labels == ["Send back", "Recall"]
    assert back[("director", "draft")].kind == "back"
    assert back[("review", "director")].kind == "next"
    assert back[("director", "finance")].kind == "vertical"
    assert len(back) == len(diagram.edges)


def test_no_box_overlaps_another_and_lanes_stay_outside_the_boxes(web_template: Any) -> None:
    for entity in ("contract", "deal"):
        diagram = layout(_workflow(web_template, entity), "en")
        boxes = list(diagram.nodes.values())
        for i, a in enumerate(boxes):
            assert a.x >= 0 and a.x + a.w <= diagram.width
            assert a.y >= 0 and a.y + BOX_H <= diagram.height
            for b in boxes[i + 1 :]:
                apart_x = a.x + a.w <= b.x or b.x + b.w <= a.x
                apart_y = a.y + BOX_H <= b.y or b.y + BOX_H <= a.y
                assert apart_x or apart_y, (a.name, b.name)
        svg = render_svg(diagram, None, caption="x")
        top = min(n.y for n in boxes)
        bottom = max(n.y for n in boxes) + BOX_H
        for path in re.findall(r'class="wf-edge wf-edge-(?:back|skip)" d="([^"]+)"', svg):
            points = [tuple(map(float, p.split(","))) for p in re.findall(r"[\d.]+,[\d.]+", path)]
            for (x1, y1), (x2, y2) in pairwise(points):
                if y1 == y2 and (y1 < top or y1 > bottom):
                    continue  # a lane above or below every box
                for box in boxes:  # a segment inside the band never crosses a box's inside
                    inside_x = box.x + 1 < min(x1, x2) and max(x1, x2) < box.x + box.w - 1
                    inside_y = box.y + 1 < min(y1, y2) and max(y1, y2) < box.y + BOX_H - 1
                    assert not (inside_x and inside_y), (entity, path, box.name)


def test_the_current_state_is_highlighted_and_named(web_template: Any) -> None:
    diagram = layout(_workflow(web_template, "contract"), "zh")
    svg = render_svg(diagram, "finance", caption="合同审批：当前为「财务审核」")
    root = ElementTree.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "合同审批：当前为「财务审核」"  # type: ignore[union-attr]
    current = [g for g in root.iter(f"{ns}g") if "wf-current" in (g.get("class") or "")]
    assert [g.get("data-state") for g in current] == ["finance"]
    assert current[0].get("aria-current") == "step"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "财务审核" in texts and "草稿" in texts


def test_labels_are_escaped(web_template: Any) -> None:
    workflow = _workflow(web_template, "deal")
    lead = dataclasses.replace(workflow.states["lead"], label={"en": "<b>Lead & co</b>"})
    changed = dataclasses.replace(workflow, states={**workflow.states, "lead": lead})
    svg = render_svg(layout(changed, "en"), "lead", caption="a <caption>")
    assert "&lt;b&gt;Lead &amp; co&lt;/b&gt;" in svg and "<b>" not in svg
    assert "a &lt;caption&gt;" in svg
    ElementTree.fromstring(svg)
