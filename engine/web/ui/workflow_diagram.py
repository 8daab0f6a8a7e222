"""A workflow as an inline SVG diagram, laid out here without graphviz (the record page's
workflow panel draws it on the server, so it needs no script and no downloaded asset).

The layout is deliberately small and predictable: states are put in columns by their
distance (in transitions) from the initial state, in declaration order within a column;
states the initial one cannot reach go in a last column. Transitions between the same two
states are merged into one arrow labelled with every action's label. An arrow to the next
column is a curve; between neighbours of one column it is a short vertical arrow; every
other arrow (going back, skipping columns) runs along its own lane above the boxes (going
back) or below them (going forward), so lines never cross a box.

Pure: it reads only the `WorkflowSpec` and returns SVG text, escaped here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html import escape

from engine.spec.model import label_text
from engine.spec.model_workflow import WorkflowSpec

__all__ = ["Diagram", "Edge", "Node", "layout", "render_svg"]

BOX_H = 40
MIN_BOX_W = 112
COL_GAP = 80
MAX_COL_GAP = 120
CHANNEL_GAP = 7
ROW_GAP = 40
PAD = 14
LANE_GAP = 22
FONT = 13
FONT_FAMILY = "system-ui, -apple-system, Segoe UI, PingFang SC, Microsoft YaHei, sans-serif"
LABEL_FONT = 11

# fill, stroke, text — the badge colours of formwork.css
PALETTE: dict[str, tuple[str, str, str]] = {
    "gray": ("#eef0f3", "#98a2b3", "#475467"),
    "blue": ("#e8eefc", "#2e6ae6", "#1f48b8"),
    "teal": ("#e2f6f5", "#15b79e", "#107569"),
    "purple": ("#f1ecfd", "#7a5af8", "#6941c6"),
    "orange": ("#fff1e0", "#f79009", "#b54708"),
    "green": ("#e7f6ee", "#12b76a", "#1f7a4d"),
    "red": ("#fdecea", "#d92d20", "#b42318"),
    "yellow": ("#fef7d6", "#eaaa08", "#93720a"),
}


@dataclass
class Node:
    """A state's box."""

    name: str
    label: str
    color: str
    column: int
    row: int
    x: float = 0
    y: float = 0
    w: float = 0


@dataclass
class Edge:
    """One arrow: every transition from `source` to `target`, with their labels."""

    source: str
    target: str
    labels: list[str] = field(default_factory=list)
    kind: str = "next"  # next | vertical | back | skip
    lane: int = 0  # -1: runs down one gap only
    channels: list[float] = field(default_factory=lambda: [0.0, 0.0])  # x shift in its gaps
    ports: list[float] = field(default_factory=lambda: [0.0, 0.0])  # y shift at its boxes


@dataclass
class Diagram:
    """A laid-out workflow: boxes, arrows and the canvas size."""

    title: str
    nodes: dict[str, Node]
    edges: list[Edge]
    width: float = 0
    height: float = 0
    top_lanes: int = 0
    bottom_lanes: int = 0
    box_w: float = MIN_BOX_W
    col_gap: float = 0


