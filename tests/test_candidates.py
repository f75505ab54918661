"""Candidate parsing and the enumeration of valid candidates (no JAX)."""

import itertools
import math

import pytest

from aoizora.models import AXIS_ORDER, Candidate
from aoizora.models.wan.strategies import candidates


def test_parse_orders_axes_and_drops_degree_one():
    c = Candidate.parse("ulysses=4, cfg=2, ring=1", weights_sharded_over="ulysses")
    assert c.degrees == (("cfg", 2), ("ulysses", 4))
    assert c.weight_sharding == ("ulysses",)
    assert c.mesh_shape() == (2, 4)
    assert c.axis_names() == ("cfg", "ulysses")
    assert c.num_devices() == 8
    assert c.label() == "cfg=2,ulysses=4|w:ulysses"


def test_label_round_trips():
    for c in candidates("wan2.1-t2v-14b", 16):
        assert Candidate.parse(c.label()) == c


def test_single_device():
    c = Candidate.parse("")
    assert c.num_devices() == 1 and c.mesh_shape() == () and c.label() == "single"
    assert Candidate.parse("single") == c


@pytest.mark.parametrize(
    "text,weights,needle",
    [
        ("fsdp=2", "", "unknown parallel axis 'fsdp'"),
        ("cfg=4", "", "cfg degree must be 2"),
        ("ring=2,kv_gather=2", "", "alternative"),
        ("ulysses", "", "expected AXIS=DEGREE"),
        ("ulysses=x", "", "not an integer"),
        ("ulysses=2,ulysses=2", "", "given twice"),
        ("tp=2", "tp", "tp already shards"),
        ("ulysses=2", "ring", "not one of the candidate's axes"),
        ("ulysses=2", "bogus", "unknown weight-sharding axis"),
        ("ulysses=2|x:ring", "", "expected '|w:AXES'"),
    ],
)
def test_parse_errors(text, weights, needle):
    with pytest.raises(ValueError) as e:
        Candidate.parse(text, weights)
    assert needle in str(e.value)


def test_constructor_rejects_out_of_order_axes():
    with pytest.raises(ValueError, match="mesh order"):
        Candidate((("ulysses", 2), ("cfg", 2)))


def _brute_force(heads: int, ffn: int, chips: int) -> set[str]:
    """Independent enumeration: every assignment of degrees to the five axes."""
    out = set()
    divs = [d for d in range(1, chips + 1) if chips % d == 0]
    for cfg, ring, kvg, uly, tp in itertools.product([1, 2], divs, divs, divs, divs):
        if cfg * ring * kvg * uly * tp != chips or (ring > 1 and kvg > 1):
            continue
        if heads % (uly * tp) or ffn % tp:
            continue
        deg = {"cfg": cfg, "ring": ring, "kv_gather": kvg, "ulysses": uly, "tp": tp}
        axes = [a for a in AXIS_ORDER if deg.get(a, 1) > 1]
        shardable = [a for a in axes if a != "tp"]
        for k in range(len(shardable) + 1):
            for sub in itertools.combinations(shardable, k):
                body = ",".join(f"{a}={deg[a]}" for a in axes) or "single"
                out.add(body + ("|w:" + ",".join(sub) if sub else ""))
    return out


@pytest.mark.parametrize(
    "model,heads,ffn,chips",
    [
        ("wan2.1-t2v-1.3b", 12, 8960, 8),
        ("wan2.1-t2v-14b", 40, 13824, 16),
        ("wan2.1-t2v-14b", 40, 13824, 8),
        ("wan2.1-tiny", 4, 1024, 8),
        ("wan2.1-t2v-14b", 40, 13824, 1),
    ],
)
def test_enumeration_matches_brute_force(model, heads, ffn, chips):
    labels = [c.label() for c in candidates(model, chips)]
    assert len(labels) == len(set(labels))
    assert set(labels) == _brute_force(heads, ffn, chips)
    for c in candidates(model, chips):
        assert c.num_devices() == chips
        assert math.prod(c.mesh_shape()) == chips


def test_constraints_from_reference():
    labels = {c.label() for c in candidates("wan2.1-t2v-1.3b", 8)}
    assert "ulysses=8" not in labels  # 8 does not divide 12 heads
    assert "ring=8" in labels and "ring=2,ulysses=4" in labels  # README / USP recipes
    # 14B: tp must divide 40 heads and FFN 13824 = 2^9 3^3, so tp=5 is out.
    labels14 = {c.label() for c in candidates("wan2.1-t2v-14b", 10)}
    assert "ulysses=10" in labels14 and "cfg=2,ulysses=5|w:cfg,ulysses" in labels14
    assert not any("tp=5" in x or "tp=10" in x for x in labels14)
    # MaxDiffusion-style dp2 x context with weights sharded over the sequence axis exists.
    assert "cfg=2,kv_gather=4|w:kv_gather" in {c.label() for c in candidates("wan2.1-t2v-14b", 8)}
