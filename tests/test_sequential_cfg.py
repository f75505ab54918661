"""wan-official's step: classifier-free guidance as two sequential forward passes (the official
code calls the model twice per step; ``cfg_passes="sequential"``). Same result as our batched
step; two forward programs, so under FSDP every layer's weights are gathered twice (tiny config,
CPU devices)."""

import jax
import numpy as np
import pytest
from jax.sharding import Mesh

from aoizora.compiler import adapter
from aoizora.models import Candidate, family_of
from aoizora.models.wan.recipes import SEQUENTIAL_VARIANT
from aoizora.models.wan.step import step_concrete, step_lowerable
from aoizora.models.wan.workload import wan_workload

MODEL, RES, FRAMES = "wan2.1-tiny", "tiny", 9


def _sequential():
    family = family_of(MODEL)
    return family.workload(family.scenario(MODEL, RES, FRAMES), "jax", "", SEQUENTIAL_VARIANT)


def test_two_forward_programs_gather_the_weights_twice():
    cand = Candidate.parse("ring=4|w:ring")
    batched = adapter.lower(cand, workload=wan_workload(MODEL, RES, FRAMES), compiler="cpu")
    seq = adapter.lower(cand, workload=_sequential(), compiler="cpu")
    for op in ("all-gather(", " while("):
        assert seq.hlo_text.count(op) == 2 * batched.hlo_text.count(op) > 0, op
    # Its own program: never the batched candidate's cache entry; ours keeps its key.
    assert seq.sha256 != batched.sha256
    assert dict(_sequential().kwargs)["cfg_passes"] == "sequential"
    assert "cfg_passes" not in dict(wan_workload(MODEL, RES, FRAMES).kwargs)


def test_sequential_cfg_needs_every_device_in_both_passes():
    mesh = Mesh(np.array(jax.devices("cpu")[:4]).reshape(2, 2), ("cfg", "ulysses"))
    cand = Candidate.parse("cfg=2,ulysses=2")
    with pytest.raises(ValueError, match="no cfg axis"):
        step_lowerable(MODEL, RES, FRAMES, cand, mesh, cfg_passes="sequential")
    with pytest.raises(ValueError, match="unknown cfg_passes 'parallel'"):
        wan_workload(MODEL, RES, FRAMES, cfg_passes="parallel")


def test_sequential_equals_batched():
    cand = Candidate.parse("ring=2,ulysses=2|w:ring,ulysses")
    mesh = Mesh(np.array(jax.devices("cpu")[:4]).reshape(2, 2), cand.axis_names())
    fs, args = step_concrete(
        MODEL, RES, FRAMES, cand, mesh, seed=0, dtype="float32", cfg_passes="sequential"
    )
    got = np.asarray(fs(*args))
    fb, args = step_concrete(MODEL, RES, FRAMES, cand, mesh, seed=0, dtype="float32")
    want = np.asarray(fb(*args))
    assert np.max(np.abs(got - want)) <= 5e-5 * np.max(np.abs(want))
