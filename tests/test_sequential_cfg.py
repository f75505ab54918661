"""wan-official's step: classifier-free guidance as two sequential forward passes (the official
code calls the model twice per step). Same result as our batched step; two forward programs, so
under FSDP every layer's weights are gathered twice (tiny config, CPU devices)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh

from aoizora.baselines.recipes import CFG_SEQUENTIAL
from aoizora.compiler import adapter
from aoizora.compiler.lowering import resolve_factory
from aoizora.compiler.wan_workload import wan_workload
from aoizora.models import Candidate, step_concrete
from aoizora.models.wan21_step import random_inputs
from aoizora.planner.pipeline import PlanRequest
from aoizora.planner.variants import variant_workload

MODEL, RES, FRAMES = "wan2.1-tiny", "tiny", 9


def _sequential(compiler: str = "cpu"):
    req = PlanRequest(model=MODEL, resolution=RES, frames=FRAMES, compiler=compiler)
    req.validate()
    return variant_workload(req, CFG_SEQUENTIAL)


def test_two_forward_programs_gather_the_weights_twice():
    cand = Candidate.parse("ring=4|w:ring")
    batched = adapter.lower(cand, workload=wan_workload(MODEL, RES, FRAMES), compiler="cpu")
    seq = adapter.lower(cand, workload=_sequential(), compiler="cpu")
    for op in ("all-gather(", " while("):
        assert seq.hlo_text.count(op) == 2 * batched.hlo_text.count(op) > 0, op
    # Its own program: never the batched candidate's cache entry.
    assert seq.sha256 != batched.sha256


def test_sequential_cfg_needs_every_device_in_both_passes():
    factory = resolve_factory(_sequential().factory)
    mesh = Mesh(np.array(jax.devices("cpu")[:4]).reshape(2, 2), ("cfg", "ulysses"))
    with pytest.raises(ValueError, match="no cfg axis"):
        factory("cfg=2,ulysses=2", mesh, model=MODEL, resolution=RES, frames=FRAMES)


def test_sequential_equals_batched():
    cand = Candidate.parse("ring=2,ulysses=2|w:ring,ulysses")
    mesh = Mesh(np.array(jax.devices("cpu")[:4]).reshape(2, 2), cand.axis_names())
    factory = resolve_factory(_sequential().factory)
    fn, abstract = factory(
        cand.label(), mesh, model=MODEL, resolution=RES, frames=FRAMES, dtype="float32"
    )
    params, inputs = random_inputs(MODEL, RES, FRAMES, 0, "float32")
    flat_abs, treedef = jax.tree.flatten(abstract)
    arrays = [
        jax.device_put(jnp.asarray(x, a.dtype), a.sharding)
        for x, a in zip(jax.tree.leaves((params, *inputs)), flat_abs, strict=True)
    ]
    got = np.asarray(fn(*jax.tree.unflatten(treedef, arrays)))
    fb, args = step_concrete(MODEL, RES, FRAMES, cand, mesh, seed=0, dtype="float32")
    want = np.asarray(fb(*args))
    assert np.max(np.abs(got - want)) <= 5e-5 * np.max(np.abs(want))
