"""Rating: a star-rating field type, the example plugin of docs/plugins.md.

Drop a module like this one into a project's top-level `plugins/` folder and every app of the
project may use its field type (`type: rating`); app.yaml configures it under
`settings.rating`. The JSON Schema, `check` and the reference docs pick it up on their own.
"""

from __future__ import annotations

from engine.plugins import FieldType, PluginInfo, hookimpl


@hookimpl
def formwork_plugin() -> PluginInfo:
    """Describe the plugin and the keys of `settings.rating` in app.yaml."""
    return PluginInfo(
        name="rating",
        description="A star-rating field type.",
        settings_schema={
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "icon": {
                    "type": "string",
                    "enum": ["star", "heart", "circle"],
                    "default": "star",
                    "description": "The symbol every rating field shows.",
                },
                "color": {
                    "$ref": "#/definitions/color",
                    "description": "The colour of a filled symbol.",
                },
            },
        },
        module=__name__,
    )


@hookimpl
def formwork_field_types() -> list[FieldType]:
    """The `rating` field type."""
    return [
        FieldType(
            name="rating",
            description="A star rating from 1 to `max` (half stars with `allow_half`).",
            # A number rather than an integer: half stars (2.5) are ratings too.
            value_kind="number",
            options_schema={
                "max": {
                    "type": "integer",
                    "minimum": 3,
                    "maximum": 10,
                    "default": 5,
                    "description": "The number of stars (3–10).",
                },
                "allow_half": {
                    "type": "boolean",
                    "default": False,
                    "description": "Accept half stars (2.5).",
                },
            },
        )
    ]
