"""What existing systems run for Wan 2.1, as their users get it (shared/reference/baselines.md).

- ``maxdiffusion-default``: MaxDiffusion's ``base_wan_14b.yml`` as shipped:
  ``ici_context_parallelism: -1`` (every chip on the context axis), Q sharded and K/V gathered
  (``attention_sharding_uniform``: our ``kv_gather``), weights sharded over context
  (``embed -> context``), the two guidance passes as one batch of two on the same chips
  (``ici_data_parallelism: 1``); mesh ``[data, fsdp, context, tensor]`` from
  ``mesh_utils.create_device_mesh(..., allow_split_physical_axes=False)``.
- ``maxdiffusion-readme``: the README's Wan 2.1 example, ``ici_data_parallelism=2
  ici_context_parallelism=2`` on 4 chips, generalised to data 2 x context N/2: CFG as data
  parallel, the rest as above.
- ``wan-official``: the Wan 2.1 README with xDiT USP: 1.3B with ``--ring_size N``
  (``--ulysses_size 1``, the efficiency table's footnote), every other model with
  ``--ulysses_size N`` when the heads allow it (generate.py asserts ``num_heads %
  ulysses_size == 0``), else the largest Ulysses degree that divides both, ring for the rest
  (``ulysses_size * ring_size == world_size``), said so in the note; ``--dit_fsdp`` (weights over
  every rank); CFG as two sequential forward passes per step (``wan/text2video.py``); devices in
  id order (one process per device, rank = device id).
"""

from __future__ import annotations

from typing import Any

from aoizora.baselines.recipes import CREATE_DEVICE_MESH, ID_ORDER
from aoizora.models.candidate import Candidate
from aoizora.models.family import Recipe, Scenario

# How a recipe runs the two guidance passes.
CFG_PARALLEL = "parallel"  # a cfg mesh axis: each pass on half the chips
CFG_BATCH = "batch"  # both passes as one batch of two on every chip
CFG_SEQUENTIAL = "sequential"  # one pass after the other on every chip (two forward programs)

MAXDIFFUSION_AXES = ("data", "fsdp", "context", "tensor")

MAXDIFFUSION_SOURCE = (
    "AI-Hypercomputer/maxdiffusion src/maxdiffusion/configs/base_wan_14b.yml, "
    "max_utils.create_device_mesh"
)
MAXDIFFUSION_README_SOURCE = "AI-Hypercomputer/maxdiffusion README (Wan 2.1 example)"
WAN_OFFICIAL_SOURCE = "Wan-Video/Wan2.1 README and generate.py (xDiT USP), wan/text2video.py"

RECIPES = ("maxdiffusion-default", "maxdiffusion-readme", "wan-official")

SEQUENTIAL_VARIANT = (("cfg_passes", CFG_SEQUENTIAL),)
SEQUENTIAL_CFG_NOTE = (
    "CFG as two sequential passes: two forward programs per step, FSDP gathers the weights twice"
)


def _make(degrees: list[tuple[str, int]], weights: list[str]) -> Candidate:
    kept = [(a, d) for a, d in degrees if d > 1]
    names = [a for a, _ in kept]
    return Candidate(tuple(kept), tuple(a for a in weights if a in names))


def _check(model: str, num_devices: int, cand: Candidate, tokens: int | None) -> str:
    """'' when ``cand`` is valid for the model and workload, else why not."""
    from aoizora.models.wan.strategies import validate

    try:
        validate(model, num_devices, cand, tokens)
    except ValueError as e:
        return str(e)
    return ""


def _cannot(name: str, cfg: str, placement: str, source: str, why: str, **kw: Any) -> Recipe:
    return Recipe(name, None, cfg, placement, source, f"cannot run: {why}", **kw)


