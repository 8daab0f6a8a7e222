"""pygal's SVG tree finished before it is written out (pygal's `xml_filters`): made offline
and accessible for every chart, plus a touch per chart type that pygal has no option for.

Each function returns a filter: it takes the tree's root and returns it changed. They know
nothing of widgets or figures — `charts` hands them the texts to write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.etree import ElementTree

__all__ = ["Filter", "accessible", "funnel_figures", "gauge_frame", "pie_total"]

Filter = Callable[[ElementTree.Element], ElementTree.Element]
Element = ElementTree.Element


def accessible(element_id: str, title: str, summary: str) -> Filter:
    """No script, no comments (they link to pygal's site and carry the date), no tooltip
    helpers (`desc` data for the script, the hidden tooltip box); the root is one image
    named by its `<title>` and a `<desc>` summary."""

    def apply(root: Element) -> Element:
        _strip(root)
        root.set("role", "img")
        root.set("aria-labelledby", f"{element_id}-title {element_id}-desc")
        for node in root:
            if _name(node) == "title":
                node.text = title
                node.set("id", f"{element_id}-title")
                desc = ElementTree.Element("desc", {"id": f"{element_id}-desc"})
                desc.text = summary
                root.insert(list(root).index(node) + 1, desc)
                break
        return root

    return apply


def gauge_frame(view: Sequence[int], low: str, high: str) -> Filter:
    """The viewBox cut to the half ring (pygal centres it three quarters down a square) and
    its bounds written as figures (pygal writes a bare 0 and the maximum unformatted)."""

    def apply(root: Element) -> Element:
        root.set("viewBox", " ".join(str(n) for n in view))
        for node in root.iter():
            classes = node.get("class", "").split()
            if "bound" in classes:
                node.text = low if "y-0" in classes else high if "y-1" in classes else node.text
        return root

    return apply


def pie_total(figure: str, caption: str) -> Filter:
    """The total in the ring's hole: the figure, and under it the caption."""

    def apply(root: Element) -> Element:
        plot = _first(root, lambda node: node.get("class") == "plot")
        box = _first(plot, lambda node: _name(node) == "rect") if plot is not None else None
        if plot is None or box is None:
            return root
        x, y = float(box.get("width", 0)) / 2, float(box.get("height", 0)) / 2
        for text, dy, kind in ((figure, 4, "pie-total"), (caption, 24, "pie-total-label")):
            node = ElementTree.SubElement(plot, "text", {"x": f"{x:.1f}", "y": f"{y + dy:.1f}"})
            node.set("class", kind)
            node.set("text-anchor", "middle")
            node.text = text
        return root

    return apply


def funnel_figures(keep: Sequence[bool]) -> Filter:
    """Only the stages marked keep their figure (a thin stage's white figure would sit on
    the background; its tooltip and the table still give it)."""

    def apply(root: Element) -> Element:
        overlay = _first(root, lambda node: "text-overlay" in node.get("class", ""))
        stages = [n for n in overlay or () if "series" in n.get("class", "")]
        for kept, stage in zip(keep, stages, strict=False):
            if not kept:
                for text in list(stage):
                    stage.remove(text)
        return root

    return apply


def _name(node: Element) -> str:
    """The tag without its namespace ('' for comments and processing instructions)."""
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""


def _first(root: Element, wanted: Callable[[Element], bool]) -> Element | None:
    return next((node for node in root.iter() if wanted(node)), None)


def _strip(parent: Element) -> None:
    for child in list(parent):
        unwanted = (
            _name(child) in ("", "script", "desc")
            or "tooltip-overlay" in child.get("class", "")
        )  # fmt: skip
        if unwanted:
            parent.remove(child)
        else:
            _strip(child)
