"""The minimal app of the spec tests — a clean app touching every document kind, written
into a folder and changed file by file — and helpers that run the phases over it and index
diagnostics by location.

Test modules import these by name (`from minimal_app import …`): a module of its own, not
`conftest`, because every test package has a `conftest` and only one of them can be
imported under that name when several packages run together.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic
from engine.spec.build import build_app
from engine.spec.folder import load_app_folder
from engine.spec.model import AppSpec
from engine.spec.references import validate_app

ROOT = Path(__file__).resolve().parent.parent.parent


MINIMAL: dict[str, str] = {
    "app.yaml": """
        app: shop
        title: {en: Shop, zh: 商店}
        locales: [en, zh]
        roles:
          clerk: {label: {en: Clerk, zh: 店员}}
          boss: {label: Boss, inherits: [clerk]}
        """,
    "entities/customer.yaml": """
        entity: customer
        label: Customer
        title_field: name
        fields:
          name: {type: text, required: true}
          owner: {type: user, default: "=me()"}
          order_total:
            type: rollup
            source: order
            link: customer
            aggregate: sum
            field: amount
            result: money
        permissions:
          clerk: {create: true, read: all, update: own}
        """,
    "entities/order.yaml": """
        entity: order
        label: {en: Order, zh: 订单}
        title_field: number
        fields:
          number: {type: sequence, pattern: "SO-{0000}"}
          customer: {type: link, to: customer, required: true, filter: "name != this.reason"}
          owner: {type: user, default: "=me()"}
          amount: {type: money, min: 0}
          due: {type: date}
          lines:
            type: subform
            fields:
              qty: {type: integer, min: 1}
              price: {type: money}
          total: {type: formula, expr: "sum(lines.price)", result: money}
          reason: {type: long_text, required_if: "status == 'rejected'"}
        validations:
          - rule: "amount >= 0"
            message: Amount must not be negative
            fields: [amount]
        indexes:
          - [owner, status]
          - {fields: [number], unique: true}
        permissions:
          clerk: {create: true, read: own, update: own}
          boss: {read: all, update: "=amount < 1000"}
        workflow:
          field: status
          states:
            draft: {initial: true, editable: [customer, amount]}
            review:
              approval: {approvers: [{type: role, role: boss}], mode: any}
            done: {final: true}
            rejected: {final: true}
          transitions:
            submit: {from: draft, to: review, roles: [clerk]}
            approve: {from: review, to: done, set: {due: "=today()"}}
            reject: {from: review, to: rejected, comment: required}
        forms:
          default: {sections: [{fields: [customer, amount, lines]}]}
        views:
          all: {type: table, columns: [number, customer, amount, status], sort: [-created_at]}
          board: {type: kanban, group_by: status, card: [number, amount]}
          mine: {type: table, filter: "owner == me()", columns: [number]}
        """,
    "rules/big_order.yaml": """
        automation: big_order
        triggers:
          - {type: record_updated, entity: order, changed: [amount]}
        conditions:
          - "amount > old.amount"
        actions:
          - {type: lookup, table: discount, inputs: {amount: "=amount"}, as: tier}
          - {type: set, values: {reason: "=tier.label"}}
          - type: notify
            to: [{type: user_field, field: owner}]
            channel: inbox
            title: Big order
        """,
    "tables/discount.yaml": """
        table: discount
        hit_policy: first
        inputs: [{name: amount, type: money}]
        outputs: [{name: label, type: text}]
        rules:
          - {when: {amount: ">= 1000"}, then: {label: big}}
          - {when: {amount: "=? < 1000"}, then: {label: small}}
        """,
    "dashboards/sales.yaml": """
        dashboard: sales
        label: Sales
        roles: [boss]
        widgets:
          - {type: number, id: total, entity: order, aggregate: sum, field: amount,
             filter: "status == 'done'"}
          - {type: bar, id: by_owner, entity: order, aggregate: sum, field: amount,
             group_by: owner}
        """,
    "tests/flow.yaml": """
        suite: flow
        scenarios:
          - name: an order is approved
            steps:
              - {type: create, user: ann, entity: customer, values: {name: ACME}, as: acme}
              - {type: create, user: ann, entity: order, values: {customer: "=acme"}, as: o}
              - {type: action, user: ann, record: o, action: submit}
              - {type: expect, record: o, values: {status: review}}
        """,
}
"""A clean app touching every document kind: zero diagnostics."""


def write_app(root: Path, files: dict[str, str | None]) -> Path:
    """MINIMAL with `files` replacing (None: deleting) or adding files; returns the folder."""
    merged: dict[str, str | None] = {**MINIMAL, **files}
    for name, text in merged.items():
        if text is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def built(app_dir: Path, registry: Any) -> tuple[AppSpec, list[Diagnostic]]:
    """Load and build without the schema phase (the builder must tolerate anything)."""
    folder = load_app_folder(app_dir)
    assert not folder.diagnostics, folder.diagnostics
    app, problems = build_app(folder, registry)
    assert app is not None
    return app, problems


def references(app_dir: Path, registry: Any) -> list[Diagnostic]:
    """Load, build and validate, skipping the schema phase: only R, W and X codes."""
    folder = load_app_folder(app_dir)
    app, problems = build_app(folder, registry)
    assert app is not None
    return problems + validate_app(app, registry, folder.sources)


def where(diagnostics: Iterable[Diagnostic]) -> set[tuple[str, str, str]]:
    """(code, pointer, file:line:col) of each diagnostic."""
    return {(d.code, d.pointer, f"{d.file}:{d.line}:{d.col}") for d in diagnostics}


def codes(diagnostics: Iterable[Diagnostic]) -> list[str]:
    """The codes, sorted."""
    return sorted(d.code for d in diagnostics)
