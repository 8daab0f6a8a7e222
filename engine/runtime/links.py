"""Links into an entity, found once at load: which fields of which entities (or of their
subform rows) point at it, and what deleting it does to them (`on_delete`: `restrict`
blocks the delete while live records link to it, `cascade` deletes them too, `set_null`
empties the link)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from engine.spec.model import AppSpec

__all__ = ["InboundLink", "inbound_links"]


@dataclass(frozen=True)
class InboundLink:
    """A link field of `source` (in its subform `subform`, when set) pointing here."""

    source: str
    field: str
    on_delete: str
    subform: str | None = None

    @property
    def name(self) -> str:
        """`entity.field` (or `entity.subform.field`)."""
        middle = f"{self.subform}." if self.subform else ""
        return f"{self.source}.{middle}{self.field}"


def inbound_links(app: AppSpec) -> Mapping[str, tuple[InboundLink, ...]]:
    """Every entity's inbound links (entity name → links)."""
    found: dict[str, list[InboundLink]] = {name: [] for name in app.entities}
    for source, entity in app.entities.items():
        for field in entity.fields.values():
            if field.link_target in found:
                found[field.link_target].append(InboundLink(source, field.name, field.on_delete))
            for sub in field.subfields.values():
                if sub.link_target in found:
                    link = InboundLink(source, sub.name, sub.on_delete, subform=field.name)
                    found[sub.link_target].append(link)
    return MappingProxyType({name: tuple(links) for name, links in found.items()})
