"""What every reference check shares: the app, the registry, the source index, the
diagnostics found so far, and the lookups that report a missing name with "did you mean"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.diagnostics import Diagnostic, Severity, did_you_mean
from engine.spec.document import Loc, SourceIndex
from engine.spec.model import SYSTEM_FIELDS, AppSpec, EntitySpec, FieldSpec
from engine.spec.model_values import child_loc
from engine.spec.registry import Registry
from engine.spec.sourcemap import join_pointer

__all__ = ["CheckContext"]


@dataclass
class CheckContext:
    """Collects diagnostics while the checks walk one app."""

    app: AppSpec
    registry: Registry
    sources: SourceIndex
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(
        self,
        code: str,
        message: str,
        loc: Loc,
        *,
        hint: str | None = None,
        key: bool = False,
        offset: int | None = None,
        related: tuple[str, ...] = (),
    ) -> None:
        """Report an error at `loc` (its key with key=True, a character with `offset`)."""
        self.diagnostics.append(
            self.sources.diagnostic(
                code, message, loc, hint=hint, key=key, offset=offset, related=related
            )
        )

    def place(self, loc: Loc) -> str:
        """`file:line:col` of `loc`, for a `see:` line."""
        position = self.sources.position(loc)
        return f"{loc.file}:{position.line}:{position.col}" if position else loc.file

    def warn(
        self, code: str, message: str, loc: Loc, *, hint: str | None = None, key: bool = False
    ) -> None:
        """Report a warning at `loc`."""
        self.diagnostics.append(
            self.sources.diagnostic(
                code, message, loc, hint=hint, key=key, severity=Severity.WARNING
            )
        )

    def unknown(
        self,
        code: str,
        what: str,
        name: str,
        candidates: Iterable[str],
        loc: Loc,
        *,
        where: str = "",
        key: bool = False,
        in_order: bool = False,
        offset: int | None = None,
    ) -> None:
        """Report `unknown <what> 'name'` with a did-you-mean from `candidates` (listed
        sorted, or as given with `in_order`)."""
        names = list(dict.fromkeys(candidates)) if in_order else sorted(set(candidates))
        suffix = f" {where}" if where else ""
        hint = did_you_mean(name, names)
        if hint is None and names:
            shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
            hint = f"known: {shown}"
        message = f"unknown {what} '{name}'{suffix}"
        self.error(code, message, loc, hint=hint, key=key, offset=offset)

    def may_lack(self, loc: Loc, key: str) -> bool:
        """True when `key` of the node at `loc` may be missing only because the schema
        rejected it, or rejected a (misspelt?) sibling: what it would hold is unknown."""
        child = child_loc(loc, key)
        if child in self.app.incomplete:
            return True
        return loc in self.app.incomplete and not self.exists(child)

    def exists(self, loc: Loc) -> bool:
        """True when the source has a node at `loc`."""
        source = self.sources.get(loc.file)
        return source is not None and loc.pointer in source

    def item(self, loc: Loc, index: int) -> Loc:
        """The location of list item `index` under `loc`; `loc` itself when the author
        wrote a single name instead of a list (`roles: finance`)."""
        pointer = join_pointer(loc.pointer, index)
        source = self.sources.get(loc.file)
        if source is not None and pointer not in source and loc.pointer in source:
            return loc
        return Loc(loc.file, pointer)

    # -- entities and fields ---------------------------------------------------------------

    def entity(self, name: str | None, loc: Loc, *, key: bool = False) -> EntitySpec | None:
        """The entity `name`; R102 when no document defines it (silent when it failed)."""
        if name is None:
            return None
        found = self.app.entities.get(name)
        if found is None and not self.app.is_unbuilt("entity", name):
            self.unknown("R102", "entity", name, self._entity_names(), loc, key=key)
        return found

    def _entity_names(self) -> set[str]:
        return set(self.app.entities) | set(self.app.unbuilt.get("entity", ()))

    def field(
        self,
        entity: EntitySpec,
        name: str,
        loc: Loc,
        *,
        system: bool = True,
        key: bool = False,
        offset: int | None = None,
    ) -> FieldSpec | None:
        """The field `name` of `entity`; R103 when missing. System columns pass when
        `system` (they have no FieldSpec: None is returned without a diagnostic)."""
        found = entity.fields.get(name)
        if found is not None:
            return found
        if (system and name in SYSTEM_FIELDS) or name in entity.unbuilt_fields:
            return None
        if not entity.fields_known:
            return None  # no fields at all: the schema reports that, once
        # The entity's own fields first: they are what an author usually means.
        candidates = sorted({*entity.fields, *entity.unbuilt_fields})
        if system:
            candidates += [column for column in SYSTEM_FIELDS if column not in candidates]
        self.unknown(
            "R103",
            "field",
            name,
            candidates,
            loc,
            where=f"in entity '{entity.name}'",
            key=key,
            in_order=True,
            offset=offset,
        )
        return None

    @staticmethod
    def names(value: object) -> tuple[str, ...]:
        """A raw option that holds a name or a list of names, as names (others dropped)."""
        if isinstance(value, str):
            return (value,)
        if isinstance(value, tuple | list):
            return tuple(item for item in value if isinstance(item, str))
        return ()

    def fields(
        self, entity: EntitySpec, names: Iterable[str], loc: Loc, *, system: bool = True
    ) -> None:
        """Check a list of field names; each diagnostic points at its list item."""
        for index, name in enumerate(names):
            if name != "*":
                self.field(entity, name, self.item(loc, index), system=system)

    def value_kind(self, field_spec: FieldSpec) -> str:
        """What the field stores (`user`, `date`, `link`, …), from the registry; a formula
        or rollup stores its `result` (`any` when it does not say)."""
        if field_spec.type in ("formula", "rollup"):
            rollup = field_spec.rollup
            if (
                field_spec.result_type is None
                and rollup is not None
                and rollup.aggregate == "count"
            ):
                return "integer"
            return field_spec.result_type or "any"
        declared = self.registry.field_types.get(field_spec.type)
        # An unknown type is reported once (S102); "any" keeps it from cascading here.
        return declared.value_kind if declared is not None else "any"

    def field_of_kind(
        self,
        entity: EntitySpec,
        name: str,
        loc: Loc,
        kinds: Iterable[str],
        purpose: str,
    ) -> FieldSpec | None:
        """The field `name`, which must store one of `kinds` (R103 missing, R111 wrong)."""
        found = self.field(entity, name, loc)
        allowed = tuple(kinds)
        if found is None:
            system_kind = SYSTEM_FIELDS.get(name)
            if system_kind is not None and system_kind not in allowed:
                self.error("R111", f"'{name}' is a {system_kind} column; {purpose}", loc)
            return None
        kind = self.value_kind(found)
        if kind not in allowed and found.type not in allowed and kind != "any":
            self.error(
                "R111", f"field '{name}' of '{entity.name}' is a {found.type} field; {purpose}", loc
            )
            return None
        return found

    # -- roles -------------------------------------------------------------------------------

    def role(self, name: str, loc: Loc, *, key: bool = False) -> None:
        """R104 when `name` is not a declared role (nor `admin`)."""
        if name not in self.app.role_names and not self.may_lack(self.app.loc, "roles"):
            self.unknown("R104", "role", name, self.app.role_names, loc, key=key)

    def roles(self, names: Iterable[str], loc: Loc) -> None:
        """Check a list of role names; each diagnostic points at its list item."""
        for index, name in enumerate(names):
            self.role(name, self.item(loc, index))
