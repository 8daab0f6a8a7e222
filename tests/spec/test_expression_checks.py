"""Every expression is checked against the scope of its place; problems keep their X code
and point at the exact character inside the YAML string."""

from __future__ import annotations

from typing import Any

from minimal_app import references, where

CUSTOMER = """
    entity: customer
    fields:
      name: {type: text}
      owner: {type: user}
      {extra}
    """


def customer(extra: str) -> dict[str, str]:
    """The customer entity with `extra` as its last field(s), starting on line 5."""
    return {"entities/customer.yaml": CUSTOMER.replace("{extra}", extra.replace("\n", "\n      "))}


def found_in(make_app: Any, registry: Any, files: dict[str, str]) -> set[tuple[str, str, str]]:
    """(code, pointer, position) of every diagnostic."""
    return where(references(make_app(files), registry))


def test_unknown_name_points_inside_the_string(make_app: Any, registry: Any) -> None:
    files = customer("vip: {type: boolean, visible_if: \"owner is not None and nme != ''\"}")
    found = references(make_app(files), registry)
    assert where(found) == {("X103", "/fields/vip/visible_if", "entities/customer.yaml:5:59")}
    assert found[0].message == "unknown field 'nme' in customer"
    assert found[0].hint == "did you mean 'name'?"


def test_value_expressions_skip_the_equals_sign(make_app: Any, registry: Any) -> None:
    files = customer('since: {type: date, default: "=todai()"}')
    found = references(make_app(files), registry)
    assert where(found) == {("X104", "/fields/since/default", "entities/customer.yaml:5:34")}


def test_an_escaped_equals_is_a_literal(make_app: Any, registry: Any) -> None:
    files = customer('code: {type: text, default: "\\\\=5"}')
    assert found_in(make_app, registry, files) == set()


def test_conditions_must_be_true_or_false(make_app: Any, registry: Any) -> None:
    files = customer('vip: {type: boolean, required_if: "name"}')
    assert found_in(make_app, registry, files) == {
        ("X106", "/fields/vip/required_if", "entities/customer.yaml:5:38")
    }


def test_link_filter_sees_the_target_and_this(make_app: Any, registry: Any) -> None:
    files = customer("best: {type: link, to: order, filter: \"amount > 0 and this.nme == 'x'\"}")
    assert found_in(make_app, registry, files) == {
        ("X103", "/fields/best/filter", "entities/customer.yaml:5:62")
    }


def test_rollup_match_sees_the_source_and_this(make_app: Any, registry: Any) -> None:
    files = customer(
        'open: {type: rollup, source: order, match: "customer == this.id and amout > 0",'
        " aggregate: count}"
    )
    assert found_in(make_app, registry, files) == {
        ("X103", "/fields/open/match", "entities/customer.yaml:5:71")
    }


def test_filters_that_become_sql_reject_python_only_functions(make_app: Any, registry: Any) -> None:
    entity = CUSTOMER.replace(
        "{extra}",
        "lines: {type: subform, fields: {price: {type: money}}}\n"
        "    views:\n"
        '      big: {type: table, filter: "sum(lines.price) > 100", columns: [name]}',
    )
    files = {"entities/customer.yaml": entity}
    assert found_in(make_app, registry, files) == {
        ("X107", "/views/big/filter", "entities/customer.yaml:7:31")
    }


def test_subform_rows_see_their_fields_and_parent(make_app: Any, registry: Any) -> None:
    files = customer(
        "lines:\n"
        "  type: subform\n"
        "  fields:\n"
        "    qty: {type: integer}\n"
        "    price: {type: money, visible_if: \"qty > 0 and parent.name != ''\"}\n"
        "    note: {type: text, visible_if: \"name != ''\"}"
    )
    assert found_in(make_app, registry, files) == {
        ("X103", "/fields/lines/fields/note/visible_if", "entities/customer.yaml:10:39")
    }


def test_formula_cycles(make_app: Any, registry: Any) -> None:
    files = customer(
        'a: {type: formula, expr: "b + 1", result: number}\n'
        'b: {type: formula, expr: "c * 2", result: number}\n'
        'c: {type: formula, expr: "a - 1", result: number}\n'
        'd: {type: formula, expr: "a + b", result: number}'
    )
    found = references(make_app(files), registry)
    assert where(found) == {("R118", "/fields/a/expr", "entities/customer.yaml:5:28")}
    assert found[0].message == "formulas use each other in a cycle: a → b → c → a"


def test_a_formula_using_itself(make_app: Any, registry: Any) -> None:
    files = customer('n: {type: formula, expr: "n + 1", result: number}')
    assert found_in(make_app, registry, files) == {
        ("R118", "/fields/n/expr", "entities/customer.yaml:5:28")
    }


def test_old_is_only_known_to_update_triggers(make_app: Any, registry: Any) -> None:
    rule = """
        automation: big_order
        triggers:
          - {type: record_created, entity: order}
        conditions:
          - "amount > old.amount"
        actions: []
        """
    assert found_in(make_app, registry, {"rules/big_order.yaml": rule}) == {
        ("X103", "/conditions/0", "rules/big_order.yaml:5:15")
    }


def test_action_where_is_over_the_target_with_record(make_app: Any, registry: Any) -> None:
    rule = """
        automation: big_order
        triggers:
          - {type: record_updated, entity: order}
        actions:
          - {type: update, entity: customer, where: "id == record.customer.id",
             values: {name: "=concat(reason, '!')"}}
          - {type: delete, entity: customer, where: "amount > 0"}
          - {type: create, entity: customer, values: {name: x}, as: made}
          - {type: set, values: {reason: "=made.nme"}}
        """
    assert found_in(make_app, registry, {"rules/big_order.yaml": rule}) == {
        ("X103", "/actions/1/where", "rules/big_order.yaml:7:46"),
        ("X103", "/actions/3/values/reason", "rules/big_order.yaml:9:41"),
    }


