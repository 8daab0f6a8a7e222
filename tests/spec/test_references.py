"""Reference checks (R and W codes): every name that refers to something, with its location
and a "did you mean" from the names that exist there."""

from __future__ import annotations

from typing import Any

from minimal_app import codes, references, where

from engine.diagnostics import Severity
from engine.spec.build import build_app
from engine.spec.folder import load_app_folder
from engine.spec.references import validate_app

APP_WITH_RATING = """
    app: shop
    title: Shop
    locales: [en, zh]
    roles:
      clerk: {label: Clerk}
      boss: {label: Boss, inherits: [clerk]}
    """

SMALL_ORDER = """
    entity: order
    fields:
      customer: {type: link, to: customer}
      owner: {type: user}
      amount: {type: money}
      reason: {type: long_text}
    workflow:
      states:
        draft: {initial: true}
        review:
          approval: {approvers: [{type: role, role: boss}]}
        done: {final: true}
        rejected: {final: true}
      transitions:
        submit: {from: draft, to: review}
        approve: {from: review, to: done}
        reject: {from: review, to: rejected, comment: required}
    """


def test_the_minimal_app_has_no_reference_problems(make_app: Any, registry: Any) -> None:
    assert references(make_app(), registry) == []


def test_link_to_an_unknown_entity_suggests_the_closest(make_app: Any, registry: Any) -> None:
    order = SMALL_ORDER.replace("to: customer}", "to: custmer}")
    found = references(make_app({"entities/order.yaml": order}), registry)
    assert where(found) == {("R102", "/fields/customer/to", "entities/order.yaml:3:30")}
    assert found[0].hint == "did you mean 'customer'?"
    assert found[0].message == "unknown entity 'custmer'"


def test_fields_named_by_forms_views_indexes_and_validations(make_app: Any, registry: Any) -> None:
    order = (
        SMALL_ORDER
        + """
    validations:
      - {rule: "amount > 0", message: positive, fields: [amont]}
    indexes:
      - [owner, nope]
      - {fields: [amount, ownr]}
    forms:
      default: {sections: [{fields: [customer, amout]}]}
    views:
      all: {type: table, columns: [amount, custome], sort: [-creatd_at]}
      board: {type: kanban, group_by: amount, card: [amount]}
      cal: {type: calendar, date_field: owner}
    """
    )
    found = references(make_app({"entities/order.yaml": order}), registry)
    assert where(found) == {
        ("R103", "/validations/0/fields/0", "entities/order.yaml:20:54"),
        ("R103", "/indexes/0/1", "entities/order.yaml:22:13"),
        ("R103", "/indexes/1/fields/1", "entities/order.yaml:23:23"),
        ("R103", "/forms/default/sections/0/fields/1", "entities/order.yaml:25:44"),
        ("R103", "/views/all/columns/1", "entities/order.yaml:27:40"),
        ("R103", "/views/all/sort/0", "entities/order.yaml:27:57"),
        ("R111", "/views/board/group_by", "entities/order.yaml:28:35"),
        ("R111", "/views/cal/date_field", "entities/order.yaml:29:37"),
    }
    hints = {d.pointer: d.hint for d in found}
    assert hints["/views/all/sort/0"] == "did you mean 'created_at'?"
    assert hints["/validations/0/fields/0"] == "did you mean 'amount'?"


def test_roles_inherit_unknown_cyclic_and_admin(make_app: Any, registry: Any) -> None:
    app = """
        app: shop
        title: Shop
        locales: [en, zh]
        roles:
          clerk: {label: Clerk, inherits: [boss]}
          boss: {label: Boss, inherits: [clerk, manger]}
          admin: {label: Admin}
        """
    found = references(make_app({"app.yaml": app}), registry)
    assert where(found) == {
        ("R112", "/roles/clerk/inherits", "app.yaml:5:35"),
        ("R104", "/roles/boss/inherits/1", "app.yaml:6:41"),
        ("R113", "/roles/admin", "app.yaml:7:3"),
    }
    cycle = next(d for d in found if d.code == "R112")
    assert cycle.message == "roles inherit from each other in a cycle: clerk → boss → clerk"


def test_permission_roles_fields_and_owner_scopes(make_app: Any, registry: Any) -> None:
    customer = """
        entity: customer
        fields:
          name: {type: text}
        permissions:
          clerk: {read: own, fields: {nme: read}}
          bos: {read: all}
          admin: {read: all}
        """
    found = references(make_app({"entities/customer.yaml": customer}), registry)
    # `admin` needs no declaration: listing it is fine
    assert where(found) == {
        ("R117", "/permissions/clerk/read", "entities/customer.yaml:5:17"),
        ("R103", "/permissions/clerk/fields/nme", "entities/customer.yaml:5:31"),
        ("R104", "/permissions/bos", "entities/customer.yaml:6:3"),
    }
    assert next(d for d in found if d.code == "R104").hint == "did you mean 'boss'?"


