"""Time zone names: the app's `timezone` and every trigger's `timezone` must be IANA names
(`Asia/Shanghai`), checked against the time zone database Python sees (S104, with a "did you
mean" from the database's names and cities)."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Mapping
from functools import cache

from engine.spec.check_context import CheckContext
from engine.spec.document import Loc
from engine.spec.model_values import child_loc

__all__ = ["check_time_zones", "known_time_zones", "nearest_time_zone"]

_EXAMPLE = "Asia/Shanghai"
_OFFSET = re.compile(r"[+-][0-9]")


@cache
def known_time_zones() -> frozenset[str]:
    """The IANA names of the time zone database (empty when Python has none)."""
    return frozenset(zoneinfo.available_timezones())


@cache
def _by_city() -> Mapping[str, str]:
    """City (last part, lowercase, `_` as space) → its zone: `shanghai` → Asia/Shanghai."""
    cities: dict[str, str] = {}
    for name in sorted(known_time_zones()):
        if name.startswith("Etc/") or _OFFSET.search(name):
            continue  # `Etc/GMT+8` is eight hours *behind* UTC: never offer it for GMT+8
        city = name.rsplit("/", 1)[-1].replace("_", " ").lower()
        cities.setdefault(city, name)
    return cities


def nearest_time_zone(written: str) -> str | None:
    """The zone an author most likely meant: same name in another case, a city's zone, or
    the closest name; None when nothing is close. Offset zones (`GMT+0`, `Etc/GMT-8`) are
    never offered: one digit away is hours away."""
    if _OFFSET.search(written):
        return None
    zones = {name for name in known_time_zones() if not _OFFSET.search(name)}
    lowered = {name.lower(): name for name in zones}
    if written.lower() in lowered:
        return lowered[written.lower()]
    city = written.strip().replace("_", " ").lower()
    cities = _by_city()
    if city in cities:
        return cities[city]
    close = difflib.get_close_matches(written, sorted(zones), n=1, cutoff=0.75)
    if close:
        return close[0]
    close = difflib.get_close_matches(city, sorted(cities), n=1, cutoff=0.8)
    return cities[close[0]] if close else None


def check_time_zones(ctx: CheckContext) -> None:
    """The app's `timezone` and each trigger's."""
    if not known_time_zones():
        return  # no database to check against: the runtime reports what it cannot load
    app = ctx.app
    if app.timezone is not None:
        _check(ctx, app.timezone, child_loc(app.loc, "timezone"))
    for automation in app.automations.values():
        for trigger in automation.triggers:
            written = trigger.option("timezone")
            if isinstance(written, str):
                _check(ctx, written, child_loc(trigger.loc, "timezone"))


def _check(ctx: CheckContext, written: str, loc: Loc) -> None:
    if written in known_time_zones():
        return
    nearest = nearest_time_zone(written)
    if nearest is not None:
        hint = f"did you mean '{nearest}'?"
    elif _OFFSET.search(written):
        hint = f"an offset is not a zone: name the place, like {_EXAMPLE} for UTC+8"
    else:
        hint = f"write the zone's Area/City name, like {_EXAMPLE} or Europe/Berlin"
    ctx.error(
        "S104",
        f"'{written}' is not an IANA time zone name (Area/City, like {_EXAMPLE})",
        loc,
        hint=hint,
    )