def text_width(text: str, size: float) -> float:
    """About how wide `text` is at `size` px (CJK characters count as full squares)."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return (len(text) - wide) * size * 0.58 + wide * size * 1.02


def _columns(spec: WorkflowSpec) -> dict[str, int]:
    """Each state's distance from the initial state (unreachable states: one past the
    farthest)."""
    names = list(spec.states)
    start = spec.initial_state or (names[0] if names else None)
    distance: dict[str, int] = {}
    if start is not None:
        distance[start] = 0
        queue = deque([start])
        while queue:
            state = queue.popleft()
            for transition in spec.transitions_from(state):
                for target in transition.to:
                    if target in spec.states and target not in distance:
                        distance[target] = distance[state] + 1
                        queue.append(target)
    last = max(distance.values(), default=-1) + 1
    return {name: distance.get(name, last) for name in names}


def layout(spec: WorkflowSpec, locale: str) -> Diagram:
    """Boxes and arrows of `spec` with their positions, labels in `locale`."""
    columns = _columns(spec)
    nodes: dict[str, Node] = {}
    rows_in: dict[int, int] = {}
    for name, state in spec.states.items():
        column = columns[name]
        row = rows_in.get(column, 0)
        rows_in[column] = row + 1
        color = state.color if state.color in PALETTE else "gray"
        nodes[name] = Node(name, label_text(state.label, locale, name), color, column, row)
    edges = _edges(spec, nodes, locale)
    title = label_text(spec.label, locale, spec.field)
    diagram = Diagram(title, nodes, edges)
    _place(diagram, rows_in)
    return diagram


def _edges(spec: WorkflowSpec, nodes: dict[str, Node], locale: str) -> list[Edge]:
    merged: dict[tuple[str, str], Edge] = {}
    for transition in spec.all_transitions():
        text = label_text(transition.label, locale, transition.name)
        sources = list(spec.states) if transition.from_any else list(transition.from_states)
        for source in sources:
            for target in transition.to:
                if source == target or source not in nodes or target not in nodes:
                    continue
                edge = merged.setdefault((source, target), Edge(source, target))
                if text not in edge.labels:
                    edge.labels.append(text)
    for edge in merged.values():
        a, b = nodes[edge.source], nodes[edge.target]
        if b.column == a.column + 1:
            edge.kind = "next"
        elif b.column == a.column and abs(b.row - a.row) == 1:
            edge.kind = "vertical"
        elif b.column < a.column or (b.column == a.column and b.row < a.row):
            edge.kind = "back"
        else:
            edge.kind = "skip"
    return list(merged.values())


def _gaps(edge: Edge, nodes: dict[str, Node]) -> tuple[int, int]:
    """The column gaps (gap i lies left of column i) the arrow runs down in: a back arrow
    leaves its box on the left and enters on the right (the left, within one column); a
    skipping arrow leaves on the right and enters on the left (the right, within one)."""
    a, b = nodes[edge.source], nodes[edge.target]
    if edge.kind == "back":
        return a.column, (a.column if a.column == b.column else b.column + 1)
    same = a.column == b.column
    return a.column + 1, (a.column + 1 if same else b.column)


def _place(diagram: Diagram, rows_in: dict[int, int]) -> None:
    """Positions: columns left to right; arrows that cannot go straight run in channels of
    the gaps between columns, and along lanes above (back) or below (skip) the boxes when
    their gaps differ; shorter arrows get the lanes nearer the boxes."""
    nodes = diagram.nodes
    box_w = max([MIN_BOX_W, *(text_width(n.label, FONT) + 28 for n in nodes.values())])
    nexts = [e for e in diagram.edges if e.kind == "next"]
    widest = max([0.0, *(text_width(" / ".join(e.labels), LABEL_FONT) for e in nexts)])
    diagram.col_gap = min(MAX_COL_GAP, max(COL_GAP, widest + 24))
    for kind in ("back", "skip"):
        routed = [e for e in diagram.edges if e.kind == kind]
        laned = [e for e in routed if len(set(_gaps(e, nodes))) == 2]
        laned.sort(key=lambda e: abs(nodes[e.source].column - nodes[e.target].column))
        for lane, edge in enumerate(laned):
            edge.lane = lane
        for edge in routed:
            if edge not in laned:
                edge.lane = -1
        if kind == "back":
            diagram.top_lanes = len(laned)
        else:
            diagram.bottom_lanes = len(laned)
    _channels(diagram)
    top = PAD + diagram.top_lanes * LANE_GAP + (8 if diagram.top_lanes else 0)
    most_rows = max(rows_in.values(), default=1)
    column_h = most_rows * BOX_H + (most_rows - 1) * ROW_GAP
    for node in nodes.values():
        rows = rows_in[node.column]
        own_h = rows * BOX_H + (rows - 1) * ROW_GAP
        node.w = box_w
        node.x = PAD + node.column * (box_w + diagram.col_gap)
        node.y = top + (column_h - own_h) / 2 + node.row * (BOX_H + ROW_GAP)
    columns = max((n.column for n in nodes.values()), default=0) + 1
    diagram.width = 2 * PAD + columns * box_w + (columns - 1) * diagram.col_gap
    diagram.box_w = box_w
    bottom = top + column_h + (8 if diagram.bottom_lanes else 0)
    diagram.height = bottom + diagram.bottom_lanes * LANE_GAP + PAD


def _channels(diagram: Diagram) -> None:
    """Each routed arrow's channel (its place among the arrows running in the same gap) and
    its port (its place among the arrows leaving or entering the same box side)."""
    per_gap: dict[int, list[tuple[Edge, int]]] = {}
    per_side: dict[tuple[str, str], list[Edge]] = {}
    for edge in diagram.edges:
        if edge.kind not in ("back", "skip"):
            continue
        out_gap, in_gap = _gaps(edge, diagram.nodes)
        for end, gap in ((0, out_gap), (1, in_gap)):
            if end == 1 and in_gap == out_gap:
                continue
            per_gap.setdefault(gap, []).append((edge, end))
        per_side.setdefault((edge.source, "out"), []).append(edge)
        per_side.setdefault((edge.target, "in"), []).append(edge)
    for sharing in per_gap.values():
        count = len(sharing)
        for index, (edge, end) in enumerate(sharing):
            edge.channels[end] = (index - (count - 1) / 2) * CHANNEL_GAP
    for (_, role), at_side in per_side.items():
        for index, edge in enumerate(at_side):
            step = min(index, 2) * 5 + 8
            edge.ports[0 if role == "out" else 1] = step if edge.kind == "back" else -step


def _gap_x(diagram: Diagram, gap: int) -> float:
    """The middle of gap `gap` (left of column `gap`)."""
    return PAD + gap * (diagram.box_w + diagram.col_gap) - diagram.col_gap / 2


def _lines(text: str, max_w: float | None) -> list[str]:
    """`text` on one line, or on two (split at the space nearest the middle) when it is
    wider than `max_w`."""
    if max_w is None or text_width(text, LABEL_FONT) + 8 <= max_w or " " not in text:
        return [text]
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return [text[:cut], text[cut + 1 :]]


@dataclass
class Label:
    """An arrow's label: its lines, centre and size (moved down when it would cover
    another label)."""

    lines: list[str]
    x: float
    y: float
    w: float = 0
    h: float = 0

    def overlaps(self, other: Label) -> bool:
        return (
            abs(self.x - other.x) * 2 < self.w + other.w
            and abs(self.y - other.y) * 2 < self.h + other.h
        )


def _label(x: float, y: float, text: str, max_w: float | None = None) -> Label:
    lines = _lines(text, max_w)
    w = max(text_width(line, LABEL_FONT) for line in lines) + 8
    return Label(lines, x, y, w, 14 * len(lines) + 2)


def _spread(labels: list[Label]) -> None:
    """Move each label down until it covers no label placed before it."""
    placed: list[Label] = []
    for label in labels:
        for _ in range(12):
            hit = next((other for other in placed if label.overlaps(other)), None)
            if hit is None:
                break
            label.y = hit.y + (hit.h + label.h) / 2 + 1
        placed.append(label)


def _label_svg(label: Label) -> str:
    """A label on a white patch."""
    x, y, w, h, lines = label.x, label.y, label.w, label.h, label.lines
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    first = y - h / 2 + 12
    return (
        f'<rect class="wf-elabel-bg" x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" '
        f'height="{h}" rx="3" fill="#fff" fill-opacity="0.92"/>'
        f'<text class="wf-elabel" x="{x:.1f}" y="{first:.1f}" text-anchor="middle" '
        f'font-size="{LABEL_FONT}" fill="#475467">{spans}</text>'
    )


STROKE = 'stroke="#98a2b3" stroke-width="1.4" fill="none"'


def _edge_svg(diagram: Diagram, edge: Edge, marker: str) -> tuple[str, Label]:
    """The arrow's line and its label (drawn after every line, so lines never hide one)."""
    a, b = diagram.nodes[edge.source], diagram.nodes[edge.target]
    text = " / ".join(edge.labels)
    end = f'marker-end="url(#{marker})"'
    if edge.kind == "next":
        x1, y1 = a.x + a.w, a.y + BOX_H / 2
        x2, y2 = b.x - 2, b.y + BOX_H / 2
        mid = (x1 + x2) / 2
        path = f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        line = f'<path class="wf-edge" d="{path}" {STROKE} {end}/>'
        return line, _label(mid, (y1 + y2) / 2, text, diagram.col_gap - 10)
    if edge.kind == "vertical":
        down = b.row > a.row
        x = a.x + a.w / 2 + (-16 if down else 16)
        y1 = a.y + BOX_H if down else a.y
        y2 = b.y - 2 if down else b.y + BOX_H + 2
        line = f'<path class="wf-edge" d="M{x:.1f},{y1:.1f} L{x:.1f},{y2:.1f}" {STROKE} {end}/>'
        w = text_width(text, LABEL_FONT) + 8
        lx = x - 6 - w / 2 if down else x + 6 + w / 2
        return line, _label(lx, (y1 + y2) / 2, text)
    back = edge.kind == "back"
    out_gap, in_gap = _gaps(edge, diagram.nodes)
    y1 = a.y + BOX_H / 2 + edge.ports[0]
    y2 = b.y + BOX_H / 2 + edge.ports[1]
    x1 = a.x if back else a.x + a.w
    gx1 = _gap_x(diagram, out_gap) + edge.channels[0]
    same_side = a.column == b.column
    if back:
        x2 = b.x - 2 if same_side else b.x + b.w + 2
    else:
        x2 = b.x + b.w + 2 if same_side else b.x - 2
    dash = ' stroke-dasharray="5 4"' if back else ""
    if edge.lane < 0:
        path = f"M{x1:.1f},{y1:.1f} L{gx1:.1f},{y1:.1f} L{gx1:.1f},{y2:.1f} L{x2:.1f},{y2:.1f}"
        lx, ly = gx1, (y1 + y2) / 2
    else:
        gx2 = _gap_x(diagram, in_gap) + edge.channels[1]
        if back:
            base = min(n.y for n in diagram.nodes.values()) - 8
            lane_y = base - edge.lane * LANE_GAP - LANE_GAP / 2
        else:
            base = max(n.y for n in diagram.nodes.values()) + BOX_H + 8
            lane_y = base + edge.lane * LANE_GAP + LANE_GAP / 2
        path = (
            f"M{x1:.1f},{y1:.1f} L{gx1:.1f},{y1:.1f} L{gx1:.1f},{lane_y:.1f} "
            f"L{gx2:.1f},{lane_y:.1f} L{gx2:.1f},{y2:.1f} L{x2:.1f},{y2:.1f}"
        )
        lx, ly = (gx1 + gx2) / 2, lane_y
    line = f'<path class="wf-edge wf-edge-{edge.kind}" d="{path}" {STROKE}{dash} {end}/>'
    return line, _label(lx, ly, text, None if edge.lane >= 0 else diagram.col_gap - 10)


