"""Wan 2.1 configs, geometry, parameter counts and the reference FLOP formula (no JAX)."""

import json
import subprocess
import sys

import pytest

from aoizora.cli.main import main
from aoizora.models.wan.config import (
    forward_flops,
    get_config,
    model_info,
    model_names,
    param_count,
)


def test_model_names():
    assert {"wan2.1-t2v-1.3b", "wan2.1-t2v-14b", "wan2.1-i2v-14b", "wan2.1-tiny"} <= set(
        model_names()
    )


@pytest.mark.parametrize(
    "model,expected",
    [("wan2.1-t2v-1.3b", 1.419e9), ("wan2.1-t2v-14b", 14.29e9), ("wan2.1-i2v-14b", 16.39e9)],
)
def test_param_counts_match_reference(model, expected):
    total = model_info(model, "480p")["params"]
    assert abs(total - expected) / expected < 0.005


def test_block_param_count_closed_form():
    # Per block: 8 D^2 (self+cross q,k,v,o) + 2 D F + biases/norm gains/modulation 21 D + F.
    for model in ("wan2.1-t2v-1.3b", "wan2.1-t2v-14b"):
        c = get_config(model)
        d, f = c.dim, c.ffn_dim
        per_block = 8 * d * d + 2 * d * f + 21 * d + f
        assert param_count(c)["blocks"] == c.num_layers * per_block
    # I2V adds k_img, v_img (2 D^2 + 2 D) and norm_k_img (D) per block.
    c14, ci2v = get_config("wan2.1-t2v-14b"), get_config("wan2.1-i2v-14b")
    d = c14.dim
    assert param_count(ci2v)["blocks"] - param_count(c14)["blocks"] == 40 * (2 * d * d + 3 * d)


@pytest.mark.parametrize(
    "resolution,latent,grid,tokens",
    [
        ("480p", [16, 21, 60, 104], [21, 30, 52], 32760),
        ("720p", [16, 21, 90, 160], [21, 45, 80], 75600),
    ],
)
def test_tokens_at_81_frames(resolution, latent, grid, tokens):
    info = model_info("wan2.1-t2v-14b", resolution, 81)
    assert info["latent_shape"] == latent
    assert info["token_grid"] == grid
    assert info["tokens"] == tokens


def test_tiny_geometry():
    info = model_info("wan2.1-tiny", "tiny", 9)
    assert info["latent_shape"] == [16, 3, 12, 20]
    assert info["tokens"] == 180


@pytest.mark.parametrize(
    "model,resolution,per_forward_pf,per_step_pf",
    [
        ("wan2.1-t2v-1.3b", "480p", 0.283, 0.566),
        ("wan2.1-t2v-1.3b", "720p", 1.250, 2.50),
        ("wan2.1-t2v-14b", "480p", 1.678, 3.357),
        ("wan2.1-t2v-14b", "720p", 6.523, 13.05),
    ],
)
def test_flops_match_reference_table(model, resolution, per_forward_pf, per_step_pf):
    info = model_info(model, resolution)
    assert info["flops_per_forward"] / 1e15 == pytest.approx(per_forward_pf, abs=0.0015)
    assert info["flops_per_step"] / 1e15 == pytest.approx(per_step_pf, abs=0.005)


def test_14b_720p_block_split():
    # wan21.md: self-attn L^2 117.1 TF of a 163.1 TF block.
    fl = forward_flops(get_config("wan2.1-t2v-14b"), 75600)
    assert fl["per_block"] / 1e12 == pytest.approx(163.1, abs=0.05)
    assert fl["self_attention_quadratic_per_block"] / 1e12 == pytest.approx(117.1, abs=0.05)


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"model": "wan2.2", "resolution": "480p"}, "unknown model 'wan2.2'"),
        ({"model": "wan2.1-t2v-14b", "resolution": "1080p"}, "allowed: 480p, 720p"),
        ({"model": "wan2.1-t2v-14b", "resolution": "tiny"}, "unknown resolution 'tiny'"),
        ({"model": "wan2.1-t2v-14b", "resolution": "720p", "frames": 80}, "4k+1"),
        ({"model": "wan2.1-t2v-14b", "resolution": "720p", "frames": 0}, "4k+1"),
    ],
)
def test_bad_input_errors(kwargs, needle):
    with pytest.raises(ValueError) as e:
        model_info(**kwargs)
    assert needle in str(e.value)


def test_cli_info_json(capsys):
    assert (
        main(["model", "info", "--model", "wan2.1-t2v-14b", "--resolution", "720p", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["tokens"] == 75600
    assert abs(out["params"] - 14.29e9) / 14.29e9 < 0.005
    assert out["flops_per_step"] == 2 * out["flops_per_forward"]


def test_cli_info_human(capsys):
    assert main(["model", "info", "--model", "wan2.1-t2v-1.3b", "--resolution", "480p"]) == 0
    assert "32,760" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["info", "--model", "nope", "--resolution", "480p"], "unknown model 'nope'"),
        (["info", "--model", "wan2.1-t2v-14b", "--resolution", "4k"], "unknown resolution"),
        (["info", "--model", "wan2.1-t2v-14b", "--resolution", "480p", "--frames", "82"], "4k+1"),
        (["candidates", "--model", "nope", "--chips", "8"], "unknown model"),
        (["candidates", "--model", "wan2.1-t2v-14b", "--chips", "0"], "positive integer"),
        (
            [
                "candidates",
                "--model",
                "wan2.1-t2v-1.3b",
                "--chips",
                "8",
                "--candidate",
                "ulysses=8",
            ],
            "does not divide",
        ),
        (
            ["candidates", "--model", "wan2.1-t2v-14b", "--chips", "8", "--candidate", "tp=4"],
            "not 8",
        ),
    ],
)
def test_cli_bad_input_exit_2(capsys, argv, needle):
    assert main(["model", *argv]) == 2
    assert needle in capsys.readouterr().err


def test_cli_does_not_import_jax():
    code = (
        "import sys; from aoizora.cli.main import main; "
        "main(['model','candidates','--model','wan2.1-t2v-14b','--chips','8','--json']); "
        "print('jax' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip().endswith("False")
    rows = json.loads(out.stdout)
    assert {"degrees", "weight_sharding"} <= set(rows[0])
