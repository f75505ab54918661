"""The logical shardings existing systems pick (shared/reference/wan21.md section 6), as
candidates of our space, and the topology-blind choice XLA's auto-sharding cost would make.

- MaxDiffusion: all chips on the context axis with all-gather-K/V ("flash") attention, weights
  sharded over the context axis (``embed -> context``), CFG as a data axis of 2 where the chip
  count allows; mesh built by ``jax.make_mesh`` (mesh axes data < context, as MaxDiffusion orders
  them).
- Official Wan / xDiT: no CFG parallelism (sequential CFG), Ulysses = the largest divisor of the
  head count that divides the chip count, ring for the rest, FSDP over all ranks, devices in id
  order. Our step computes both guidance passes as one batch of two; sequential CFG runs the same
  FLOPs and, with FSDP, gathers the weights twice, so this stand-in is if anything optimistic for
  the baseline (docs/planner.md).
"""

from __future__ import annotations

from aoizora.models import Candidate


def _make(degrees: list[tuple[str, int]], weights: list[str]) -> Candidate:
    kept = [(a, d) for a, d in degrees if d > 1]
    names = [a for a, _ in kept]
    return Candidate(tuple(kept), tuple(a for a in weights if a in names))


def maxdiffusion_candidate(num_devices: int) -> Candidate:
    if num_devices >= 4 and num_devices % 2 == 0:
        return _make([("cfg", 2), ("kv_gather", num_devices // 2)], ["kv_gather"])
    return _make([("kv_gather", num_devices)], ["kv_gather"])


def wan_official_candidate(num_devices: int, num_heads: int) -> Candidate:
    ulysses = max(
        d for d in range(1, num_devices + 1) if num_devices % d == 0 and num_heads % d == 0
    )
    ring = num_devices // ulysses
    return _make([("ring", ring), ("ulysses", ulysses)], ["ring", "ulysses"])
