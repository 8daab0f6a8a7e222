"""A small app exercising every feature of the record service (shared by the runtime tests
through `conftest.py`): field types, validations, visibility, formulas, subforms,
sequences, uniqueness, links with each `on_delete`, attachments and a workflow."""

from __future__ import annotations

APP = """
app: shop
title: {en: Shop, zh: 商店}
locales: [en, zh]
currency: CNY
timezone: Asia/Shanghai
roles:
  clerk: {label: {en: Clerk, zh: 店员}}
  lead: {label: Lead, inherits: [clerk]}
  auditor: {label: Auditor}
"""

SUPPLIER = """
entity: supplier
label: {en: Supplier, zh: 供应商}
fields:
  name: {type: text, required: true, unique: true, max_length: 40}
  owner: {type: user, default: "=me()"}
  rating: {type: integer, min: 1, max: 5}
permissions:
  clerk: {create: true, read: all, update: own, delete: own}
  auditor: {read: all, fields: {rating: none}}
"""

ORDER = """
entity: order
label: {en: Order, zh: 订单}
fields:
  number: {type: sequence, pattern: "SO-{yyyy}{mm}-{000}", reset: monthly}
  code:
    type: text
    unique: true
    pattern: "[A-Z]{2}-[0-9]{3}"
    pattern_message:
      en: Write two capitals, a dash and three digits
      zh: 格式为两个大写字母、短横线和三位数字
  title: {type: text, required: true, min_length: 3, max_length: 20}
  email: {type: email}
  site: {type: url}
  phone: {type: phone}
  kind: {type: select, options: [retail, wholesale], default: retail}
  tags: {type: multi_select, options: [red, green, blue], max_items: 2}
  quantity: {type: integer, min: 1, max: 1000}
  ratio: {type: percent, min: 0, max: 1}
  weight: {type: number, precision: 3}
  amount: {type: money, min: 0}
  due: {type: date, min: "=today()"}
  at: {type: datetime}
  paid: {type: boolean, default: false}
  reason:
    type: long_text
    required_if: "kind == 'wholesale'"
  discount:
    type: percent
    visible_if: "kind == 'wholesale'"
    validations:
      - rule: "discount <= 0.3"
        message: {en: At most 30 % off, zh: 折扣不能超过 30%}
  supplier: {type: link, to: supplier, on_delete: restrict}
  backup: {type: link, to: supplier, on_delete: set_null}
  owner: {type: user, default: "=me()"}
  team: {type: team}
  approved: {type: boolean, readonly: true, default: false}
  lines:
    type: subform
    max_rows: 3
    fields:
      item: {type: text, required: true}
      qty: {type: integer, required: true, min: 1, default: 1}
      price: {type: money, required: true}
      subtotal: {type: formula, expr: "qty * price", result: money}
  total: {type: formula, expr: "sum(lines.subtotal)", result: money}
  gross: {type: formula, expr: "total * 1.13", result: money}
  file: {type: attachment, accept: [.pdf, image/*], max_size_mb: 1}
  status: {type: state}
validations:
  - rule: "count(lines) == 0 or amount is None or total == amount"
    message: {en: The lines do not add up to the amount, zh: 明细合计与金额不一致}
    fields: [lines]
  - rule: "not paid or amount > 0"
    message: {en: A paid order needs an amount, zh: 已付款订单必须有金额}
permissions:
  clerk: {create: true, read: own, update: own, delete: own, fields: {amount: read}}
  lead: {read: team, update: team, delete: team}
  auditor: {read: all}
workflow:
  field: status
  states:
    open: {initial: true, editable: "*"}
    closed: {final: true, editable: [title]}
  transitions:
    close: {from: open, to: closed}
"""

NOTE = """
entity: note
label: {en: Note, zh: 备注}
fields:
  order: {type: link, to: order, on_delete: cascade}
  body: {type: text, required: true}
  owner: {type: user, default: "=me()"}
permissions:
  clerk: {create: true, read: all, update: all, delete: all}
"""

FILES = {
    "app.yaml": APP,
    "entities/supplier.yaml": SUPPLIER,
    "entities/order.yaml": ORDER,
    "entities/note.yaml": NOTE,
}
