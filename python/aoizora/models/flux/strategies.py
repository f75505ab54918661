"""The strategy space of FLUX.1: which candidates a scenario allows on a chip count.

Axes (``FluxFamily.axes``): ``dp < ring | kv_gather < ulysses < tp``; no ``cfg`` (guidance is
embedded: one forward pass per step). Constraints:
- dp divides the batch (each device group denoises whole images);
- ulysses * tp divides the heads (Ulysses splits the heads each tp shard holds; 24 heads:
  degrees 1, 2, 3, 4, 6, 8, 12, 24);
- tp divides the MLP width (Megatron column/row split, no padding);
- ring and kv_gather are alternatives for the same slot; the text and the image stream are each
  padded to a multiple of the sequence degree (padding keys masked), so any degree works as long
  as every sequence shard keeps at least one real image token (the image stream is the longer
  one; a shard of padding alone would only waste a device);
- weight sharding: any subset of the candidate's axes except tp (tp already shards weights).
"""

from __future__ import annotations

import itertools

from aoizora.models.candidate import AXIS_ORDER, WEIGHT_SHARDABLE_AXES, Candidate
from aoizora.models.flux.config import FluxConfig, Geometry, get_config

FLUX_AXES: tuple[str, ...] = ("dp", "ring", "kv_gather", "ulysses", "tp")


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def shard_len(tokens: int, degree: int) -> int:
    """Tokens per sequence shard when ``tokens`` are padded to a multiple of ``degree``."""
    return -(-tokens // degree)


def shards_with_tokens(tokens: int, degree: int) -> int:
    """How many of the ``degree`` shards hold at least one real token."""
    return -(-tokens // shard_len(tokens, degree))


def max_sequence_degree(image_tokens: int) -> int:
    """The largest sequence degree that leaves every shard a real image token."""
    return max(s for s in range(1, image_tokens + 1) if shards_with_tokens(image_tokens, s) == s)


def check_axes(cand: Candidate) -> None:
    foreign = [a for a in cand.axis_names() if a not in FLUX_AXES]
    if foreign:
        raise ValueError(
            f"{cand.label()}: FLUX.1 has no {', '.join(foreign)} axis (guidance is embedded: one "
            f"forward pass per step); allowed axes: {', '.join(FLUX_AXES)}"
        )


def check_candidate(cfg: FluxConfig, cand: Candidate) -> None:
    """Raise ValueError naming the violated model constraint."""
    check_axes(cand)
    u, t = cand.degree("ulysses"), cand.degree("tp")
    h = cfg.num_heads
    if h % (u * t) != 0:
        allowed = [d for d in divisors(h) if d > 1]
        raise ValueError(
            f"{cand.label()}: ulysses*tp = {u * t} does not divide {cfg.name}'s {h} heads; "
            f"ulysses*tp must be one of {allowed}"
        )
    if cfg.mlp_dim % t != 0:
        raise ValueError(
            f"{cand.label()}: tp = {t} does not divide {cfg.name}'s MLP width {cfg.mlp_dim}"
        )


def check_batch(cand: Candidate, batch: int) -> None:
    dp = cand.degree("dp")
    if batch % dp != 0:
        raise ValueError(
            f"{cand.label()}: dp = {dp} does not divide the batch of {batch} images (each dp "
            "group denoises whole images)"
        )


def check_tokens(cand: Candidate, geo: Geometry) -> None:
    """Raise ValueError when a sequence shard would hold no real image token."""
    s = cand.sequence_degree()
    filled = shards_with_tokens(geo.image_tokens, s)
    if filled != s:
        raise ValueError(
            f"{cand.label()}: sequence degree {s} leaves {s - filled} of its shards without an "
            f"image token ({geo.image_tokens} image tokens in shards of "
            f"{shard_len(geo.image_tokens, s)}); at most "
            f"{max_sequence_degree(geo.image_tokens)} here"
        )


def validate(cfg: FluxConfig, geo: Geometry, batch: int, chips: int, cand: Candidate) -> None:
    """Raise ValueError unless ``cand`` is valid for the scenario on ``chips`` devices."""
    if cand.num_devices() != chips:
        raise ValueError(
            f"{cand.label()} uses {cand.num_devices()} devices, not {chips}: the degrees' "
            "product must equal the chip count"
        )
    check_candidate(cfg, cand)
    check_batch(cand, batch)
    check_tokens(cand, geo)


def max_devices(cfg: FluxConfig, geo: Geometry, batch: int) -> int:
    """An upper bound on the devices a candidate can use: dp up to the batch x ulysses*tp up to
    the heads x the sequence degree up to the most shards that each keep an image token."""
    return batch * cfg.num_heads * max_sequence_degree(geo.image_tokens)


def _degrees(dp: int, scheme: str, seq: int, ulysses: int, tp: int) -> tuple[tuple[str, int], ...]:
    degrees = {"dp": dp, scheme: seq, "ulysses": ulysses, "tp": tp}
    return tuple((a, degrees[a]) for a in AXIS_ORDER if degrees.get(a, 1) > 1)


def _weight_subsets(base: Candidate) -> list[Candidate]:
    shardable = [a for a in base.axis_names() if a in WEIGHT_SHARDABLE_AXES]
    return [
        Candidate(base.degrees, subset)
        for k in range(len(shardable) + 1)
        for subset in itertools.combinations(shardable, k)
    ]


def candidates(model: str, geo: Geometry, batch: int, chips: int) -> list[Candidate]:
    """Every valid candidate on ``chips`` devices, in a deterministic order (dp, tp, ulysses
    ascending; ring before kv_gather; weight-sharding subsets by size). ValueError when no
    candidate can use that many devices, saying why."""
    cfg = get_config(model)
    if not isinstance(chips, int) or isinstance(chips, bool) or chips < 1:
        raise ValueError(f"chips must be a positive integer, got {chips!r}")
    limit = max_devices(cfg, geo, batch)
    if chips > limit:
        raise ValueError(
            f"{cfg.name} at {geo.height}x{geo.width}, batch {batch}, can use at most {limit:,} "
            f"devices (dp <= batch, ulysses*tp <= {cfg.num_heads} heads, every sequence shard "
            f"with an image token), got {chips}"
        )
    out: list[Candidate] = []
    for dp in divisors(chips):
        rest = chips // dp
        for tp in divisors(rest):
            for uly in divisors(rest // tp):
                seq_rest = rest // tp // uly
                for scheme in ("ring", "kv_gather"):
                    if seq_rest == 1 and scheme == "kv_gather":
                        continue  # the same candidate as the ring variant
                    base = Candidate(_degrees(dp, scheme, seq_rest, uly, tp))
                    try:
                        validate(cfg, geo, batch, chips, base)
                    except ValueError:
                        continue
                    out.extend(_weight_subsets(base))
    if not out:
        raise ValueError(f"no valid candidate for {cfg.name} on {chips} devices")
    return out