def test_workflow_names_in_transitions_states_and_approvers(make_app: Any, registry: Any) -> None:
    order = SMALL_ORDER.replace(
        "submit: {from: draft, to: review}",
        "submit: {from: draf, to: review, roles: [clerc], requires: [amout], set: {nope: 1}}",
    ).replace("draft: {initial: true}", "draft: {initial: true, editable: [amount, x]}")
    found = references(make_app({"entities/order.yaml": order}), registry)
    # the misspelt `from` hides the graph: no reachability errors pile up on top of R105
    assert where(found) == {
        ("R103", "/workflow/states/draft/editable/1", "entities/order.yaml:9:47"),
        ("R105", "/workflow/transitions/submit/from", "entities/order.yaml:15:20"),
        ("R104", "/workflow/transitions/submit/roles/0", "entities/order.yaml:15:46"),
        ("R103", "/workflow/transitions/submit/requires/0", "entities/order.yaml:15:65"),
        ("R103", "/workflow/transitions/submit/set/nope", "entities/order.yaml:15:79"),
    }
    assert next(d for d in found if d.code == "R105").hint == "did you mean 'draft'?"


def test_rollup_parts_refer_to_the_source(make_app: Any, registry: Any) -> None:
    customer = """
        entity: customer
        fields:
          name: {type: text}
          owner: {type: user}
          a: {type: rollup, source: ordr, link: customer, aggregate: count}
          b: {type: rollup, source: order, link: owner, aggregate: sum, field: amout}
        """
    found = references(make_app({"entities/customer.yaml": customer}), registry)
    assert where(found) == {
        ("R102", "/fields/a/source", "entities/customer.yaml:5:29"),  # link: unchecked
        ("R111", "/fields/b/link", "entities/customer.yaml:6:42"),
        ("R103", "/fields/b/field", "entities/customer.yaml:6:72"),
    }


def test_automation_names(make_app: Any, registry: Any) -> None:
    rule = """
        automation: big_order
        triggers:
          - {type: record_updated, entity: order, changed: [amout], to: {statu: done}}
          - {type: transitioned, entity: order, action: aprove, to: [don]}
          - {type: date, entity: order, field: amount}
        actions:
          - {type: lookup, table: discont, as: t}
          - {type: lookup, table: discount, inputs: {amont: 1}, as: u}
          - {type: transition, action: submt}
          - {type: create, entity: customer, values: {nam: x}}
          - {type: notify, to: [{type: role, role: bos}], title: hi}
        """
    found = references(make_app({"rules/big_order.yaml": rule}), registry)
    assert where(found) == {
        ("R103", "/triggers/0/changed/0", "rules/big_order.yaml:3:53"),
        ("R103", "/triggers/0/to/statu", "rules/big_order.yaml:3:66"),
        ("R106", "/triggers/1/action", "rules/big_order.yaml:4:49"),
        ("R105", "/triggers/1/to/0", "rules/big_order.yaml:4:62"),
        ("R111", "/triggers/2/field", "rules/big_order.yaml:5:40"),
        ("R107", "/actions/0/table", "rules/big_order.yaml:7:27"),
        ("R108", "/actions/1/inputs/amont", "rules/big_order.yaml:8:46"),
        ("R106", "/actions/2/action", "rules/big_order.yaml:9:32"),
        ("R103", "/actions/3/values/nam", "rules/big_order.yaml:10:47"),
        ("R104", "/actions/4/to/0/role", "rules/big_order.yaml:11:44"),
    }


def test_dashboards_tables_and_scenarios(make_app: Any, registry: Any) -> None:
    files = {
        "dashboards/sales.yaml": """
            dashboard: sales
            roles: [boss, clrk]
            widgets:
              - {type: bar, id: a, entity: ordr, aggregate: count}
              - {type: bar, id: b, entity: order, aggregate: sum, field: amout,
                 group_by: {field: ownr, bucket: month}}
            """,
        "tables/discount.yaml": """
            table: discount
            inputs: [{name: amount, type: money}]
            outputs: [{name: label, type: text}]
            rules:
              - {when: {amont: "-"}, then: {lable: x}}
            """,
        "tests/flow.yaml": """
            suite: flow
            scenarios:
              - name: s
                steps:
                  - {type: create, user: ann, entity: order, values: {amout: 1}, as: o}
                  - {type: action, user: ann, record: p, action: submit}
                  - {type: action, user: ann, record: o, action: sumbit}
            """,
    }
    found = references(make_app(files), registry)
    assert where(found) == {
        ("R104", "/roles/1", "dashboards/sales.yaml:2:15"),
        ("R102", "/widgets/0/entity", "dashboards/sales.yaml:4:32"),
        ("R103", "/widgets/1/field", "dashboards/sales.yaml:5:62"),
        ("R103", "/widgets/1/group_by/field", "dashboards/sales.yaml:6:24"),
        ("R108", "/rules/0/when/amont", "tables/discount.yaml:5:13"),
        ("R108", "/rules/0/then/lable", "tables/discount.yaml:5:33"),
        ("R103", "/scenarios/0/steps/0/values/amout", "tests/flow.yaml:5:59"),
        ("R110", "/scenarios/0/steps/1/record", "tests/flow.yaml:6:43"),
        ("R106", "/scenarios/0/steps/2/action", "tests/flow.yaml:7:54"),
    }


