"""FLUX.1 as a model family, without compiling: configs against the public ones, parameter and
FLOP counts against independent counts (shared/reference/flux1.md), the strategy space and its
errors, the recipes of existing systems per chip count, the family interface."""

import subprocess
import sys

import pytest

from aoizora.baselines.recipes import CREATE_DEVICE_MESH, ID_ORDER, PLACEMENT_METHODS
from aoizora.models import Candidate, family_of, model_info, registry, scenario
from aoizora.models.flux import FAMILY
from aoizora.models.flux.config import (
    closed_form_param_count,
    forward_flops,
    geometry,
    get_config,
    param_count,
)
from aoizora.models.flux.recipes import RECIPES, recipe
from aoizora.models.flux.strategies import max_sequence_degree
from aoizora.models.flux.workload import FLUX_FACTORY, flux_workload

DEV, SCHNELL, TINY = "flux.1-dev", "flux.1-schnell", "flux.1-tiny"


def test_production_configs_are_the_public_ones():
    # black-forest-labs/flux src/flux/util.py configs["flux-dev"] / ["flux-schnell"], and the
    # T5 lengths of src/flux/cli.py (256 for schnell, 512 otherwise).
    for model, text_len, guidance in ((DEV, 512, True), (SCHNELL, 256, False)):
        c = get_config(model)
        assert (c.dim, c.num_heads, c.head_dim, c.mlp_dim) == (3072, 24, 128, 4 * 3072)
        assert (c.num_double, c.num_single) == (19, 38)
        assert (c.in_dim, c.text_dim, c.vec_dim, c.freq_dim) == (64, 4096, 768, 256)
        assert c.rope_axes == (16, 56, 56) and sum(c.rope_axes) == c.head_dim
        assert (c.text_len, c.guidance_embed) == (text_len, guidance)


def test_dev_parameters_match_flux1_md():
    # flux1.md: "about 11.90e9"; per double block 339.9e6 (113.3e6 of it the two modulation
    # linears d -> 6d), per single block 141.6e6 (28.3e6 modulation), about 64e6 of embedders
    # and final layer. The tolerances are the doc's rounding (half a unit of its last digit),
    # except the double block: 339.83e6 exactly, which the doc rounds up to 339.9e6.
    c = get_config(DEV)
    p = param_count(c)
    d = c.dim
    assert p["total"] == closed_form_param_count(c) == 11_901_408_320
    assert abs(p["total"] - 11.90e9) <= 0.005e9
    assert abs(p["per_double_block"] - 339.9e6) <= 0.1e6
    assert abs(2 * (d * 6 * d + 6 * d) - 113.3e6) <= 0.05e6
    assert abs(p["per_single_block"] - 141.6e6) <= 0.05e6
    assert abs(d * 3 * d + 3 * d - 28.3e6) <= 0.05e6
    assert abs(p["non_block"] - 64e6) <= 0.5e6


def test_schnell_is_dev_without_the_guidance_embedder():
    d, freq = 3072, 256
    guidance_embedder = freq * d + d + d * d + d
    schnell = param_count(get_config(SCHNELL))["total"]
    assert schnell == closed_form_param_count(get_config(SCHNELL))
    assert param_count(get_config(DEV))["total"] - schnell == guidance_embedder


def test_dev_flops_at_1024_match_flux1_md():
    # flux1.md, batch 1 at 1024x1024: 4608 tokens; token-wise linears 5.95e13 (double 1.98e13,
    # single 3.97e13), attention 57 x 4 x 4608^2 x 3072 = 1.49e13, about 7.4e13 in all.
    c, geo = get_config(DEV), geometry(DEV, "1024")
    assert (geo.image_tokens, geo.text_tokens, geo.tokens) == (4096, 512, 4608)
    fl = forward_flops(c, geo)
    n, d = 4608, 3072
    # The doc's terms, counted independently: 12 d^2 multiply-adds per token per block (qkv 3,
    # proj 1, MLP 8 in a double block; linear1 7, linear2 5 in a single block), and QK^T + PV.
    independent = 57 * (2 * 12 * d * d * n + 4 * n * n * d)
    assert fl["token_linears"] + fl["attention"] == independent
    assert abs(fl["token_linears"] - 5.95e13) <= 0.005e13
    assert abs(fl["attention"] - 1.49e13) <= 0.005e13
    assert abs(fl["double_block_linears"] - 1.98e13) <= 0.005e13
    assert abs(fl["single_block_linears"] - 3.97e13) <= 0.005e13
    # The rest (embedders, per-image modulation and final layer) costs "almost nothing": under
    # 0.1% here (1.6e10 of embedders and final linear on the tokens, 2.5e9 of modulation).
    assert independent < fl["total"] <= 1.001 * independent
    assert abs(fl["total"] - 7.4e13) <= 0.05e13


