"""People: users, passwords, teams and sub-teams, roles per app, tokens, actors."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.errors import BadRequest, NotFound
from engine.runtime.clock import FixedClock
from engine.runtime.engine import Engine
from engine.runtime.people import token_digest


def test_users_are_created_listed_and_changed(shop: Engine) -> None:
    people = shop.people
    user = people.create_user("dee", name="Dee", email="dee@example.com", locale="zh")
    assert (user.username, user.name, user.email, user.locale) == (
        "dee",
        "Dee",
        "dee@example.com",
        "zh",
    )
    assert user.active and not user.is_admin and user.team_id is None
    changed = people.update_user("dee", name="Dee Dee", is_admin=True)
    assert (changed.name, changed.is_admin, changed.email) == ("Dee Dee", True, "dee@example.com")
    names = [u.username for u in people.list_users()]
    assert names == sorted(names) and "dee" in names
    with pytest.raises(BadRequest, match="already exists"):
        people.create_user("dee")
    with pytest.raises(BadRequest, match="not a valid username"):
        people.create_user("bad name")
    with pytest.raises(NotFound, match="no user 'nobody'"):
        people.update_user("nobody", name="x")


def test_token_use_is_noted_at_most_every_five_minutes(shop: Engine, clock: FixedClock) -> None:
    people = shop.people
    token = people.create_token("ann")
    tokens = shop.tables.system.tokens

    def last_used() -> object:
        with shop.db.begin() as connection:
            return connection.scalar(sa.select(tokens.c.last_used_at))

    first = clock.now()
    assert people.actor_for_token(token, "shop") is not None
    assert last_used() == first
    clock.advance(timedelta(minutes=4, seconds=59))
    assert people.actor_for_token(token, "shop") is not None
    assert last_used() == first
    clock.advance(timedelta(seconds=1))
    assert people.actor_for_token(token, "shop") is not None
    assert last_used() == first + timedelta(minutes=5)


def test_passwords_are_hashed_and_verified(shop: Engine) -> None:
    people = shop.people
    people.create_user("dee", password="s3cret")
    with shop.db.begin() as connection:
        stored = connection.scalar(
            sa.select(shop.tables.system.users.c.password_hash).where(
                shop.tables.system.users.c.username == "dee"
            )
        )
    assert stored is not None and "s3cret" not in stored and stored.startswith("pbkdf2_sha256$")
    assert people.verify_password("dee", "s3cret") is True
    assert people.verify_password("dee", "wrong") is False
    assert people.verify_password("nobody", "s3cret") is False
    people.set_password("dee", "new")
    assert people.verify_password("dee", "s3cret") is False
    assert people.verify_password("dee", "new") is True
    people.deactivate("dee")
    assert people.verify_password("dee", "new") is False
    with pytest.raises(BadRequest, match="empty"):
        people.set_password("dee", "")


def test_the_team_tree_and_sub_teams(shop: Engine) -> None:
    people = shop.people
    store = people.team_by_name("Store")
    floor = people.team_by_name("Floor")
    depot = people.team_by_name("Depot")
    corner = people.create_team("Corner", parent_id=floor.id, manager="ann")
    assert people.subteam_ids(store.id) == {store.id, floor.id, depot.id, corner.id}
    assert people.subteam_ids(floor.id) == {floor.id, corner.id}
    assert [t.name for t in people.list_teams()] == ["Store", "Floor", "Depot", "Corner"]
    with pytest.raises(BadRequest, match="under itself"):
        people.update_team(floor.id, parent_id=corner.id)
    moved = people.update_team(corner.id, parent_id=depot.id, manager="cy")
    assert (moved.parent_id, moved.manager) == (depot.id, "cy")
    with pytest.raises(BadRequest, match="already exists"):
        people.create_team("Floor")
    with pytest.raises(NotFound):
        people.create_team("Lost", parent_id=999)
    with pytest.raises(NotFound, match="no team named"):
        people.team_by_name("Nowhere")


def test_roles_are_per_app_and_actors_carry_them(shop: Engine) -> None:
    people = shop.people
    people.grant_role("shop", "ann", "auditor")
    people.grant_role("shop", "ann", "auditor")
    people.grant_role("other_app", "ann", "boss")
    assert people.roles_of("shop", "ann") == {"clerk", "auditor"}
    assert people.roles_of("other_app", "ann") == {"boss"}
    people.revoke_role("shop", "ann", "auditor")
    assert people.roles_of("shop", "ann") == {"clerk"}
    assert people.usernames_with_roles("shop", ["clerk"]) == ["ann", "bob", "cy"]
    actor = shop.actor("lead_ann")
    floor = people.team_by_name("Floor")
    assert actor.roles == {"lead"}
    assert actor.team_id == floor.id and actor.team_ids == {floor.id}
    assert actor.locale == "en" and not actor.is_admin
    assert shop.actor("boss").team_ids == frozenset()
    assert shop.actor("root").is_admin
    people.deactivate("cy")
    with pytest.raises(NotFound, match="no active user 'cy'"):
        shop.actor("cy")


def test_tokens_are_stored_hashed_and_resolve_to_actors(shop: Engine, clock: FixedClock) -> None:
    people = shop.people
    token = people.create_token("ann")
    tokens = shop.tables.system.tokens
    with shop.db.begin() as connection:
        rows = connection.execute(sa.select(tokens)).all()
    assert len(rows) == 1 and rows[0].token_hash == token_digest(token)
    assert token not in {str(value) for value in rows[0]}
    clock.advance(timedelta(minutes=5))
    actor = people.actor_for_token(token, "shop")
    assert actor is not None and actor.username == "ann" and actor.roles == {"clerk"}
    with shop.db.begin() as connection:
        assert connection.scalar(sa.select(tokens.c.last_used_at)) == clock.now()
    assert people.actor_for_token("not-a-token", "shop") is None
    assert people.revoke_token(token) is True
    assert people.revoke_token(token) is False
    assert people.actor_for_token(token, "shop") is None
    other = people.create_token("bob")
    people.deactivate("bob")
    assert people.actor_for_token(other, "shop") is None
    with pytest.raises(NotFound):
        people.create_token("nobody")
