"""What existing systems run for FLUX.1, as their users get it.

- ``maxdiffusion-default``: MaxDiffusion's ``base_flux_dev.yml`` as shipped
  (AI-Hypercomputer/maxdiffusion ``src/maxdiffusion/configs/base_flux_dev.yml``):
  ``mesh_axes: ['data', 'fsdp', 'tensor']``, ``ici_data_parallelism: -1`` (every chip on data),
  ``ici_fsdp_parallelism: 1``, ``ici_tensor_parallelism: 1``, ``per_device_batch_size: 1``,
  ``allow_split_physical_axes: False``; logical rules ``['activation_batch', ['data', 'fsdp']]``,
  ``['embed', 'fsdp']``, ``['heads', 'tensor']``. So: one image per chip, weights replicated
  (fsdp and tensor have size 1): our ``dp=N``. The README's Flux table calls it "DDP" (Flux-dev
  v6e-4 DDP batch 4). It has no sequence parallelism, so it cannot run a batch that does not
  split into whole images per chip.
- ``maxdiffusion-fsdp``: the README's command that "shards the model across devices"
  (``generate_flux.py ... per_device_batch_size=1 ici_data_parallelism=1
  ici_fsdp_parallelism=-1``; the README's Flux table: Flux-schnell v6e-4 FSDP batch 4): every
  chip on ``fsdp``, the batch split over ``['data', 'fsdp']`` and the weights' ``embed`` dim over
  ``fsdp``: our ``dp=N|w:dp``.
  Both MaxDiffusion meshes come from ``max_utils.create_device_mesh``, i.e.
  ``mesh_utils.create_device_mesh(..., allow_split_physical_axes=False)``.
- ``xdit-usp``: xDiT's recommendation for FLUX.1 (xdit-project/xDiT
  ``docs/performance/flux.md``): on NVLink machines "the optimal strategy with USP is to apply
  ulysses_degree=#gpu" (8xA100, schnell 1024px; "on 4xH100, Ulysses performs best"), no CFG
  parallel ("Flux.1 does not utilize Classifier-Free Guidance"); ``examples/run.sh`` runs Flux
  with ``--ulysses_degree 2 --ring_degree 1`` on 2 GPUs. Weights replicated, one process per
  device (rank = device id), the batch on every sequence-parallel group. Ulysses splits the 24
  heads, so where 24 is not divisible by the chip count the largest Ulysses degree that divides
  both runs with ring for the rest (``ulysses_degree * ring_degree`` = world size, xDiT's USP
  hybrid), said so in the note.
"""

from __future__ import annotations

from aoizora.baselines.recipes import CREATE_DEVICE_MESH, ID_ORDER
from aoizora.models.candidate import Candidate
from aoizora.models.family import Recipe, Scenario

RECIPES = ("maxdiffusion-default", "maxdiffusion-fsdp", "xdit-usp")

MAXDIFFUSION_AXES = ("data", "fsdp", "tensor")
MAXDIFFUSION_SOURCE = (
    "AI-Hypercomputer/maxdiffusion src/maxdiffusion/configs/base_flux_dev.yml, "
    "max_utils.create_device_mesh"
)
MAXDIFFUSION_FSDP_SOURCE = (
    "AI-Hypercomputer/maxdiffusion README (Flux: ici_data_parallelism=1 ici_fsdp_parallelism=-1)"
)
XDIT_SOURCE = "xdit-project/xDiT docs/performance/flux.md, examples/run.sh"

NO_GUIDANCE_PAIR = ""  # FLUX.1 runs one forward pass per step


def _make(degrees: list[tuple[str, int]], weights: list[str]) -> Candidate:
    kept = [(a, d) for a, d in degrees if d > 1]
    names = [a for a, _ in kept]
    return Candidate(tuple(kept), tuple(a for a in weights if a in names))


