"""The strategy space of Wan 2.1: which candidates a model allows on a chip count.

Constraints (shared/reference/wan21.md section 5):
- cfg is 1 or 2 (the two guidance passes);
- ulysses * tp divides the head count (Ulysses splits the heads each tp shard holds);
- tp divides the FFN dim (Megatron column/row split of the FFN, no padding);
- ring and kv_gather are alternatives for the same slot (never both); their degree is free, the
  sequence is padded to a multiple of the sequence degree (padding keys are masked);
- weight sharding: any subset of the candidate's axes except tp (tp already shards weights);
- every device holds at least one token: the sequence degree (ring or kv_gather x ulysses) is at
  most the token count, so no candidate uses more than 2 x heads x tokens devices.
"""

from __future__ import annotations

import itertools

from aoizora.models.candidate import AXIS_ORDER, WEIGHT_SHARDABLE_AXES, Candidate
from aoizora.models.wan.config import WanConfig, get_config, max_tokens


def _divisors(n: int) -> list[int]:
    small, large = [], []
    d = 1
    while d * d <= n:
        if n % d == 0:
            small.append(d)
            if d * d != n:
                large.append(n // d)
        d += 1
    return small + large[::-1]


def max_devices(cfg: WanConfig, tokens: int) -> int:
    """An upper bound on the devices any candidate can use: cfg 2 x ulysses*tp (at most the
    heads) x the rest of the sequence degree (at most the tokens)."""
    return 2 * cfg.num_heads * tokens


def _check_devices(cfg: WanConfig, chips: int, tokens: int | None) -> None:
    bound = tokens if tokens is not None else max_tokens(cfg.name)
    limit = max_devices(cfg, bound)
    if chips > limit:
        what = f"{bound:,} tokens" if tokens is not None else f"{bound:,} tokens, its longest video"
        raise ValueError(
            f"{cfg.name} can be sharded over at most {limit:,} devices (cfg 2 x "
            f"{cfg.num_heads} heads x {what}: every device needs at least one token), got {chips}"
        )


def check_tokens(cand: Candidate, tokens: int) -> None:
    """Raise ValueError when the candidate splits the sequence into more shards than tokens."""
    if cand.sequence_degree() > tokens:
        raise ValueError(
            f"{cand.label()}: sequence degree {cand.sequence_degree()} exceeds the {tokens:,} "
            "tokens (every device needs at least one token)"
        )


def check_candidate(cfg: WanConfig, cand: Candidate) -> None:
    """Raise ValueError naming the violated constraint."""
    u, t = cand.degree("ulysses"), cand.degree("tp")
    h = cfg.num_heads
    if h % (u * t) != 0:
        allowed = [d for d in _divisors(h) if d > 1]
        raise ValueError(
            f"{cand.label()}: ulysses*tp = {u * t} does not divide {cfg.name}'s {h} heads; "
            f"ulysses*tp must be one of {allowed}"
        )
    if cfg.ffn_dim % t != 0:
        raise ValueError(
            f"{cand.label()}: tp = {t} does not divide {cfg.name}'s FFN dim {cfg.ffn_dim}"
        )


def validate(model: str, chips: int, cand: Candidate, tokens: int | None = None) -> None:
    """Raise ValueError unless ``cand`` is valid for ``model`` on ``chips`` devices (and, given
    the token count, splits the sequence no finer than one token per device)."""
    cfg = get_config(model)
    if cand.num_devices() != chips:
        raise ValueError(
            f"{cand.label()} uses {cand.num_devices()} devices, not {chips}: the degrees' "
            "product must equal the chip count"
        )
    check_candidate(cfg, cand)
    if tokens is not None:
        check_tokens(cand, tokens)


def candidates(model: str, chips: int, tokens: int | None = None) -> list[Candidate]:
    """Every valid candidate for ``model`` on ``chips`` devices, in a deterministic order.

    ``tokens`` (the workload's token count) drops candidates with more sequence shards than
    tokens; without it the bound is the model's longest video. More chips than any candidate
    can use raise ValueError saying why.
    """
    cfg = get_config(model)
    if not isinstance(chips, int) or isinstance(chips, bool) or chips < 1:
        raise ValueError(f"chips must be a positive integer, got {chips!r}")
    _check_devices(cfg, chips, tokens)
    out: list[Candidate] = []
    for cfg_deg in (1, 2):
        if chips % cfg_deg:
            continue
        rest = chips // cfg_deg
        for tp in _divisors(rest):
            for uly in _divisors(rest // tp):
                seq_rest = rest // tp // uly
                for scheme in ("ring", "kv_gather"):
                    if seq_rest == 1 and scheme == "kv_gather":
                        continue  # identical to the ring variant with degree 1
                    degrees = {"cfg": cfg_deg, scheme: seq_rest, "ulysses": uly, "tp": tp}
                    ordered = tuple((a, degrees[a]) for a in AXIS_ORDER if degrees.get(a, 1) > 1)
                    base = Candidate(ordered)
                    try:
                        check_candidate(cfg, base)
                        if tokens is not None:
                            check_tokens(base, tokens)
                    except ValueError:
                        continue
                    shardable = [a for a in base.axis_names() if a in WEIGHT_SHARDABLE_AXES]
                    for k in range(len(shardable) + 1):
                        for subset in itertools.combinations(shardable, k):
                            out.append(Candidate(ordered, tuple(subset)))
    return out
