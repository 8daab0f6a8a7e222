"""`PeopleService.update_team` and a team's parent: `parent_id=None` makes the team a
top-level one, while leaving `parent_id` out (`KEEP`) keeps it where it is — the two must
not be confused, or renaming a team would silently move it (or moving it to the top would
silently do nothing)."""

from __future__ import annotations

import pytest

from engine.errors import BadRequest
from engine.runtime.engine import Engine
from engine.runtime.people import KEEP


def test_a_team_is_taken_from_under_its_parent_with_none(shop: Engine) -> None:
    people = shop.people
    store, floor = people.team_by_name("Store"), people.team_by_name("Floor")
    assert floor.parent_id == store.id
    moved = people.update_team(floor.id, parent_id=None)
    assert moved.parent_id is None
    assert people.get_team(floor.id).parent_id is None
    assert floor.id not in people.subteam_ids(store.id)
    # and put back under it
    assert people.update_team(floor.id, parent_id=store.id).parent_id == store.id


def test_leaving_the_parent_out_keeps_it(shop: Engine) -> None:
    people = shop.people
    store, floor = people.team_by_name("Store"), people.team_by_name("Floor")
    renamed = people.update_team(floor.id, name="Shop floor")
    assert (renamed.name, renamed.parent_id, renamed.manager) == (
        "Shop floor", store.id, "lead_ann",
    )  # fmt: skip
    kept = people.update_team(floor.id, parent_id=KEEP, manager="ann")
    assert (kept.parent_id, kept.manager) == (store.id, "ann")


def test_a_top_level_team_stays_top_level_when_renamed(shop: Engine) -> None:
    people = shop.people
    store = people.team_by_name("Store")
    assert people.update_team(store.id, name="Shop").parent_id is None


def test_a_rename_may_not_take_another_teams_name(shop: Engine) -> None:
    people = shop.people
    depot = people.team_by_name("Depot")
    with pytest.raises(BadRequest, match="a team named 'Floor' already exists"):
        people.update_team(depot.id, name="Floor")
    assert people.get_team(depot.id).name == "Depot"
    assert people.update_team(depot.id, name="Depot").name == "Depot"  # its own name is fine