def test_plugin_types_plugins_and_settings(make_app: Any, registry: Any) -> None:
    app = (
        APP_WITH_RATING
        + """
    plugins: [ratng]
    settings: {rating: {icon: star}, emial: {}}
    """
    )
    customer = """
        entity: customer
        fields:
          name: {type: text}
          stars: {type: rating}
        """
    found = references(make_app({"app.yaml": app, "entities/customer.yaml": customer}), registry)
    assert where(found) == {
        ("P130", "/plugins/0", "app.yaml:8:11"),
        ("R115", "/settings/rating", "app.yaml:9:12"),
        ("R115", "/settings/emial", "app.yaml:9:34"),
        ("R114", "/fields/stars/type", "entities/customer.yaml:4:17"),
    }
    by_code = {d.pointer: d for d in found}
    assert by_code["/plugins/0"].hint == "did you mean 'rating'?"
    assert by_code["/settings/emial"].hint == "did you mean 'email'?"


def test_listing_the_plugin_makes_its_types_usable(make_app: Any, registry: Any) -> None:
    app = (
        APP_WITH_RATING
        + """
    plugins: [rating]
    settings: {rating: {icon: heart}}
    """
    )
    customer = """
        entity: customer
        fields:
          name: {type: text}
          stars: {type: rating}
        """
    files = {"app.yaml": app, "entities/customer.yaml": customer}
    assert references(make_app(files), registry) == []


def test_label_locales_not_listed_are_warnings(make_app: Any, registry: Any) -> None:
    customer = """
        entity: customer
        label: {en: Customer, fr: Client}
        fields:
          name: {type: text, label: {de: Name}}
        """
    found = references(make_app({"entities/customer.yaml": customer}), registry)
    assert where(found) == {
        ("W120", "/label/fr", "entities/customer.yaml:2:23"),
        ("W120", "/fields/name/label/de", "entities/customer.yaml:4:30"),
    }
    assert all(d.severity is Severity.WARNING for d in found)


def test_documents_that_failed_are_not_reported_again(make_app: Any, registry: Any) -> None:
    folder = load_app_folder(make_app())
    app, _ = build_app(folder, registry, {"entities/customer.yaml": {""}})
    assert app is not None
    assert "customer" not in app.entities
    assert app.is_unbuilt("entity", "customer")
    # order links to customer, the suite creates one: nothing cascades from the skipped file
    assert codes(validate_app(app, registry, folder.sources)) == []


def test_fields_that_failed_are_not_reported_again(make_app: Any, registry: Any) -> None:
    folder = load_app_folder(make_app())
    # `amount` of order is used by forms, views, validations, permissions, dashboards …
    app, _ = build_app(folder, registry, {"entities/order.yaml": {"/fields/amount"}})
    assert app is not None and app.entities["order"].unbuilt_fields == {"amount"}
    assert codes(validate_app(app, registry, folder.sources)) == []


def test_widget_ids_are_unique_and_sorts_name_fields(make_app: Any, registry: Any) -> None:
    dashboard = """
        dashboard: sales
        widgets:
          - {type: number, id: total, entity: order, aggregate: sum, field: amount}
          - {type: bar, id: total, entity: order, group_by: owner, sort: "-amout"}
          - {type: bar, entity: order, group_by: owner, sort: created_at}
        """
    found = references(make_app({"dashboards/sales.yaml": dashboard}), registry)
    assert where(found) == {
        ("R120", "/widgets/1/id", "dashboards/sales.yaml:4:21"),
        ("R103", "/widgets/1/sort", "dashboards/sales.yaml:4:67"),
    }
    duplicate = next(d for d in found if d.code == "R120")
    assert duplicate.related == ("dashboards/sales.yaml:3:24",)
    assert next(d for d in found if d.code == "R103").hint == "did you mean 'amount'?"


def test_unknown_fields_list_the_entitys_own_fields_first(make_app: Any, registry: Any) -> None:
    customer = """
        entity: customer
        fields:
          zeta: {type: text}
          name: {type: text}
        title_field: omega
        """
    (problem,) = references(make_app({"entities/customer.yaml": customer}), registry)
    assert problem.hint == (
        "known: name, zeta, id, created_at, created_by, updated_at, updated_by, version"
    )


def test_one_owner_scope_problem_per_role(make_app: Any, registry: Any) -> None:
    customer = """
        entity: customer
        fields:
          name: {type: text}
        permissions:
          clerk: {read: own, update: own, delete: all}
          boss: {export: team}
        """
    found = references(make_app({"entities/customer.yaml": customer}), registry)
    assert where(found) == {
        ("R117", "/permissions/clerk/read", "entities/customer.yaml:5:17"),
        ("R117", "/permissions/boss/export", "entities/customer.yaml:6:18"),
    }
    clerk = next(d for d in found if d.pointer == "/permissions/clerk/read")
    assert clerk.message.startswith("'read: own' and 'update: own' need an 'owner' user field")
