"""A small app of dashboards, for the dashboard tests (runtime and API): sales of reps in a
team tree, each with an account (a link), an owner, a team, money, a percent, an integer,
a number, a select stage whose options are not in alphabetical order, a date and a
datetime; dashboards with every widget type, and the known data they aggregate.

Team tree: Company (dir) ⊃ North (mgr_n; ann, bob) ⊃ North-East (dee); Company ⊃ South
(mgr_s; cy). Roles: rep ⊂ manager ⊂ director (inherited); auditor reads every sale but
not its `cost`. The app's weeks start on Sunday, its time zone is Asia/Shanghai.

Helpers the tests import by name: `make_dashboard_engine` (the engine with people and
sales), `SALES` (the rows as written; `deleted` ones are soft-deleted after), `live`
(the rows that count), `readable_by` (the rows a user may read), `NAMES` (display names),
`TEAM_OF` (each person's team).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from runtime_support import EngineFactory

from engine.runtime.actor import Actor
from engine.runtime.engine import Engine

__all__ = [
    "FILES",
    "NAMES",
    "SALES",
    "TEAM_OF",
    "Sale",
    "live",
    "make_dashboard_engine",
    "readable_by",
]

APP = """
app: dash
title: Dashboards
locales: [en, zh]
timezone: Asia/Shanghai
week_start: sunday
roles:
  rep: {label: Rep}
  manager: {label: Manager, inherits: [rep]}
  director: {label: Director, inherits: [manager]}
  auditor: {label: Auditor}
"""

ACCOUNT = """
entity: account
label: Account
title_field: name
fields:
  name: {type: text, required: true}
  owner: {type: user}
permissions:
  rep: {create: true, read: own}
  manager: {read: subteams}
  director: {read: all}
  auditor: {read: all}
"""

SALE = """
entity: sale
label: Sale
title_field: title
fields:
  title: {type: text, required: true}
  account: {type: link, to: account}
  owner: {type: user}
  team: {type: team}
  amount: {type: money}
  cost: {type: money}
  margin: {type: percent, precision: 4}
  qty: {type: integer}
  score: {type: number, precision: 2}
  stage:
    type: select
    options:
      - {value: new, label: {en: New, zh: 新建}}
      - {value: open, label: {en: Open, zh: 进行中}}
      - {value: won, label: {en: Won, zh: 赢单}}
      - {value: lost, label: {en: Lost, zh: 输单}}
  closed_on: {type: date}
  closed_at: {type: datetime}
permissions:
  rep: {create: true, read: own, update: own}
  manager: {read: subteams}
  director: {read: all}
  auditor:
    read: all
    fields: {cost: none}
"""

OVERVIEW = """
dashboard: overview
label: {en: Overview, zh: 总览}
widgets:
  - {type: number, id: won_total, entity: sale, aggregate: sum, field: amount,
     filter: "stage == 'won'"}
  - {type: number, id: count_all, entity: sale}
  - {type: number, id: avg_amount, entity: sale, aggregate: avg, field: amount}
  - {type: number, id: min_amount, entity: sale, aggregate: min, field: amount}
  - {type: number, id: max_amount, entity: sale, aggregate: max, field: amount}
  - {type: number, id: sum_qty, entity: sale, aggregate: sum, field: qty}
  - {type: number, id: avg_qty, entity: sale, aggregate: avg, field: qty}
  - {type: number, id: sum_score, entity: sale, aggregate: sum, field: score}
  - {type: number, id: sum_margin, entity: sale, aggregate: sum, field: margin}
  - {type: number, id: first_close, entity: sale, aggregate: min, field: closed_on}
  - {type: number, id: my_count, entity: sale, filter: "owner == me()"}
  - {type: number, id: this_month, entity: sale, aggregate: sum, field: amount,
     filter: "closed_on >= start_of_month(today())"}
  - {type: number, id: nothing, entity: sale, aggregate: sum, field: amount,
     filter: "amount > 1000000"}
  - {type: gauge, id: margin_gauge, entity: sale, aggregate: avg, field: margin, max: 1.5}
  - {type: gauge, id: expr_gauge, entity: sale, aggregate: max, field: margin,
     max: "=2 * 0.25"}
  - {type: gauge, id: plain_gauge, entity: sale, aggregate: min, field: margin, max: 2}
  - {type: bar, id: by_owner, entity: sale, aggregate: sum, field: amount, group_by: owner,
     sort: "-amount"}
  - {type: bar, id: by_owner_name, entity: sale, aggregate: count, group_by: owner}
  - {type: bar, id: by_team, entity: sale, aggregate: count, group_by: team}
  - {type: pie, id: by_account, entity: sale, aggregate: sum, field: amount,
     group_by: account}
  - {type: funnel, id: funnel, entity: sale, aggregate: sum, field: amount, group_by: stage,
     filter: "stage != 'lost'"}
  - {type: bar, id: stages_desc, entity: sale, aggregate: count, group_by: stage,
     sort: "-stage"}
  - {type: line, id: monthly, entity: sale, aggregate: sum, field: amount,
     group_by: {field: closed_on, bucket: month}}
  - {type: line, id: weekly, entity: sale, aggregate: count,
     group_by: {field: closed_at, bucket: week}}
  - {type: bar, id: quarterly, entity: sale, aggregate: sum, field: amount,
     group_by: {field: closed_on, bucket: quarter}, sort: "-closed_on"}
  - {type: bar, id: yearly, entity: sale, aggregate: count,
     group_by: {field: closed_on, bucket: year}}
  - {type: bar, id: daily_at, entity: sale, aggregate: count,
     group_by: {field: closed_at, bucket: day}}
  - {type: leaderboard, id: top, entity: sale, aggregate: sum, field: amount,
     group_by: owner, limit: 2}
  - {type: leaderboard, id: top_default, entity: sale, aggregate: count, group_by: owner}
  - {type: table, id: biggest, entity: sale, columns: [title, account, owner, amount, cost],
     sort: "-amount", limit: 3}
  - {type: table, id: default_table, entity: sale, columns: [title, closed_on],
     sort: closed_on}