@pytest.mark.parametrize(
    "model,resolution,image,text",
    [
        (DEV, "512", 1024, 512),
        (DEV, "1024", 4096, 512),
        (DEV, "1536", 9216, 512),
        (SCHNELL, "1024", 4096, 256),
        (TINY, "tiny", 50, 20),
    ],
)
def test_tokens_per_resolution(model, resolution, image, text):
    info = model_info(model, resolution)
    assert (info["image_tokens"], info["text_tokens"]) == (image, text)
    assert info["tokens"] == image + text


def test_info_has_the_family_facts_and_scales_with_the_batch():
    one = FAMILY.info(scenario(DEV, "1024"))
    four = FAMILY.info(scenario(DEV, "1024", batch=4))
    for key in ("model", "resolution", "frames", "batch", "params", "tokens", "image_tokens",
                "text_tokens", "flops_per_step", "num_heads", "head_dim", "weight_bytes_bf16",
                "flops_note"):  # fmt: skip
        assert key in one, key
    assert one["frames"] is None and one["num_heads"] == 24 and one["head_dim"] == 128
    assert one["weight_bytes_bf16"] == 2 * one["params"]
    assert four["flops_per_step"] == 4 * one["flops_per_step"]
    assert four["params"] == one["params"] and four["tokens"] == one["tokens"]


def test_scenarios_are_checked():
    assert scenario(DEV) == scenario(DEV, "1024", None, 1)
    assert scenario(TINY).resolution == "tiny"
    with pytest.raises(ValueError, match="unknown resolution 'tiny' for flux.1-dev"):
        scenario(DEV, "tiny")
    with pytest.raises(ValueError, match="unknown resolution '720p'"):
        scenario(SCHNELL, "720p")
    with pytest.raises(ValueError, match="has no frames"):
        scenario(DEV, "1024", frames=81)
    with pytest.raises(ValueError, match="positive integer"):
        scenario(DEV, "1024", batch=0)
    with pytest.raises(ValueError, match="unknown model 'flux.1-pro'"):
        family_of("flux.1-pro")


def test_family_is_registered_and_its_package_imports_no_jax():
    assert family_of(DEV) is FAMILY and family_of(SCHNELL) is FAMILY
    assert FAMILY in registry.families()
    assert FAMILY.name == "flux.1" and FAMILY.guidance_passes == 1
    assert FAMILY.axes == ("dp", "ring", "kv_gather", "ulysses", "tp")
    assert FAMILY.recipe_names == RECIPES
    code = "import sys, aoizora.models.flux as f; f.FAMILY.info(f.FAMILY.scenario('flux.1-dev'))"
    code += "; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# Strategy space.


def test_candidates_on_8_chips_are_valid_unique_and_cover_each_axis():
    s = scenario(DEV, "1024", batch=2)
    cands = FAMILY.candidates(s, 8)
    labels = [c.label() for c in cands]
    assert len(labels) == len(set(labels))
    for c in cands:
        FAMILY.validate(s, 8, c)
        assert set(c.axis_names()) <= set(FAMILY.axes)
    for label in ("ulysses=8", "ring=8|w:ring", "kv_gather=8", "ring=4,tp=2", "dp=2,ulysses=4",
                  "dp=2,ring=2,ulysses=2|w:dp,ring,ulysses", "dp=2,tp=4|w:dp"):  # fmt: skip
        assert label in labels, label
    assert "tp=8" in labels  # 24 heads: tp 8 keeps 3 per shard
    assert not any(c.degree("dp") > 2 for c in cands)  # a batch of 2
    one_image = [c.label() for c in FAMILY.candidates(scenario(DEV, "1024"), 8)]
    assert not any("dp" in label for label in one_image)
    assert FAMILY.candidates(s, 8) == cands  # deterministic


@pytest.mark.parametrize(
    "label,batch,match",
    [
        ("ulysses=16", 1, "ulysses\\*tp = 16 does not divide flux.1-dev's 24 heads"),
        ("ulysses=4,tp=4", 1, "ulysses\\*tp = 16 does not divide"),
        ("cfg=2,ulysses=8", 1, "FLUX.1 has no cfg axis"),
        ("dp=2,ulysses=8", 3, "dp = 2 does not divide the batch of 3 images"),
        ("ulysses=8", 1, "uses 8 devices, not 16"),
    ],
)
def test_validate_names_the_violated_rule(label, batch, match):
    chips = 16
    with pytest.raises(ValueError, match=match):
        FAMILY.validate(scenario(DEV, "1024", batch=batch), chips, Candidate.parse(label))


