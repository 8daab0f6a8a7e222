"""Permissions: grants merged over inherited and several roles (the widest wins), row
scopes as SQL (own, team, subteams, all, expressions), field access."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import pytest
from runtime_support import EngineFactory, act

from engine.errors import Forbidden, NotFound
from engine.runtime.engine import Engine
from engine.runtime.permissions import ACTIONS, Access, EntityGrant, merge_grants
from engine.spec.model import ScopeKind, ScopeSpec


def grant(
    create: bool = False, fields: dict[str, Access] | None = None, **scopes: str
) -> EntityGrant:
    built = {a: ((ScopeSpec(ScopeKind(scopes[a])),) if a in scopes else ()) for a in ACTIONS}
    return EntityGrant(create, MappingProxyType(built), MappingProxyType(fields or {}))


def test_merging_keeps_the_widest_of_everything() -> None:
    merged = merge_grants(
        [
            grant(read="own", update="own", fields={"cost": "none", "notes": "read"}),
            grant(True, read="subteams", delete="team", fields={"cost": "read"}),
        ]
    )
    assert merged.create is True
    assert [s.kind for s in merged.scopes["read"]] == [ScopeKind.SUBTEAMS]
    assert [s.kind for s in merged.scopes["update"]] == [ScopeKind.OWN]
    assert [s.kind for s in merged.scopes["delete"]] == [ScopeKind.TEAM]
    assert merged.scopes["export"] == ()
    assert merged.field_access("cost") == "read"
    assert merged.field_access("notes") == "edit"  # the second grant does not restrict it
    assert merge_grants([grant(read="all"), grant(read="own")]).scopes["read"] == (
        ScopeSpec(ScopeKind.ALL),
    )
    assert merge_grants([]).create is False


def test_inherited_and_multiple_roles(shop: Engine) -> None:
    permissions = shop.permissions
    ann, lead, audrey = act(shop, "ann"), act(shop, "lead_ann"), act(shop, "audrey")
    assert permissions.can_create(ann, "order") and permissions.can_create(lead, "order")
    assert not permissions.can_create(audrey, "order")
    assert permissions.field_access(ann, "order", "amount") == "read"
    assert permissions.field_access(lead, "order", "amount") == "edit"
    assert permissions.field_access(audrey, "supplier", "rating") == "none"
    assert permissions.field_access(audrey, "note", "body") == "none"  # no entry at all
    shop.people.grant_role("shop", "audrey", "clerk")
    both = act(shop, "audrey")
    assert permissions.field_access(both, "supplier", "rating") == "edit"
    assert permissions.can_create(both, "order")
    root = act(shop, "root")
    assert permissions.field_access(root, "order", "amount") == "edit"
    assert permissions.can(root, "note", "export")


def test_scopes_own_team_and_subteams(shop: Engine) -> None:
    ids = {
        name: shop.records.create(act(shop, name), "order", {"title": f"By {name}"}).id
        for name in ("ann", "bob", "cy")
    }
    lead = act(shop, "lead_ann")
    visible = {r.id for r in shop.records.list(lead, "order").records}
    assert visible == {ids["ann"], ids["bob"]}
    with pytest.raises(NotFound):
        shop.records.get(lead, "order", ids["cy"])
    shop.people.update_team(
        shop.people.team_by_name("Depot").id, parent_id=shop.people.team_by_name("Floor").id
    )
    # a `team` scope does not reach sub-teams: cy's Depot is now below Floor, still hidden
    moved = act(shop, "lead_ann")
    with pytest.raises(NotFound):
        shop.records.get(moved, "order", ids["cy"])
    assert moved.team_ids == {
        shop.people.team_by_name("Floor").id,
        shop.people.team_by_name("Depot").id,
    }


def test_an_expression_scope_runs_in_sql(memos: Engine) -> None:
    rep = act(memos, "rep")
    other = act(memos, "other")
    mine = memos.records.create(rep, "memo", {"text": "for me", "reader": "rep"})
    theirs = memos.records.create(other, "memo", {"text": "not for me", "reader": "other"})
    assert [m.id for m in memos.records.list(rep, "memo").records] == [mine.id]
    assert memos.records.get(rep, "memo", mine.id)["text"] == "for me"
    with pytest.raises(NotFound):
        memos.records.get(rep, "memo", theirs.id)
    with pytest.raises(Forbidden):
        memos.records.update(rep, "memo", mine.id, {"text": "edited"}, version=1)


MEMO_APP = {
    "app.yaml": "app: memos\ntitle: Memos\nlocales: [en]\nroles:\n  writer: {label: Writer}\n",
    "entities/memo.yaml": (
        "entity: memo\nlabel: Memo\nfields:\n"
        "  text: {type: text, required: true}\n"
        "  reader: {type: user}\n"
        "  owner: {type: user, default: '=me()'}\n"
        "permissions:\n"
        "  writer:\n"
        "    create: true\n"
        "    read: '=reader == me()'\n"
        "    update: '=owner == me() and reader != me()'\n"
    ),
}


@pytest.fixture
def memos(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], database_url: str
) -> Engine:
    engine = make_engine(write_app_folder(MEMO_APP), database_url)
    for name in ("rep", "other"):
        engine.people.create_user(name, locale="en")
        engine.people.grant_role("memos", name, "writer")
    return engine