def _why_not(scenario: Scenario, num_devices: int, cand: Candidate) -> str:
    """'' when ``cand`` is valid for the scenario, else why not."""
    from aoizora.models.flux.config import geometry, get_config
    from aoizora.models.flux.strategies import validate

    cfg = get_config(scenario.model)
    geo = geometry(scenario.model, scenario.resolution)
    try:
        validate(cfg, geo, scenario.batch, num_devices, cand)
    except ValueError as e:
        return str(e)
    return ""


def _cannot(name: str, placement: str, source: str, why: str) -> Recipe:
    return Recipe(name, None, NO_GUIDANCE_PAIR, placement, source, f"cannot run: {why}")


def _data_parallel_recipe(
    name: str, source: str, scenario: Scenario, num_devices: int, shard_weights: bool
) -> Recipe:
    """MaxDiffusion's two Flux settings: all chips on one batch axis (data or fsdp)."""
    axis = "fsdp" if shard_weights else "data"
    flag = f"ici_{axis}_parallelism=-1"
    if scenario.batch % num_devices:
        return _cannot(
            name,
            CREATE_DEVICE_MESH,
            source,
            f"{flag} splits the batch over all {num_devices} chips (no sequence parallelism), "
            f"and a batch of {scenario.batch} images does not divide into {num_devices}",
        )
    cand = _make([("dp", num_devices)], ["dp"] if shard_weights else [])
    why = _why_not(scenario, num_devices, cand)
    if why:
        return _cannot(name, CREATE_DEVICE_MESH, source, why)
    shape = (1, num_devices, 1) if shard_weights else (num_devices, 1, 1)
    per_chip = scenario.batch // num_devices
    weights = "weights sharded over fsdp (embed)" if shard_weights else "weights replicated"
    note = f"{flag} ({num_devices}), {per_chip} image(s) per chip, {weights}"
    return Recipe(
        name, cand, NO_GUIDANCE_PAIR, CREATE_DEVICE_MESH, source, note, shape, MAXDIFFUSION_AXES
    )


def maxdiffusion_default(scenario: Scenario, num_devices: int) -> Recipe:
    return _data_parallel_recipe(
        "maxdiffusion-default", MAXDIFFUSION_SOURCE, scenario, num_devices, False
    )


def maxdiffusion_fsdp(scenario: Scenario, num_devices: int) -> Recipe:
    return _data_parallel_recipe(
        "maxdiffusion-fsdp", MAXDIFFUSION_FSDP_SOURCE, scenario, num_devices, True
    )


def xdit_usp(scenario: Scenario, num_devices: int) -> Recipe:
    from aoizora.models.flux.config import get_config

    name = "xdit-usp"
    heads = get_config(scenario.model).num_heads
    ulysses = max(d for d in range(1, num_devices + 1) if num_devices % d == 0 and heads % d == 0)
    ring = num_devices // ulysses
    note = f"--ulysses_degree {ulysses} --ring_degree {ring}"
    if ulysses != num_devices:
        note = (
            f"--ulysses_degree {num_devices} cannot run: {heads} heads are not divisible by "
            f"{num_devices}; ran the largest valid --ulysses_degree {ulysses} with "
            f"--ring_degree {ring}"
        )
    cand = _make([("ring", ring), ("ulysses", ulysses)], [])
    why = _why_not(scenario, num_devices, cand)
    if why:
        return _cannot(name, ID_ORDER, XDIT_SOURCE, why)
    note += f"; weights replicated; the batch of {scenario.batch} on every device group"
    return Recipe(name, cand, NO_GUIDANCE_PAIR, ID_ORDER, XDIT_SOURCE, note)


_BUILDERS = {
    "maxdiffusion-default": maxdiffusion_default,
    "maxdiffusion-fsdp": maxdiffusion_fsdp,
    "xdit-usp": xdit_usp,
}


def recipe(name: str, scenario: Scenario, num_devices: int) -> Recipe:
    """The recipe ``name`` (one of RECIPES) for the scenario on ``num_devices`` devices."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown recipe {name!r}; allowed: {', '.join(RECIPES)}")
    return _BUILDERS[name](scenario, num_devices)


def recipes(scenario: Scenario, num_devices: int) -> list[Recipe]:
    return [recipe(n, scenario, num_devices) for n in RECIPES]