def _node_svg(node: Node, current: bool) -> str:
    fill, stroke, ink = PALETTE[node.color]
    if current:
        box = (
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node.w:.1f}" height="{BOX_H}" '
            f'rx="9" fill="{fill}" stroke="{stroke}" stroke-width="2.5"/>'
        )
        weight = ' font-weight="700"'
        ring = (
            f'<rect x="{node.x - 4:.1f}" y="{node.y - 4:.1f}" width="{node.w + 8:.1f}" '
            f'height="{BOX_H + 8}" rx="12" fill="none" stroke="{stroke}" stroke-opacity="0.35" '
            f'stroke-width="3"/>'
        )
    else:
        box = (
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node.w:.1f}" height="{BOX_H}" '
            f'rx="9" fill="#fff" stroke="#d0d5dd" stroke-width="1.2"/>'
            f'<rect x="{node.x:.1f}" y="{node.y + 8:.1f}" width="4" height="{BOX_H - 16}" '
            f'rx="2" fill="{stroke}"/>'
        )
        weight = ' font-weight="550"'
        ring = ""
        ink = "#344054"
    text = (
        f'<text x="{node.x + node.w / 2:.1f}" y="{node.y + BOX_H / 2 + 4.5:.1f}" '
        f'text-anchor="middle" font-size="{FONT}"{weight} fill="{ink}">{escape(node.label)}</text>'
    )
    css = "wf-node wf-current" if current else "wf-node"
    attrs = f'class="{css}" data-state="{escape(node.name)}"'
    if current:
        attrs += ' aria-current="step"'
    return f"<g {attrs}>{ring}{box}{text}</g>"


def render_svg(
    diagram: Diagram, current: str | None, *, caption: str, marker: str = "wf-arrow"
) -> str:
    """The diagram as an `<svg>` element, `current`'s box highlighted; `caption` is its
    accessible name (it should say the current state in words)."""
    arrow = (
        f'<marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="#98a2b3"/></marker>'
    )
    order = {"vertical": 0, "next": 1, "skip": 2, "back": 3}
    ordered = sorted(diagram.edges, key=lambda e: order[e.kind])
    drawn = [_edge_svg(diagram, e, marker) for e in ordered]
    labels = [label for _, label in drawn]
    _spread(labels)
    edges = "".join(line for line, _ in drawn) + "".join(_label_svg(x) for x in labels)
    nodes = "".join(_node_svg(n, n.name == current) for n in diagram.nodes.values())
    lowest = max([diagram.height, *(x.y + x.h / 2 + 4 for x in labels)])
    w, h = f"{diagram.width:.0f}", f"{lowest:.0f}"
    return (
        f'<svg class="wf-diagram" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'font-family="{FONT_FAMILY}">'
        f"<title>{escape(caption)}</title><defs>{arrow}</defs>{edges}{nodes}</svg>"
    )
