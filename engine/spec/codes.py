"""The stable codes of the spec builder and its checks (R: references and workflow logic,
W: warnings), each with its one-line meaning. Expression problems keep their X codes."""

from __future__ import annotations

__all__ = ["CODES"]

CODES: dict[str, str] = {
    # documents and app-level names
    "R102": "unknown entity",
    "R103": "unknown field",
    "R104": "unknown role",
    "R105": "unknown workflow state",
    "R106": "unknown workflow action (transition name)",
    "R107": "unknown decision table",
    "R108": "unknown decision-table input or output",
    "R109": "unknown notification channel",
    "R110": "unknown alias (`as:` of an earlier step or action)",
    "R111": "the field does not fit this use: wrong type, or a default not among its options",
    "R112": "roles inherit from each other in a cycle",
    "R113": "`admin` is implicit and cannot be declared",
    "R114": "a type from a plugin the app does not list in `plugins:`",
    "R115": "`settings` key that is not a plugin or channel the app uses",
    "R116": "the entity has no workflow (a state, transition or approval is referenced)",
    "R117": "`own`/`team`/`subteams` scope on an entity without an `owner` user field",
    "R118": "formulas depend on each other in a cycle",
    "R119": "a field named like a column the engine keeps itself (`id`, `created_at`, …)",
    "R120": "two widgets of one dashboard have the same id",
    "R121": "a lower bound above the upper one (`min` > `max`, `min_length` > `max_length`, …)",
    "R122": "a cron schedule with a field out of range (`75 9 * * *`)",
    # automation actions
    "R130": "a `for_each` with nothing to iterate (no `entity`, `periods`, `members`, `teams`)",
    "R131": "a `for_each` with two sources to iterate (e.g. `entity` and `periods`)",
    "R132": "`where` on a `for_each` over periods, members or teams (it selects records)",
    "R140": "a `calendar:` day that does not exist (`2026-02-30`)",
    "R141": "a `calendar:` day listed both as a holiday and as a working day",
    # workflow logic
    "R201": "a workflow needs exactly one initial state",
    "R202": "state not reachable from the initial state",
    "R203": "transition out of a final state",
    "R204": "approval state with no `approve` transition out",
    "R205": "approval step without approvers",
    "R206": "completion mode needs its number (`n_of_m`: count, `percentage`: percent)",
    "R207": "`reject` and `send_back` must ask for a comment",
    "R208": "approval `allow` lists an action that is not an approval action",
    "R209": "`state_map` maps from a state that still exists",
    "R210": "transition name is an approval action that never changes state",
    "R211": "records in the database are in a state the workflow no longer has (unmapped)",
    # warnings
    "W120": "label uses a locale the app does not list in `locales`",
    "W121": "non-final state with no transition out",
    "W122": "`send_back`/`reject` transition without a required comment (`comment: optional`)",
    "W123": "the app's database could not be read: states in use were not checked",
}
"""Every R and W code this package emits (docs and the final report list them)."""
