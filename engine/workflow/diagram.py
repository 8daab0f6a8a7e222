"""A workflow as text diagrams: Mermaid `stateDiagram-v2` and Graphviz DOT.

Both are written here rather than through `transitions.extensions.diagrams_mermaid`: that
extension draws a live `GraphMachine` (a model and a `(Hierarchical)GraphMachine` per call),
knows nothing of our labels, guards or approval steps, and does not escape label text. The
text is built from the `WorkflowSpec`, expanding transitions exactly as `WorkflowMachine`
does (`from: "*"` = every state that is not final; names that are not states are left out),
so the diagram shows the moves the engine can make:

- states with their label in the chosen locale; approval states marked with their mode
  (`approval · any`, `all`, `2 of n`, `60%`) and drawn apart; the initial state entered from
  the start point, final states leading to the end point (Mermaid) or double-bordered (DOT);
- one edge per (source, target) of every transition, labelled `name (label) [guard]`.

Label text is escaped for each format (Mermaid entity codes; DOT quoted strings), so quotes,
`#`, `;`, braces and angle brackets in labels or guards cannot break the diagram.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.spec.model_values import label_text
from engine.spec.model_workflow import ApprovalSpec, WorkflowSpec

__all__ = ["FORMATS", "DiagramEdge", "DiagramState", "WorkflowDiagram", "diagram_of", "render"]

FORMATS = ("mermaid", "dot")

# Words Mermaid's state-diagram grammar reads as keywords: such a state gets an id suffix.
_MERMAID_KEYWORDS = frozenset(
    {"state", "note", "direction", "class", "classdef", "end", "as", "left", "right", "of"}
)
_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    ";": "#59;",
    ":": "#58;",
    "<": "#lt;",
    ">": "#gt;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    "%": "#37;",
}
_APPROVAL_FILL = "#fff4d6"
_APPROVAL_STROKE = "#c28a00"


@dataclass(frozen=True)
class DiagramState:
    """A state as drawn: its name, its label text and its markers."""

    name: str
    label: str
    initial: bool
    final: bool
    approval: str | None  # e.g. "approval · any"; None when not an approval state

    @property
    def text(self) -> str:
        """The label with the approval marker, on one line."""
        return f"{self.label} ({self.approval})" if self.approval else self.label


@dataclass(frozen=True)
class DiagramEdge:
    """One move: `action` from `source` to `target`, with its label and guard text."""

    source: str
    target: str
    action: str
    label: str
    guard: str | None

    @property
    def text(self) -> str:
        """`name (label) [guard]`: the label only when it is more than the name spelt
        another way (`Send back` for `send_back`)."""
        text = self.action
        if self.label and _word(self.label) != _word(self.action):
            text += f" ({self.label})"
        if self.guard:
            text += f" [{self.guard}]"
        return text


def _word(text: str) -> str:
    """`Send back` and `send_back` are the same word."""
    return "_".join(text.casefold().replace("-", " ").split())


@dataclass(frozen=True)
class WorkflowDiagram:
    """What a diagram shows, independent of the output format."""

    entity: str
    title: str
    states: tuple[DiagramState, ...]
    edges: tuple[DiagramEdge, ...]


def diagram_of(entity: str, spec: WorkflowSpec, locale: str) -> WorkflowDiagram:
    """The states and moves of `spec`, labelled in `locale`."""
    states = tuple(
        DiagramState(
            name=name,
            label=label_text(state.label, locale, name),
            initial=state.initial,
            final=state.final,
            approval=_approval_text(state.approval) if state.approval is not None else None,
        )
        for name, state in spec.states.items()
    )
    live = [name for name, state in spec.states.items() if not state.final]
    edges: list[DiagramEdge] = []
    for transition in spec.all_transitions():
        sources = live if transition.from_any else transition.from_states
        label = label_text(transition.label, locale)
        guard = transition.guard.text.strip() if transition.guard is not None else None
        for source in sources:
            for target in transition.to:
                if source in spec.states and target in spec.states:
                    edges.append(DiagramEdge(source, target, transition.name, label, guard))
    title = label_text(spec.label, locale, f"{entity}.{spec.field}")
    return WorkflowDiagram(entity, title, states, tuple(edges))


def render(diagram: WorkflowDiagram, output_format: str = "mermaid") -> str:
    """The diagram as Mermaid or DOT text (ending with a newline)."""
    if output_format == "mermaid":
        return _mermaid(diagram)
    if output_format == "dot":
        return _dot(diagram)
    raise ValueError(f"unknown diagram format {output_format!r}; use one of {FORMATS}")


def _approval_text(approval: ApprovalSpec) -> str:
    mode = approval.mode
    if mode == "n_of_m" and approval.count is not None:
        mode = f"{approval.count} of n"
    elif mode == "percentage" and approval.percent is not None:
        mode = f"{approval.percent:g}%"
    return f"approval · {mode}"


# -- Mermaid ---------------------------------------------------------------------------------


def mermaid_text(text: str) -> str:
    """`text` safe inside a Mermaid state description or transition label (one line)."""
    flat = " ".join(text.split())
    return "".join(_MERMAID_ENTITIES.get(char, char) for char in flat)


def _mermaid_id(name: str) -> str:
    return f"{name}_" if name.casefold() in _MERMAID_KEYWORDS else name


def _mermaid(diagram: WorkflowDiagram) -> str:
    lines = [
        "---",
        f"title: {_yaml_scalar(diagram.title)}",
        "---",
        "stateDiagram-v2",
    ]
    for state in diagram.states:
        lines.append(f'    state "{mermaid_text(state.text)}" as {_mermaid_id(state.name)}')
    for state in diagram.states:
        if state.initial:
            lines.append(f"    [*] --> {_mermaid_id(state.name)}")
    for edge in diagram.edges:
        lines.append(
            f"    {_mermaid_id(edge.source)} --> {_mermaid_id(edge.target)}: "
            f"{mermaid_text(edge.text)}"
        )
    for state in diagram.states:
        if state.final:
            lines.append(f"    {_mermaid_id(state.name)} --> [*]")
    approvals = [_mermaid_id(s.name) for s in diagram.states if s.approval]
    if approvals:
        lines.append(f"    classDef approval fill:{_APPROVAL_FILL},stroke:{_APPROVAL_STROKE}")
        lines.append(f"    class {','.join(approvals)} approval")
    return "\n".join(lines) + "\n"


def _yaml_scalar(text: str) -> str:
    """The title in Mermaid's YAML front matter: always a double-quoted scalar."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- DOT -------------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """`text` as a DOT quoted string (quotes included); line breaks become `\\n`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "\\n".join(escaped.splitlines() or [""]) + '"'


def _dot(diagram: WorkflowDiagram) -> str:
    lines = [
        f"digraph {dot_text(diagram.entity)} {{",
        "    rankdir=LR;",
        f"    label={dot_text(diagram.title)};",
        "    labelloc=t;",
        '    node [shape=box, style="rounded"];',
        '    "__start" [shape=point, label=""];',
    ]
    for state in diagram.states:
        attributes = [f"label={dot_text(_dot_label(state))}"]
        if state.final:
            attributes.append("peripheries=2")
        if state.approval:
            attributes.append('style="rounded,filled"')
            attributes.append(f'fillcolor="{_APPROVAL_FILL}"')
            attributes.append(f'color="{_APPROVAL_STROKE}"')
        lines.append(f"    {dot_text(state.name)} [{', '.join(attributes)}];")
    for state in diagram.states:
        if state.initial:
            lines.append(f'    "__start" -> {dot_text(state.name)};')
    for edge in diagram.edges:
        lines.append(
            f"    {dot_text(edge.source)} -> {dot_text(edge.target)} [label={dot_text(edge.text)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_label(state: DiagramState) -> str:
    return f"{state.label}\n({state.approval})" if state.approval else state.label