"""

GUARDED = """
dashboard: guarded
label: Guarded
roles: [auditor, director]
widgets:
  - {type: number, id: ok, entity: sale}
  - {type: number, id: cost_total, entity: sale, aggregate: sum, field: cost}
  - {type: number, id: cost_filter, entity: sale, filter: "cost > 0"}
  - {type: bar, id: by_cost, entity: sale, group_by: cost}
  - {type: number, id: text_sum, entity: sale, aggregate: sum, field: title}
  - {type: table, id: cost_sorted, entity: sale, columns: [title], sort: "-cost"}
  - {type: bar, id: bad_sort, entity: sale, aggregate: count, group_by: owner, sort: title}
  - {type: bar, id: amount_bar, entity: sale, aggregate: sum, field: amount, group_by: stage}
"""

REPS = """
dashboard: reps
label: Reps
roles: [rep]
widgets:
  - {type: number, id: mine, entity: sale, filter: "owner == me()"}
"""

FILES = {
    "app.yaml": APP,
    "entities/account.yaml": ACCOUNT,
    "entities/sale.yaml": SALE,
    "dashboards/overview.yaml": OVERVIEW,
    "dashboards/guarded.yaml": GUARDED,
    "dashboards/reps.yaml": REPS,
}

NAMES = {
    "dir": "Dora Director",
    "mgr_n": "Nina North",
    "mgr_s": "Sam South",
    "ann": "Ann Archer",
    "bob": "Bob Baker",
    "dee": "Dee Dean",
    "cy": "Cy Young",
    "audrey": "Audrey Audit",
}
TEAM_OF = {
    "dir": "Company",
    "mgr_n": "North",
    "ann": "North",
    "bob": "North",
    "dee": "North-East",
    "mgr_s": "South",
    "cy": "South",
}
ROLE_OF = {
    "dir": "director",
    "mgr_n": "manager",
    "mgr_s": "manager",
    "ann": "rep",
    "bob": "rep",
    "dee": "rep",
    "cy": "rep",
    "audrey": "auditor",
}
ACCOUNTS = (("Acme", "ann"), ("Bolt", "bob"), ("Cogs", "cy"), ("Dune", "dee"))
"""Accounts (name, owner): a rep reads only their own."""


@dataclass(frozen=True)
class Sale:
    """One sale as written (money as strings for exactness)."""

    title: str
    owner: str | None
    account: str | None
    amount: str | None
    cost: str
    margin: str
    qty: int
    score: str
    stage: str
    closed_on: date | None
    closed_at: datetime | None
    deleted: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def team(self) -> str | None:
        return TEAM_OF.get(self.owner or "")

    def money(self, name: str) -> Decimal | None:
        value = getattr(self, name)
        return Decimal(value) if value is not None else None


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


SALES: tuple[Sale, ...] = (
    # Shanghai is UTC+8: 2026-03-07 15:00 UTC is Saturday 23:00 there (week of Sun 1 March),
    # 17:00 UTC is Sunday 01:00 (week of Sun 8 March).
    Sale("A1", "ann", "Acme", "1000.50", "400", "0.2500", 3, "1.25", "won",
         date(2026, 1, 15), _utc("2026-03-07T15:00:00")),
    Sale("A2", "ann", "Bolt", "250.00", "100", "0.1000", 1, "2.50", "open",
         date(2026, 3, 1), _utc("2026-03-07T17:00:00")),
    Sale("A3", "ann", "Acme", "99.99", "10", "0.3333", 2, "0.10", "lost",
         date(2026, 4, 2), _utc("2026-03-28T03:00:00")),
    Sale("B1", "bob", "Bolt", "5000.00", "2500", "0.5000", 10, "3.00", "won",
         date(2026, 3, 31), _utc("2026-03-01T00:30:00")),
    Sale("B2", "bob", None, "10.00", "1", "0.0500", 1, "0.33", "new",
         None, None),
    Sale("D1", "dee", "Dune", "700.00", "300", "0.2000", 4, "1.00", "won",
         date(2026, 1, 31), _utc("2026-03-08T16:30:00")),
    Sale("N1", "mgr_n", "Acme", "40.00", "20", "0.6000", 1, "5.55", "open",
         date(2026, 2, 27), None),
    Sale("C1", "cy", "Cogs", "3000.00", "1000", "0.4000", 6, "2.00", "won",
         date(2026, 3, 2), _utc("2026-03-02T01:00:00")),
    Sale("C2", "cy", "Cogs", None, "0", "0.0100", 0, "0.00", "new",
         date(2027, 1, 5), None),
    Sale("S1", "mgr_s", "Cogs", "123.45", "50", "0.1500", 2, "4.20", "lost",
         date(2026, 3, 15), None),
    Sale("X1", None, "Acme", "77.00", "7", "0.7700", 7, "7.77", "open",
         date(2026, 3, 3), None),
    Sale("Z1", "ann", "Acme", "999999.00", "1", "0.9900", 99, "9.99", "won",
         date(2026, 3, 3), _utc("2026-03-03T00:00:00"), deleted=True),
)  # fmt: skip


def live() -> list[Sale]:
    """The sales that count (not soft-deleted)."""
    return [sale for sale in SALES if not sale.deleted]


def readable_by(username: str) -> list[Sale]:
    """The live sales `username` may read, by the app's permissions, computed here."""
    role = ROLE_OF.get(username)
    if role in ("director", "auditor"):
        return live()
    if role == "manager":
        below = {"mgr_n": {"North", "North-East"}, "mgr_s": {"South"}}[username]
        return [s for s in live() if s.owner == username or s.team in below]
    return [s for s in live() if s.owner == username]