def maxdiffusion_default(model: str, num_devices: int, tokens: int | None = None) -> Recipe:
    name, source = "maxdiffusion-default", MAXDIFFUSION_SOURCE
    shape = (1, 1, num_devices, 1)
    cand = _make([("kv_gather", num_devices)], ["kv_gather"])
    why = _check(model, num_devices, cand, tokens)
    if why:
        return _cannot(name, CFG_BATCH, CREATE_DEVICE_MESH, source, why)
    note = f"ici_context_parallelism=-1 ({num_devices}), K/V all-gathered, both CFG passes batched"
    return Recipe(name, cand, CFG_BATCH, CREATE_DEVICE_MESH, source, note, shape, MAXDIFFUSION_AXES)


def maxdiffusion_readme(model: str, num_devices: int, tokens: int | None = None) -> Recipe:
    name, source = "maxdiffusion-readme", MAXDIFFUSION_README_SOURCE
    if num_devices % 2:
        return _cannot(
            name,
            CFG_PARALLEL,
            CREATE_DEVICE_MESH,
            source,
            f"ici_data_parallelism=2 needs an even chip count, the slice has {num_devices}",
        )
    shape = (2, 1, num_devices // 2, 1)
    cand = _make([("cfg", 2), ("kv_gather", num_devices // 2)], ["kv_gather"])
    why = _check(model, num_devices, cand, tokens)
    if why:
        return _cannot(name, CFG_PARALLEL, CREATE_DEVICE_MESH, source, why)
    note = f"ici_data_parallelism=2 x ici_context_parallelism={num_devices // 2}"
    return Recipe(
        name, cand, CFG_PARALLEL, CREATE_DEVICE_MESH, source, note, shape, MAXDIFFUSION_AXES
    )


def _is_1_3b(model: str) -> bool:
    return "1.3b" in model


def wan_official(model: str, num_devices: int, tokens: int | None = None) -> Recipe:
    from aoizora.models.wan.config import get_config

    name, source = "wan-official", WAN_OFFICIAL_SOURCE
    heads = get_config(model).num_heads
    note = ""
    if _is_1_3b(model):
        ring, ulysses = num_devices, 1
        note = "--ring_size N --ulysses_size 1 (README: 1.3B on 8 GPUs)"
    else:
        ulysses = max(
            d for d in range(1, num_devices + 1) if num_devices % d == 0 and heads % d == 0
        )
        ring = num_devices // ulysses
        note = f"--ulysses_size {ulysses}"
        if ulysses != num_devices:
            note = (
                f"--ulysses_size {num_devices} cannot run: {heads} heads are not divisible by "
                f"{num_devices} (generate.py asserts it); ran the largest valid "
                f"--ulysses_size {ulysses} with --ring_size {ring}"
            )
    cand = _make([("ring", ring), ("ulysses", ulysses)], ["ring", "ulysses"])
    why = _check(model, num_devices, cand, tokens)
    if why:
        return _cannot(name, CFG_SEQUENTIAL, ID_ORDER, source, why)
    return Recipe(
        name,
        cand,
        CFG_SEQUENTIAL,
        ID_ORDER,
        source,
        note + "; --dit_fsdp",
        variant=SEQUENTIAL_VARIANT,
        variant_note=SEQUENTIAL_CFG_NOTE,
    )


_BUILDERS = {
    "maxdiffusion-default": maxdiffusion_default,
    "maxdiffusion-readme": maxdiffusion_readme,
    "wan-official": wan_official,
}


def recipe(name: str, model: str, num_devices: int, tokens: int | None = None) -> Recipe:
    """The recipe ``name`` (one of RECIPES) for ``model`` on ``num_devices`` devices."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown recipe {name!r}; allowed: {', '.join(RECIPES)}")
    return _BUILDERS[name](model, num_devices, tokens)


def recipes(model: str, num_devices: int, tokens: int | None = None) -> list[Recipe]:
    return [recipe(n, model, num_devices, tokens) for n in RECIPES]


def scenario_recipes(scenario: Scenario, tokens: int, num_devices: int) -> list[Recipe]:
    return recipes(scenario.model, num_devices, tokens)