def test_every_sequence_shard_keeps_an_image_token():
    # 50 tiny image tokens: 8 shards of 7 leave the last with one real token (valid); 40
    # shards of 2 fill only 25 of them.
    s = scenario(TINY)
    FAMILY.validate(s, 8, Candidate.parse("ring=8"))
    FAMILY.validate(s, 50, Candidate.parse("ring=50"))
    with pytest.raises(ValueError, match="leaves 15 of its shards without an image token"):
        FAMILY.validate(s, 40, Candidate.parse("ring=40"))
    assert max_sequence_degree(50) == 50


def test_too_many_chips_say_why():
    s = scenario(TINY)
    bound = 1 * 8 * 50  # batch x heads x image tokens
    with pytest.raises(ValueError, match=f"at most {bound} devices"):
        FAMILY.candidates(s, bound + 1)
    with pytest.raises(ValueError, match="positive integer"):
        FAMILY.candidates(s, 0)


def test_partition_specs_name_the_axes():
    spec = FAMILY.partition_specs(Candidate.parse("dp=2,ring=2,ulysses=2,tp=2|w:ring"))
    assert spec["image_tokens"] == {"batch": "dp", "sequence": ["ring", "ulysses"]}
    assert spec["text_tokens"] == spec["image_tokens"]
    assert spec["attention_heads"] == "tp" and spec["mlp_hidden"] == "tp"
    assert spec["layer_weights"] == ["ring", "tp"]


# ---------------------------------------------------------------------------------------------
# Recipes of existing systems.


def _by_name(recipes):
    return {r.name: r for r in recipes}


def test_recipes_one_image_on_8_chips():
    # MaxDiffusion's Flux configs have no sequence parallelism: one image cannot use 8 chips.
    rs = _by_name(FAMILY.recipes(scenario(DEV, "1024"), 8))
    assert list(rs) == list(RECIPES)
    for name in ("maxdiffusion-default", "maxdiffusion-fsdp"):
        assert not rs[name].runs
        assert rs[name].note.startswith("cannot run: ici_")
        assert "a batch of 1 images does not divide into 8" in rs[name].note
    xdit = rs["xdit-usp"]
    assert xdit.label == "ulysses=8" and xdit.placement == ID_ORDER and xdit.schedule == ""


def test_recipes_batch_of_4_on_4_chips():
    # The README's Flux table: DDP and FSDP with batch 4 on v6e-4.
    rs = _by_name(FAMILY.recipes(scenario(SCHNELL, "1024", batch=4), 4))
    default, fsdp = rs["maxdiffusion-default"], rs["maxdiffusion-fsdp"]
    assert default.label == "dp=4" and default.mesh_shape == (4, 1, 1)
    assert fsdp.label == "dp=4|w:dp" and fsdp.mesh_shape == (1, 4, 1)
    for r in (default, fsdp):
        assert r.placement == CREATE_DEVICE_MESH and r.mesh_axes == ("data", "fsdp", "tensor")
        assert "maxdiffusion" in r.source
    assert rs["xdit-usp"].label == "ulysses=4"
    assert "xDiT docs/performance/flux.md" in rs["xdit-usp"].source


def test_xdit_falls_back_to_usp_where_24_heads_do_not_split():
    r = recipe("xdit-usp", scenario(DEV, "1024"), 16)
    assert r.label == "ring=2,ulysses=8"
    assert r.note.startswith("--ulysses_degree 16 cannot run: 24 heads")


@pytest.mark.parametrize("chips", [1, 2, 3, 4, 6, 8, 16, 32])
def test_runnable_recipes_are_valid_candidates(chips):
    s = scenario(DEV, "1024", batch=8)
    for r in FAMILY.recipes(s, chips):
        assert r.placement in PLACEMENT_METHODS
        if r.runs:
            FAMILY.validate(s, chips, r.candidate)
        else:
            assert r.note.startswith("cannot run: ")


def test_unknown_recipe_is_refused():
    with pytest.raises(ValueError, match="unknown recipe 'deepspeed'"):
        recipe("deepspeed", scenario(DEV), 8)


# ---------------------------------------------------------------------------------------------
# Workload.


def test_workload_names_the_factory_and_its_kwargs():
    w = FAMILY.workload(scenario(DEV, "1024", batch=2), "jax")
    assert w.factory == FLUX_FACTORY
    assert w.kwargs_dict() == {"model": DEV, "resolution": "1024", "batch": 2}
    splash = flux_workload(DEV, "1024", attention="splash", tpu_generation="v6e")
    assert splash.kwargs_dict()["tpu_generation"] == "v6e"
    with pytest.raises(ValueError, match="needs the TPU generation"):
        flux_workload(DEV, "1024", attention="splash")
    with pytest.raises(ValueError, match="no workload variants"):
        FAMILY.workload(scenario(DEV), "jax", variant=(("cfg_passes", "sequential"),))