def make_dashboard_engine(
    make_engine: EngineFactory, write_app_folder: Callable[..., Path], url: str
) -> Engine:
    """The app over `url` with its people, accounts and sales (one sale soft-deleted)."""
    engine = make_engine(write_app_folder(FILES), url)
    _people(engine)
    system = Actor.system()
    records = engine.records
    accounts = {
        name: records.create(system, "account", {"name": name, "owner": owner}).id
        for name, owner in ACCOUNTS
    }
    teams = {team.name: team.id for team in engine.people.list_teams()}
    for sale in SALES:
        values = {
            "title": sale.title,
            "owner": sale.owner,
            "team": teams.get(sale.team or ""),
            "account": accounts.get(sale.account or ""),
            "amount": sale.money("amount"),
            "cost": sale.money("cost"),
            "margin": Decimal(sale.margin),
            "qty": sale.qty,
            "score": Decimal(sale.score),
            "stage": sale.stage,
            "closed_on": sale.closed_on,
            "closed_at": sale.closed_at,
        }
        created = records.create(system, "sale", values)
        if sale.deleted:
            records.delete(system, "sale", created.id)
    return engine


def _people(engine: Engine) -> None:
    people = engine.people
    people.create_user("dir", name=NAMES["dir"], locale="en")
    company = people.create_team("Company", manager="dir")
    people.set_team("dir", company.id)
    north = people.create_team("North", parent_id=company.id)
    south = people.create_team("South", parent_id=company.id)
    north_east = people.create_team("North-East", parent_id=north.id)
    teams = {"North": north.id, "South": south.id, "North-East": north_east.id}
    for username in ("mgr_n", "mgr_s", "ann", "bob", "dee", "cy"):
        team = teams[TEAM_OF[username]]
        people.create_user(username, name=NAMES[username], locale="en", team_id=team)
    people.update_team(north.id, manager="mgr_n")
    people.update_team(south.id, manager="mgr_s")
    people.create_user("audrey", name=NAMES["audrey"], locale="zh")
    for username, role in ROLE_OF.items():
        people.grant_role("dash", username, role)
    people.create_user("root", is_admin=True, locale="en")
