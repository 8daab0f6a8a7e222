"""Demo data from YAML: an app folder's `seed/demo.yaml` recipe, generated deterministically
and written through the people and record services (docs/seeding.md)."""

from engine.seeding.apply import DEMO_COMMENT, SeedFailed, SeedReport, has_demo_records
from engine.seeding.demo import DEMO_RECIPE, SeedRun, anchor_of, load_recipe, seed_demo
from engine.seeding.generate import Plan, PlannedRecord, RecordRef, TeamRef, generate_plan
from engine.seeding.recipe import SeedSpec, parse_recipe
from engine.seeding.recipe_checks import validate_recipe

__all__ = [
    "DEMO_COMMENT",
    "DEMO_RECIPE",
    "Plan",
    "PlannedRecord",
    "RecordRef",
    "SeedFailed",
    "SeedReport",
    "SeedRun",
    "SeedSpec",
    "TeamRef",
    "anchor_of",
    "generate_plan",
    "has_demo_records",
    "load_recipe",
    "parse_recipe",
    "seed_demo",
    "validate_recipe",
]
