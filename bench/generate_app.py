"""Generate a large, valid app folder (about 2,000 lines of YAML) for load/check benchmarks."""

from __future__ import annotations

from pathlib import Path

FIELD_LINES = [
    "  name: {type: text, required: true, max_length: 120, label: {en: Name, zh: 名称}}",
    "  code: {type: text, pattern: '^[A-Z]{2}-[0-9]+$', unique: true}",
    "  notes: {type: long_text}",
    "  qty: {type: integer, min: 0, max: 100000}",
    "  price: {type: money, min: 0}",
    "  ratio: {type: percent, min: 0, max: 2}",
    "  weight: {type: number, precision: 3}",
    "  due: {type: date}",
    "  stamp: {type: datetime}",
    "  active: {type: boolean, default: true}",
    "  email: {type: email}",
    "  phone: {type: phone}",
    "  site: {type: url}",
    "  owner: {type: user, default: '=me()', required: true}",
    "  team: {type: team}",
    "  level: {type: select, options: [a, b, c, d]}",
    "  tags: {type: multi_select, options: [x, y, z]}",
    "  total: {type: formula, expr: 'coalesce(qty, 0) * coalesce(price, 0)', result: money}",
    "  big: {type: formula, expr: 'total > 10000 and active', result: boolean}",
    "  memo: {type: long_text, visible_if: \"level == 'a'\", required_if: 'qty > 100'}",
]


def entity_yaml(index: int, count: int) -> str:
    """One entity with fields, a link, validations, permissions, a workflow, forms and views."""
    name = f"thing_{index:03d}"
    lines = [
        f"entity: {name}",
        f"label: {{en: Thing {index}, zh: 事物{index}}}",
        "fields:",
        *FIELD_LINES,
    ]
    if index > 0:
        lines.append(f"  parent: {{type: link, to: thing_{index - 1:03d}, on_delete: set_null}}")
    lines += [
        "validations:",
        "  - rule: 'qty is None or qty >= 0'",
        "    message: {en: Quantity must not be negative, zh: 数量不能为负}",
        "    fields: [qty]",
        "permissions:",
        "  member: {create: true, read: own, update: own, delete: none}",
        "  lead: {create: true, read: subteams, update: subteams, delete: own}",
        "  auditor: {read: all, fields: {price: read}}",
        "workflow:",
        "  field: status",
        "  states:",
        "    draft: {initial: true, editable: [name, qty, price]}",
        "    review:",
        "      approval:",
        "        approvers: [{type: manager, of: owner}]",
        "        mode: any",
        "        due: {after: 48h}",
        "        on_overdue: remind",
        "    done: {final: true}",
        "    dropped: {final: true}",
        "  transitions:",
        "    submit: {from: draft, to: review}",
        "    approve: {from: review, to: done, if: 'total >= 0'}",
        "    reject: {from: review, to: dropped, comment: required}",
        "    send_back: {from: review, to: draft, comment: required}",
        "forms:",
        "  default:",
        "    sections:",
        "      - title: {en: Main, zh: 主要}",
        "        columns: 2",
        "        fields: [name, code, qty, price, level, owner]",
        "      - title: {en: More, zh: 更多}",
        "        fields: [notes, memo, tags, due]",
        "views:",
        "  all: {type: table, columns: [name, qty, price, status], sort: [-qty], default: true}",
        "  mine: {type: table, filter: 'owner == me()', columns: [name, total]}",
        "  board: {type: kanban, group_by: status, card: [name, total]}",
    ]
    return "\n".join(lines) + "\n"


def automation_yaml(index: int) -> str:
    """One automation reacting to a transition of the matching entity."""
    entity = f"thing_{index:03d}"
    return "\n".join(
        [
            f"automation: auto_{index:03d}",
            f"label: {{en: Rule {index}, zh: 规则{index}}}",
            "mode: queued",
            "triggers:",
            f"  - {{type: transitioned, entity: {entity}, to: done}}",
            "conditions:",
            '  - \'total > 100 and level in ["a", "b"]\'',
            "actions:",
            "  - type: set",
            "    values: {notes: '=concat(name, \" done\")'}",
            "  - type: notify",
            "    to: [{type: user_field, field: owner}]",
            "    channel: inbox",
            "    title: {en: 'Done: {{ record.name }}', zh: '完成：{{ record.name }}'}",
            "",
        ]
    )


def write_app(target: Path, *, entities: int = 27) -> Path:
    """Write the generated app into `target` (created) and return it."""
    (target / "entities").mkdir(parents=True, exist_ok=True)
    (target / "rules").mkdir(exist_ok=True)
    (target / "app.yaml").write_text(
        "\n".join(
            [
                "app: generated",
                "title: {en: Generated, zh: 生成}",
                "locales: [zh, en]",
                "currency: CNY",
                "timezone: Asia/Shanghai",
                "roles:",
                "  member: {label: {en: Member, zh: 成员}}",
                "  lead: {label: {en: Lead, zh: 组长}, inherits: [member]}",
                "  auditor: {label: {en: Auditor, zh: 审计}}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    for index in range(entities):
        path = target / "entities" / f"thing_{index:03d}.yaml"
        path.write_text(entity_yaml(index, entities), encoding="utf-8")
        (target / "rules" / f"auto_{index:03d}.yaml").write_text(
            automation_yaml(index), encoding="utf-8"
        )
    return target


def line_count(folder: Path) -> int:
    """Lines of YAML in a folder."""
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in folder.rglob("*.yaml"))
