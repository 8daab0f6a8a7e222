"""How values look on pages: `Presenter` turns typed values (and the JSON forms kept in
history) into text in the reader's language — option labels, money with its currency,
percentages, local dates, people's names, team names and the titles of linked records.

One presenter serves one request: it loads the people and teams once, and the titles of
linked records in one query per target entity (only records the reader may see; others
show as `#id`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from engine.errors import BadRequest, Forbidden
from engine.runtime.actor import Actor
from engine.runtime.engine import Engine
from engine.spec.model import EntitySpec, FieldSpec, label_text
from engine.web.i18n import translate

__all__ = ["EMPTY", "Presenter", "record_title"]

EMPTY = "—"
CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_LOOKUP_CHUNK = 200


def record_title(entity: EntitySpec, values: Mapping[str, Any], record_id: int) -> str:
    """The title of a record: its title field, else `#id`."""
    title = values.get(entity.title_field) if entity.title_field else None
    return str(title) if title not in (None, "") else f"#{record_id}"


class Presenter:
    """Formats values for one reader in one language."""

    def __init__(self, engine: Engine, actor: Actor, locale: str) -> None:
        self.engine = engine
        self.actor = actor
        self.locale = locale
        self.timezone = ZoneInfo(engine.app.timezone or "UTC")
        self._users: dict[str, str] | None = None
        self._teams: dict[int, str] | None = None
        self._titles: dict[tuple[str, int], str] = {}

    # -- people and teams -------------------------------------------------------------------

    def user_name(self, username: str) -> str:
        """A user's display name (the username when they have none)."""
        if self._users is None:
            self._users = {
                u.username: u.name or u.username for u in self.engine.people.list_users()
            }
        return self._users.get(username, username)

    def team_name(self, team_id: int) -> str:
        """A team's name."""
        if self._teams is None:
            self._teams = {t.id: t.name for t in self.engine.people.list_teams()}
        return self._teams.get(team_id, f"#{team_id}")

    # -- linked records ---------------------------------------------------------------------

    def preload_links(self, entity: EntitySpec, rows: Iterable[Mapping[str, Any]]) -> None:
        """Fetch the titles of every record the rows link to, one query per target."""
        wanted: dict[str, set[int]] = {}
        for row in rows:
            for name, field in entity.fields.items():
                target = field.link_target
                value = row.get(name)
                if target and isinstance(value, int) and (target, value) not in self._titles:
                    wanted.setdefault(target, set()).add(value)
        for target, ids in wanted.items():
            self._load_titles(target, sorted(ids))

    def _load_titles(self, target: str, ids: list[int]) -> None:
        spec = self.engine.app.entities[target]
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[start : start + _LOOKUP_CHUNK]
            for record_id in chunk:
                self._titles[(target, record_id)] = f"#{record_id}"
            listed = ", ".join(str(i) for i in chunk)
            try:
                page = self.engine.records.list(
                    self.actor, target, filter=f"id in [{listed}]", limit=len(chunk)
                )
            except (BadRequest, Forbidden):
                continue
            for record in page.records:
                self._titles[(target, record.id)] = record_title(spec, record.values, record.id)

    def link_title(self, target: str, record_id: int) -> str:
        """The title of a linked record (`#id` when the reader may not see it)."""
        if (target, record_id) not in self._titles:
            self._load_titles(target, [record_id])
        return self._titles[(target, record_id)]

    # -- values -----------------------------------------------------------------------------

    def text(self, field: FieldSpec | None, value: Any, entity: EntitySpec | None = None) -> str:
        """A typed value (or its JSON form) as text; `—` for no value."""
        if value is None or value == "" or value == []:
            return EMPTY
        if field is None:
            return self._plain(value)
        kind = self._kind(field)
        if kind in ("select", "state"):
            return self.option_label(field, str(value), entity)
        if kind == "multi_select":
            return ", ".join(self.option_label(field, str(v), entity) for v in value)
        if kind == "boolean":
            return translate("value.yes" if value else "value.no", self.locale)
        if kind == "money":
            return self.money(value, field)
        if kind == "percent":
            return self.percent(value)
        if kind in ("number", "integer"):
            return _grouped(_decimal(value))
        if kind == "user":
            return self.user_name(str(value))
        if kind == "team":
            return self.team_name(int(value))
        if kind == "link" and field.link_target:
            return self.link_title(field.link_target, int(value))
        if kind == "datetime":
            return self.moment(value)
        if kind == "attachment":
            return ", ".join(
                str(f.get("name", f)) if isinstance(f, Mapping) else f"#{f}" for f in value
            )
        if kind == "subform":
            return translate("value.rows", self.locale, count=len(value))
        return self._plain(value)

    def _kind(self, field: FieldSpec) -> str:
        if field.type in ("formula", "rollup"):
            return field.result_type or "text"
        return field.type

    def option_label(self, field: FieldSpec, value: str, entity: EntitySpec | None) -> str:
        """The label of a select option or workflow state."""
        for option in field.choices:
            if option.value == value:
                return label_text(option.label, self.locale, value)
        if field.type == "state" and entity is not None and entity.workflow is not None:
            state = entity.workflow.states.get(value)
            if state is not None:
                return label_text(state.label, self.locale, value)
        return value

    def option_color(self, field: FieldSpec, value: Any, entity: EntitySpec | None) -> str | None:
        """The colour of a select option or state (for badges)."""
        for option in field.choices:
            if option.value == value:
                return option.color
        if field.type == "state" and entity is not None and entity.workflow is not None:
            state = entity.workflow.states.get(str(value))
            return state.color if state is not None else None
        return None

    def money(self, value: Any, field: FieldSpec | None = None) -> str:
        """Money with its currency symbol, two decimals (or as many as given)."""
        currency = (field.option("currency") if field else None) or self.engine.app.currency
        symbol = CURRENCY_SYMBOLS.get(str(currency), f"{currency} " if currency else "")
        number = _decimal(value)
        exponent = number.as_tuple().exponent
        places = max(2, -exponent) if isinstance(exponent, int) else 2
        return f"{symbol}{number:,.{places}f}"

    def percent(self, value: Any) -> str:
        """A ratio as a percentage (0.3 → 30%)."""
        scaled = (_decimal(value) * 100).normalize()
        text = format(scaled, "f")
        return f"{text}%"

    def moment(self, value: Any) -> str:
        """A date-time in the app's time zone, to the minute."""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if isinstance(moment, datetime):
            if moment.tzinfo is not None:
                moment = moment.astimezone(self.timezone)
            return moment.strftime("%Y-%m-%d %H:%M")
        return str(value)

    def _plain(self, value: Any) -> str:
        if isinstance(value, datetime):
            return self.moment(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return _grouped(value)
        return str(value)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def _grouped(number: Decimal) -> str:
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{number:,.{places}f}"
