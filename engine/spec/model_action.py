"""Actions (run by automations and by workflow `on_enter`) and approver sources (who approves
a step, who is copied, who a `notify` goes to): the two nodes workflows and automations share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.spec.document import Loc
from engine.spec.model_values import ExprSpec, ValueSpec

__all__ = ["FOR_EACH_SOURCES", "ActionSpec", "ApproverSpec"]

FOR_EACH_SOURCES: tuple[str, ...] = ("entity", "periods", "members", "teams")
"""The keys that give a `for_each` its items (exactly one per `for_each`): records of an
entity, calendar periods, the members of a team, teams."""


@dataclass(frozen=True)
class ApproverSpec:
    """An approver source (`type:` role | user_field | manager | manager_chain | users |
    expression): resolves to users at run time."""

    type: str
    role: str | None
    field: str | None
    of: str | None
    levels: int | None
    users: tuple[str, ...]
    expr: ExprSpec | None
    loc: Loc

    @property
    def user_field(self) -> str | None:
        """The record's user field this source reads (`field`, or `of` for managers)."""
        if self.type == "user_field":
            return self.field
        if self.type in ("manager", "manager_chain"):
            return self.of or "owner"
        return None


@dataclass(frozen=True)
class ActionSpec:
    """One action: its `type`, its keys as written (`options`), and the parsed parts.

    By the action type's declaration: `expressions` holds its expression keys (e.g.
    `where`), `parameters` its scalar value keys (literal or `=expression`), `value_maps` its
    maps of values (`values`: field → value, `inputs` of `lookup`), `nested` its lists of
    actions (`actions` of `for_each`). `recipients` is the approver-grammar `to` of `notify`.
    """

    type: str
    options: Mapping[str, Any]
    expressions: Mapping[str, ExprSpec]
    parameters: Mapping[str, ValueSpec]
    value_maps: Mapping[str, Mapping[str, ValueSpec]]
    nested: Mapping[str, tuple[ActionSpec, ...]]
    recipients: tuple[ApproverSpec, ...]
    loc: Loc

    def option(self, key: str, default: Any = None) -> Any:
        """A key of the action as written, or `default`."""
        return self.options.get(key, default)

    @property
    def values(self) -> Mapping[str, ValueSpec]:
        """The `values` map (field → value) of set / create / update."""
        return self.value_maps.get("values", _NO_VALUES)

    @property
    def inputs(self) -> Mapping[str, ValueSpec]:
        """The `inputs` map (table input → value) of `lookup`."""
        return self.value_maps.get("inputs", _NO_VALUES)

    @property
    def actions(self) -> tuple[ActionSpec, ...]:
        """Every nested action, in key then list order."""
        return tuple(action for group in self.nested.values() for action in group)

    @property
    def entity(self) -> str | None:
        """The entity the action works on, when it names one."""
        value = self.options.get("entity")
        return value if isinstance(value, str) else None

    @property
    def alias(self) -> str | None:
        """The `as:` name the action binds its result to, when it has one."""
        value = self.options.get("as")
        return value if isinstance(value, str) else None

    @property
    def sources(self) -> tuple[str, ...]:
        """The item sources a `for_each` names, in `FOR_EACH_SOURCES` order (valid when
        exactly one); empty for other action types."""
        if self.type != "for_each":
            return ()
        return tuple(key for key in FOR_EACH_SOURCES if key in self.options)

    @property
    def table(self) -> str | None:
        """The decision table of a `lookup` action."""
        value = self.options.get("table") if self.type == "lookup" else None
        return value if isinstance(value, str) else None

    @property
    def channel(self) -> str | None:
        """The notification channel of a `notify` action."""
        value = self.options.get("channel") if self.type == "notify" else None
        return value if isinstance(value, str) else None


_NO_VALUES: Mapping[str, ValueSpec] = MappingProxyType({})
