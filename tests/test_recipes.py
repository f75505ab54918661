"""Existing solutions as their users get them (aoizora.baselines.recipes, shared/reference/
baselines.md): each recipe's candidate, CFG mode and mesh on every benchmark slice, including
the slices where it cannot run (the row says why; nothing is substituted silently). The meshes
come from the real JAX functions on libtpu's compile-only devices; nothing is compiled."""

import pytest

from aoizora.baselines import recipes as rc
from aoizora.compiler import env
from aoizora.models.wan import recipes as wr

needs_libtpu = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")

M13, M14 = "wan2.1-t2v-1.3b", "wan2.1-t2v-14b"
TOKENS_480P, TOKENS_720P = 32760, 75600
SLICES = {  # slice -> devices
    "v5e:2x2": 4,
    "v5e:2x4": 8,
    "v5e:4x4": 16,
    "v5e:4x8": 32,
    "v6e:4x4": 16,
    "v5p:2x2x2": 8,
    "tpu7x:2x2x1": 8,  # 4 chips, 2 TensorCores (devices) each
}
# maxdiffusion-readme's mesh [data=2, fsdp=1, context=N/2, tensor=1] needs a physical axis split
# on these slices, which allow_split_physical_axes=False (MaxDiffusion's default) refuses.
README_MESH_REFUSED = {"v5e:4x4", "v5e:4x8", "v6e:4x4"}
# wan-official for 14B: --ulysses_size N where 40 heads allow it, else the largest valid degree.
WAN14 = {
    4: "ulysses=4|w:ulysses",
    8: "ulysses=8|w:ulysses",
    16: "ring=2,ulysses=8|w:ring,ulysses",
    32: "ring=4,ulysses=8|w:ring,ulysses",
}


@pytest.mark.parametrize("topology", list(SLICES))
@pytest.mark.parametrize("model,tokens", [(M13, TOKENS_480P), (M14, TOKENS_720P)])
def test_candidates_per_slice(topology, model, tokens):
    n = SLICES[topology]
    md = wr.recipe("maxdiffusion-default", model, n, tokens)
    assert md.label == f"kv_gather={n}|w:kv_gather"  # every chip on context, weights over it
    assert md.schedule == wr.CFG_BATCH and md.placement == rc.CREATE_DEVICE_MESH
    assert md.mesh_shape == (1, 1, n, 1) and md.mesh_axes == ("data", "fsdp", "context", "tensor")

    readme = wr.recipe("maxdiffusion-readme", model, n, tokens)
    assert readme.label == f"cfg=2,kv_gather={n // 2}|w:kv_gather"
    assert readme.schedule == wr.CFG_PARALLEL and readme.mesh_shape == (2, 1, n // 2, 1)

    wan = wr.recipe("wan-official", model, n, tokens)
    assert wan.schedule == wr.CFG_SEQUENTIAL and wan.placement == rc.ID_ORDER
    if model == M13:  # README footnote: 1.3B with --ring_size N --ulysses_size 1
        assert wan.label == f"ring={n}|w:ring"
        assert "--ring_size" in wan.note
    else:
        assert wan.label == WAN14[n]
        if 40 % n:  # said, not silently substituted
            assert f"--ulysses_size {n} cannot run" in wan.note and "40 heads" in wan.note
        else:
            assert "cannot run" not in wan.note


@needs_libtpu
@pytest.mark.parametrize("topology", list(SLICES))
def test_recipe_meshes_per_slice(topology):
    n = SLICES[topology]
    for r in wr.recipes(M14, n, TOKENS_720P):
        where = rc.recipe_placement(r, topology)
        refused = r.name == "maxdiffusion-readme" and topology in README_MESH_REFUSED
        assert where.ok is not refused, (r.name, where.error)
        if refused:
            assert where.error.startswith("cannot run: its mesh (data=2, fsdp=1, context=")
            assert "cannot be built" in where.error and "NotImplementedError" in where.error
            continue
        coords = where.device_coords
        assert len(coords) == n and len({tuple(c) for c in coords}) == n
        width = 4 if topology.startswith("tpu7x") else 3  # the core on 2-core chips
        assert all(len(c) == width for c in coords)
    # wan-official: one process per device, rank = device id.
    assert rc.recipe_placement(wr.recipe("wan-official", M14, n), topology).device_coords == (
        rc.id_order(topology)
    )


@needs_libtpu
def test_maxdiffusion_order_is_its_4d_mesh_flattened():
    """MaxDiffusion's [data, fsdp, context, tensor] mesh in row-major order is the device order
    of the candidate's (cfg, kv_gather) mesh."""
    from aoizora.baselines.jax_mesh import create_device_mesh_order

    r = wr.recipe("maxdiffusion-readme", M13, 8, TOKENS_480P)
    got = rc.recipe_placement(r, "v5e:2x4").device_coords
    want = create_device_mesh_order("v5e:2x4", (2, 1, 4, 1), wr.MAXDIFFUSION_AXES)
    assert got == want.device_coords()


def test_recipes_that_cannot_run_say_why():
    # More context shards than tokens: MaxDiffusion's context axis cannot hold them.
    r = wr.recipe("maxdiffusion-default", "wan2.1-tiny", 256, tokens=180)
    assert not r.runs and r.label is None
    assert r.note.startswith("cannot run:") and "exceeds the 180 tokens" in r.note
    # Data parallelism of 2 needs an even chip count.
    r = wr.recipe("maxdiffusion-readme", M13, 3, TOKENS_480P)
    assert not r.runs and "even chip count" in r.note
    # Every recipe keeps its name, CFG mode and placement even when it cannot run.
    assert (r.name, r.schedule, r.placement) == (
        "maxdiffusion-readme",
        wr.CFG_PARALLEL,
        rc.CREATE_DEVICE_MESH,
    )
    with pytest.raises(ValueError, match="unknown recipe 'maxdiffusion'"):
        wr.recipe("maxdiffusion", M13, 8)


def test_wan_official_on_other_head_counts():
    # The tiny config (4 heads) on 6 devices: Ulysses 2 (divides both), ring 3 for the rest.
    r = wr.recipe("wan-official", "wan2.1-tiny", 6, tokens=180)
    assert r.label == "ring=3,ulysses=2|w:ring,ulysses"
    assert "--ulysses_size 6 cannot run: 4 heads" in r.note
    # 14B on 5 devices: no Ulysses degree divides both 5 and 40 but 5 itself does.
    assert wr.recipe("wan-official", M14, 5).label == "ulysses=5|w:ulysses"
    # 14B on 3 devices: 40 % 3 != 0, so ring over all three.
    assert wr.recipe("wan-official", M14, 3).label == "ring=3|w:ring"
