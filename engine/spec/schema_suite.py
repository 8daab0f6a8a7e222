"""The scenario-suite nodes of the app-folder JSON Schema: `suite_file`, scenarios and the
step family (`type:` create | update | delete | action | advance_clock | run_worker | expect |
expect_notification | expect_error)."""

from __future__ import annotations

from engine.spec.schema_terms import Schema, list_of, obj, ref, typed_family

__all__ = ["suite_definitions"]

ISO_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _step_keys() -> dict[str, Schema]:
    return {
        "user": ref("username", "Who acts (default: `admin`)."),
        "entity": ref("id", "The entity."),
        "record": ref("id", "A record named earlier with `as`."),
        "values": ref("values", "Field → value (`=name` refers to a record named with `as`)."),
        "as": ref("id", "Names the created record for later steps."),
        "action": ref("id", "The workflow action taken."),
        "comment": {"type": "string", "description": "The comment sent with the action."},
        "to_user": ref("username", "The user a `transfer` or `add_approver` goes to."),
        "where": ref("expression", "Which records."),
        "count": {"type": "integer", "minimum": 0, "description": "How many are expected."},
    }


def _pick(keys: dict[str, Schema], *names: str) -> Schema:
    return {name: keys[name] for name in names}


Variants = dict[str, tuple[str, Schema, list[str]]]


def _acting_steps(keys: dict[str, Schema]) -> Variants:
    return {
        "create": (
            "Create a record as a user.",
            _pick(keys, "user", "entity", "values", "as"),
            ["entity"],
        ),
        "update": (
            "Update a record as a user.",
            _pick(keys, "user", "record", "values"),
            ["record", "values"],
        ),
        "delete": ("Delete a record as a user.", _pick(keys, "user", "record"), ["record"]),
        "action": (
            "Take a workflow action on a record as a user.",
            _pick(keys, "user", "record", "action", "comment", "values", "to_user"),
            ["record", "action"],
        ),
        "advance_clock": (
            "Move the scenario's clock forward (timers and schedules fire).",
            {"by": ref("duration", "How far (`49h`).")},
            ["by"],
        ),
        "run_worker": ("Run the background worker until it has nothing left to do.", {}, []),
    }


def _checking_steps(keys: dict[str, Schema]) -> Variants:
    mutating = ("user", "entity", "record", "values", "action", "comment", "to_user")
    return {
        "expect": (
            "Check a record's values (`record` + `values`), or how many records match "
            "(`entity` + `where` + `count`).",
            _pick(keys, "record", "values", "entity", "where", "count"),
            [],
        ),
        "expect_notification": (
            "Check that a user received a notification.",
            {
                **_pick(keys, "user", "count"),
                "contains": {"type": "string", "description": "Text the notification contains."},
                "channel": ref("channel_name", "The channel it was sent on."),
            },
            ["user"],
        ),
        "expect_error": (
            "Check that a mutating step (create, update, delete or action: the keys say "
            "which) fails with an error code.",
            {
                **_pick(keys, *mutating),
                "code": {
                    "type": "string",
                    "pattern": "^[a-z][a-z0-9_]*$",
                    "description": "The expected error code (`forbidden`, `validation`, …).",
                },
                "contains": {"type": "string", "description": "Text the message contains."},
            },
            ["code"],
        ),
    }


def _steps() -> dict[str, Schema]:
    keys = _step_keys()
    variants = {**_acting_steps(keys), **_checking_steps(keys)}
    defs = typed_family("step", "Scenario step", "One step of a scenario.", {}, variants)
    defs["step_expect"]["if"] = {"required": ["record"]}
    defs["step_expect"]["then"] = {"required": ["values"]}
    defs["step_expect"]["else"] = {"required": ["entity", "count"]}
    return defs


def suite_definitions() -> dict[str, Schema]:
    """The suite file, scenarios and steps."""
    scenario = obj(
        "Scenario",
        "A named story of steps run against a fresh database and a controllable clock.",
        {
            "name": {"type": "string", "minLength": 1, "description": "What the scenario shows."},
            "description": ref("label", "More about the scenario."),
            "clock": {
                "type": "string",
                "pattern": ISO_DATETIME,
                "description": "The clock at the start (ISO 8601 with offset).",
            },
            "steps": list_of({"$ref": "#/definitions/step"}, "The steps, in order.", minItems=1),
        },
        ["name", "steps"],
    )
    suite = obj(
        "Suite file",
        "Scenario tests of the app itself, run by `run.py test`.",
        {
            "suite": ref("id", "The suite's id; this first key makes the file a `suite` file."),
            "label": ref("label", "The suite's name."),
            "description": ref("label", "What the suite covers."),
            "scenarios": list_of({"$ref": "#/definitions/scenario"}, "The scenarios.", minItems=1),
        },
        ["suite", "scenarios"],
    )
    return {**_steps(), "scenario": scenario, "suite_file": suite}
