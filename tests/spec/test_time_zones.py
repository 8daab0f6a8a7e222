"""Time zone names of the app and of triggers: IANA names, with a "did you mean"."""

from __future__ import annotations

from typing import Any

import pytest
from minimal_app import MINIMAL, references, where

from engine.spec.time_zones import known_time_zones, nearest_time_zone

pytestmark = pytest.mark.skipif(
    not known_time_zones(), reason="this Python has no time zone database"
)

SCHEDULE = """
    automation: nightly
    triggers:
      - {type: schedule, cron: "0 2 * * *", timezone: Asia/Shangai}
    actions:
      - {type: notify, to: [{type: role, role: boss}], channel: inbox, title: Night}
    """


def test_the_app_and_trigger_time_zones_are_checked(make_app: Any, registry: Any) -> None:
    app_yaml = MINIMAL["app.yaml"].replace("locales:", "timezone: Beijing\n        locales:")
    result = references(make_app({"app.yaml": app_yaml, "rules/nightly.yaml": SCHEDULE}), registry)
    assert where(result) == {
        ("S104", "/timezone", "app.yaml:3:11"),
        ("S104", "/triggers/0/timezone", "rules/nightly.yaml:3:51"),
    }
    hints = {d.pointer: d.hint for d in result}
    assert hints["/triggers/0/timezone"] == "did you mean 'Asia/Shanghai'?"
    assert hints["/timezone"] == (
        "write the zone's Area/City name, like Asia/Shanghai or Europe/Berlin"
    )


def test_real_time_zones_pass(make_app: Any, registry: Any) -> None:
    app_yaml = MINIMAL["app.yaml"].replace("locales:", "timezone: Europe/Berlin\n        locales:")
    rule = SCHEDULE.replace("Asia/Shangai", "UTC")
    assert references(make_app({"app.yaml": app_yaml, "rules/nightly.yaml": rule}), registry) == []


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("asia/shanghai", "Asia/Shanghai"),
        ("Shanghai", "Asia/Shanghai"),
        ("new york", "America/New_York"),
        ("Europe/Berln", "Europe/Berlin"),
        ("GMT+8", None),  # never Etc/GMT+8, which is eight hours *behind* UTC
        ("Beijing", None),
    ],
)
def test_the_nearest_time_zone(written: str, meant: str | None) -> None:
    assert nearest_time_zone(written) == meant
