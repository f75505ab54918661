"""The JSON Schema of plan.json (``aoizora.plan/v1``, docs/plan-schema.md) and its validation.

The schema checks the structure (types, required fields, positive integer mesh sizes, unique axis
names, coordinates and ids that are non-negative integers); ``Plan.validate`` checks what a
schema cannot: that the coordinates exist on the plan's slice and belong to the device ids, that
the candidate agrees with the mesh, that the model, resolution, frames and attention are known.
Every error names the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SCHEMA_ID = "aoizora.plan/v1"
_MAX_INT = 2**31 - 1  # no slice, mesh axis or frame count comes near this

_NAME = {"type": "string", "minLength": 1}
_COUNT = {"type": "integer", "minimum": 1, "maximum": _MAX_INT}
_INDEX = {"type": "integer", "minimum": 0, "maximum": _MAX_INT}
_SECONDS = {"type": ["number", "null"], "minimum": 0}
_TEXT_OR_NULL = {"type": ["string", "null"]}
# A step measured on the devices present (--measure): median seconds and every timed run, or
# {"error": why} for a row that could not run.
_MEASURED = {
    "type": ["object", "null"],
    "anyOf": [{"required": ["seconds", "runs"]}, {"required": ["error"]}],
    "properties": {
        "seconds": {"type": "number", "exclusiveMinimum": 0},
        "runs": {"type": "array", "minItems": 1, "items": {"type": "number", "minimum": 0}},
        "min_seconds": {"type": "number", "minimum": 0},
        "max_seconds": {"type": "number", "minimum": 0},
    },
}


def existing_solutions() -> tuple[str, ...]:
    """Names of the existing systems' rows: every model family's recipes (its registry)."""
    from aoizora.models import families

    return tuple(name for family in families() for name in family.recipe_names)


def baseline_names() -> tuple[str, ...]:
    """baselines[].name as ``aoizora plan`` writes them (docs/plan-schema.md, docs/planner.md):
    the planner's own rows (a topology-blind automatic choice, our sharding under JAX's device
    orders), existing solutions as their users get them, and the exhaustive oracle (--oracle).
    Not enforced on read: a plan written by an older AoiZora (other baseline names) still
    loads."""
    from aoizora.planner.baselines import PLANNER_ROWS

    return (*PLANNER_ROWS, *existing_solutions(), "oracle")


PLAN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": SCHEMA_ID,
    "type": "object",
    "required": [
        "schema",
        "model",
        "resolution",
        "frames",
        "topology",
        "compiler",
        "candidate",
        "mesh",
        "device_order",
        "device_ids",
        "predicted",
    ],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "model": _NAME,
        "resolution": _NAME,
        "frames": {"type": ["integer", "null"], "minimum": 1, "maximum": _MAX_INT},
        "batch": _COUNT,
        "topology": _NAME,
        "compiler": _NAME,
        "attention": _NAME,  # the known values are checked by Plan.validate
        "compute_source": _NAME,
        "candidate": _NAME,
        "mesh": {
            "type": "object",
            "required": ["axis_names", "shape"],
            "properties": {
                "axis_names": {"type": "array", "items": _NAME, "uniqueItems": True},
                "shape": {"type": "array", "items": _COUNT, "minItems": 0},
            },
        },
        "weight_sharding": {"type": "array", "items": _NAME, "uniqueItems": True},
        "partition_specs": {"type": "object"},
        "device_order": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "array", "minItems": 3, "maxItems": 4, "items": _INDEX},
        },
        "device_ids": {"type": "array", "minItems": 1, "items": _INDEX},
        "predicted": {
            "type": "object",
            "required": ["seconds"],
            "properties": {"seconds": {"type": "number", "minimum": 0}},
        },
        "runner_ups": {
            "type": "array",
            "items": {"type": "object", "properties": {"seconds": _SECONDS, "measured": _MEASURED}},
        },
        "calibration": {
            "type": ["object", "null"],
            "required": ["file", "from_file", "from_table"],
            "properties": {
                "file": _TEXT_OR_NULL,
                "from_file": {"type": "object"},
                "from_table": {"type": "array", "items": _NAME},
            },
        },
        "measured": {
            "type": ["object", "null"],
            # measured, or {"error": why, ...} when the measurement failed (the plan stands)
            "anyOf": [
                {"required": ["seconds", "runs", "winner", "devices"]},
                {"required": ["error"]},
            ],
            "properties": {
                "seconds": {"type": "number", "exclusiveMinimum": 0},
                "runs": {"type": "array", "minItems": 1, "items": {"type": "number"}},
                "winner": {"type": "object", "required": ["name", "candidate", "seconds"]},
                "devices": {"type": ["string", "null"]},
            },
        },
        "baselines": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "candidate",
                    "placement",
                    "seconds",
                    "note",
                    "existing_solution",
                ],
                "properties": {
                    "name": _NAME,
                    "candidate": _TEXT_OR_NULL,
                    "placement": {"type": "string"},
                    "seconds": _SECONDS,
                    "fits": {"type": ["boolean", "null"]},
                    "note": {"type": "string"},
                    "existing_solution": {"type": "boolean"},
                    "cfg": {"type": "string"},
                    "source": {"type": "string"},
                    "measured": _MEASURED,
                },
            },
        },
        "stats": {"type": "object"},
    },
}


def field_name(path: Iterable[Any]) -> str:
    """``mesh.shape[1]`` for the path ("mesh", "shape", 1); ``(top level)`` for ()."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate_document(obj: Any, source: str) -> None:
    """ValueError naming ``source`` and the field of every schema violation (the first few)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(PLAN_SCHEMA)
    errors = sorted(validator.iter_errors(obj), key=lambda e: (list(map(str, e.path)), e.message))
    if not errors:
        return
    shown = [_describe(e) for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    raise ValueError(f"{source}: not a valid plan: " + "; ".join(shown) + more)


def _describe(error: Any) -> str:
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            return f"field {field_name([*path, missing[0]])}: missing (required)"
    return f"field {field_name(path)}: {_short(error.message)}"


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