def test_lookup_is_not_an_expression_function(make_app: Any, registry: Any) -> None:
    # Decision tables are read by the `lookup` action; expressions have no lookup().
    files = customer("t: {type: formula, expr: \"lookup('discount', 1)\", result: text}")
    found = references(make_app(files), registry)
    assert ("X104", "/fields/t/expr", "entities/customer.yaml:5:29") in where(found)


def test_decision_table_cells(make_app: Any, registry: Any) -> None:
    table = """
        table: discount
        inputs: [{name: amount, type: money}]
        outputs: [{name: label, type: text}]
        rules:
          - {when: {amount: "=? > amont"}, then: {label: "=upper(amount)"}}
          - {when: {amount: "=? < 1000 and ? > 0"}, then: {label: small}}
        """
    assert found_in(make_app, registry, {"tables/discount.yaml": table}) == {
        ("X103", "/rules/0/when/amount", "tables/discount.yaml:5:27"),
        ("X106", "/rules/0/then/label", "tables/discount.yaml:5:58"),
    }


def test_widget_filters_and_scenario_values(make_app: Any, registry: Any) -> None:
    files = {
        "dashboards/sales.yaml": """
            dashboard: sales
            widgets:
              - {type: number, id: n, entity: order, aggregate: count, filter: "stauts == 'x'"}
            """,
        "tests/flow.yaml": """
            suite: flow
            scenarios:
              - name: s
                steps:
                  - {type: create, user: ann, entity: customer, values: {name: ACME}, as: acme}
                  - {type: create, user: ann, entity: order, values: {customer: "=acm"}}
            """,
    }
    assert found_in(make_app, registry, files) == {
        ("X103", "/widgets/0/filter", "dashboards/sales.yaml:3:69"),
        ("X103", "/scenarios/0/steps/1/values/customer", "tests/flow.yaml:6:71"),
    }


def test_multi_line_expressions_point_at_the_right_line(make_app: Any, registry: Any) -> None:
    files = customer(
        "vip:\n  type: boolean\n  visible_if: >-\n    name != '' and\n    ownr == me()"
    )
    assert found_in(make_app, registry, files) == {
        ("X103", "/fields/vip/visible_if", "entities/customer.yaml:9:7")
    }


TABLE = """
    table: discount
    inputs: [{name: amount, type: money}, {name: tier, type: text}]
    outputs: [{name: label, type: text}, {name: rate, type: percent}]
    rules:
      - {when: {amount: ">== 10", tier: "-"}, then: {label: big, rate: 0.1}}
      - {when: {amount: "[500 .. 100]", tier: "in ['a', 2]"}, then: {label: x, rate: "5%"}}
      - {when: {amount: "=? > 1", tier: A}, then: {label: "=tier + 'x'", rate: "=amount"}}
    """


def test_table_cells_are_unary_tests_checked_at_the_character(make_app: Any, registry: Any) -> None:
    found = references(make_app({"tables/discount.yaml": TABLE}), registry)
    assert where(found) == {
        ("X101", "/rules/0/when/amount", "tables/discount.yaml:5:24"),  # the second '='
        ("R121", "/rules/1/when/amount", "tables/discount.yaml:6:21"),
        ("X106", "/rules/1/when/tier", "tables/discount.yaml:6:53"),  # the 2
        ("X106", "/rules/1/then/rate", "tables/discount.yaml:6:82"),
    }
    messages = {d.pointer: d.message for d in found}
    assert messages["/rules/0/when/amount"] == "after '>=', '= 10' is not a value"
    assert messages["/rules/1/then/rate"] == "the output is a percentage, but this value is text"
    assert messages["/rules/1/when/amount"] == (
        "the range matches nothing: its lower end 500 is above its upper end 100"
    )


def test_a_filter_over_an_unknown_entity_is_still_checked_for_its_functions(
    make_app: Any, registry: Any
) -> None:
    dashboard = """
        dashboard: sales
        widgets:
          - {type: number, id: n, entity: ordr, filter: "amout > 0 and amount > todai()"}
        """
    found = references(make_app({"dashboards/sales.yaml": dashboard}), registry)
    # the entity is unknown (R102): its fields are not, the function still is
    assert where(found) == {
        ("R102", "/widgets/0/entity", "dashboards/sales.yaml:3:35"),
        ("X104", "/widgets/0/filter", "dashboards/sales.yaml:3:73"),
    }
    unknown = next(d for d in found if d.code == "X104")
    assert unknown.hint == "did you mean 'today'?"


def test_an_automation_without_a_known_record_checks_what_it_can(
    make_app: Any, registry: Any
) -> None:
    rule = """
        automation: on_ordr
        triggers:
          - {type: record_created, entity: ordr}
        conditions:
          - "amount > 0 and record.x == old.y and lenn(name) > 2"
        actions:
          - {type: update, entity: customer, where: "id == record.customer", values: {nme: x}}
        """
    found = references(make_app({"rules/on_ordr.yaml": rule}), registry)
    assert {(d.code, d.pointer) for d in found} == {
        ("R102", "/triggers/0/entity"),
        ("X104", "/conditions/0"),
        ("R103", "/actions/0/values/nme"),
    }
