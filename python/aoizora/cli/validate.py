"""``aoizora validate``: the model next to every published measurement it can be held to.

Each row is a measurement from shared/reference/tpu-hardware.md (sections 4 and 4b) with the
model's prediction for the same setup and the relative error (prediction / measured - 1). Rows
marked ``fitted`` were used to set a constant of the chip table (docs/hardware-constants.md);
``held-out`` rows were not, and are the real check. Errors are printed as they are.

The end-to-end section (E1-E7, shared/reference/end-to-end-measurements.md) holds the whole step
model to whole denoising steps measured on TPU7x: each is compiled ahead of time with the same
model, resolution, chips, strategy and attention as measured (cached; minutes when cold) and
predicted under both compute sources. None of them was fitted. ``--no-end-to-end`` skips it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aoizora.cli._common import (
    PREDICTION_LABEL,
    add_calibration_argument,
    console,
    print_json,
)

KIB = 1024.0
MIB = 1024.0 * 1024.0


@dataclass(frozen=True)
class Point:
    id: str
    source: str
    setup: str
    measured: float | None
    unit: str
    role: str  # fitted | held-out | out of scope | reference prediction
    predict: Callable[[Any], float] | None = None
    note: str = ""
    # The same setup on SimGrid (docs/simgrid.md): a simulator prediction, not a measurement.
    simulate: Callable[[Any], float] | None = None


def _cost(core, spec: str, kind: str, nbytes: float, groups=None, pairs=None, **opts) -> dict:
    model = core.CommModel(core.parse_slice_spec(spec), **opts)
    return model.cost(kind, nbytes, groups=groups, pairs=pairs)


def _rows_of_4_v5e_4x8() -> list[list[int]]:
    # SB Pop Quiz 2: mesh {X:8, Y:4}; the gather over Y runs on the open 4-long physical axis.
    return [[4 * y + x for x in range(4)] for y in range(8)]


def _v1(core) -> float:
    return _cost(core, "v5e:4x8", "all-gather", 2048 * 8192 * 2, _rows_of_4_v5e_4x8())["seconds"]


def _v2(core) -> float:
    return _cost(core, "v5e:4x8", "all-gather", 256 * 256 * 2, _rows_of_4_v5e_4x8())["seconds"]


def _v3(core) -> float:
    # v5e 8x16, all-gather along the wrapped 16-long y axis (8 columns at once), 10 MB total.
    # Effective one-way bandwidth = V / (2 T), i.e. the rate whose ideal is W_1 = 4.5e10.
    v = 10e6
    groups = [[x + 8 * y for y in range(16)] for x in range(8)]
    return v / (2 * _cost(core, "v5e:8x16", "all-gather", v, groups)["seconds"])


# Ring shifts over Hamiltonian cycles of 1-hop links (each device sends to its successor).
_V5P_2X2_CYCLE = [0, 1, 3, 2]
_V6E_2X4_CYCLE = [0, 1, 3, 5, 7, 6, 4, 2]


def _ppermute(spec: str, cycle: list[int], nbytes: float) -> Callable[[Any], float]:
    pairs = [(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))]
    return lambda core: _cost(core, spec, "collective-permute", nbytes, pairs=pairs)["seconds"]


def _v5_ratio(contention: str) -> Callable[[Any], float]:
    # Two permutes on v5e 4x4 crossing the same link (0->2 and 1->3 share 1->2), large messages:
    # rate of each relative to a permute alone.
    def f(core) -> float:
        v = 64 * MIB
        solo = _cost(
            core, "v5e:4x4", "collective-permute", v, pairs=[(0, 2)], contention=contention
        )
        both = _cost(
            core, "v5e:4x4", "collective-permute", v, pairs=[(0, 2), (1, 3)], contention=contention
        )
        return solo["bulk_seconds"] / both["bulk_seconds"]

    return f


def _v5_solo_rate(core) -> float:
    v = 64 * MIB
    return v / _cost(core, "v5e:4x4", "collective-permute", v, pairs=[(0, 1)])["seconds"]


def _sim_v5_ratio(core) -> float:
    # V5 on SimGrid: the same two permutes, max-min fair sharing of link 1->2 (network time only).
    sim = core.Simulator(core.parse_slice_spec("v5e:4x4"))
    v = 64 * MIB
    solo = sim.simulate_collective("collective-permute", v, pairs=[(0, 2)])
    both = sim.simulate_collective("collective-permute", v, pairs=[(0, 2), (1, 3)])
    return solo.network_seconds / both.network_seconds


def _sim_v5_solo_rate(core) -> float:
    v = 64 * MIB
    t = core.Simulator(core.parse_slice_spec("v5e:4x4")).simulate_collective(
        "collective-permute", v, pairs=[(0, 1)]
    )
    return v / t.seconds


# M1/M2 (end-to-end-measurements.md): all-gathers over 4 devices, one core per chip, the core-0
# and core-1 groups at once (device id = core + 2 x chip). M2 reads "the size-4 axis" as the 4
# chips of one z-plane per core (its times equal M1's).
_M1_GROUPS = [[0, 2, 4, 6], [1, 3, 5, 7]]
_M2_GROUPS = [[0, 2, 4, 6], [1, 3, 5, 7], [8, 10, 12, 14], [9, 11, 13, 15]]


def _m_all_gather(spec: str, groups, shard_bytes: float, simulated: bool):
    def f(core) -> float:
        v = 4 * shard_bytes  # the gathered result per group
        if simulated:
            return (
                core.Simulator(core.parse_slice_spec(spec))
                .simulate_collective("all-gather", v, groups=groups)
                .seconds
            )
        return _cost(core, spec, "all-gather", v, groups=groups)["seconds"]

    return f


def _m_point(mid: str, spec: str, groups, shard_mb: float, measured_us: float) -> Point:
    return Point(
        mid,
        "[G] accelerator-microbenchmarks Ironwood all_gather.md",
        f"{spec}: all-gather of {shard_mb} MB shards over 4 chips, both core groups at once",
        measured_us * 1e-6,
        "s",
        "held-out",
        _m_all_gather(spec, groups, shard_mb * 1e6, simulated=False),
        "both cores of a chip share its links, in the comm model and in SimGrid",
        _m_all_gather(spec, groups, shard_mb * 1e6, simulated=True),
    )


def _chip(core, generation: str) -> dict:
    return next(c for c in core.chip_specs() if c["generation"] == generation)


def _matmul_tflops(generation: str, per_device_fraction: float = 1.0) -> Callable[[Any], float]:
    def f(core) -> float:
        chip = _chip(core, generation)
        peak = chip["bf16_flops_per_second"] * per_device_fraction
        return chip["matmul_efficiency"] * peak / 1e12

    return f


def _efficiency(generation: str, key: str) -> Callable[[Any], float]:
    return lambda core: _chip(core, generation)[key]


def points() -> list[Point]:
    sb = "SB sharding.md Pop Quiz 2"
    m6736 = "[3P] marin-community/marin issue #6736"
    half = 0.5  # TPU7x: one JAX device is half a chip
    return [
        Point(
            "V1",
            sb,
            "v5e 4x8, all-gather of bf16[2048,8192] over open 4-chip rows",
            680e-6,
            "s",
            "held-out",
            _v1,
        ),
        Point(
            "V2",
            sb,
            "same mesh, bf16[256,256] (latency-bound, 3 hops)",
            8e-6,
            "s",
            "fitted",
            _v2,
            "fixes collective_fixed_latency (with C1/C2 at 4 KiB)",
        ),
        Point(
            "V3",
            "SB sharding.md all-gather-bandwidth figure",
            "v5e 8x16, all-gather along the wrapped 16-axis, 10 MB: effective one-way B/s",
            0.95 * 4.5e10,
            "B/s",
            "held-out",
            _v3,
        ),
        Point(
            "V5",
            "arXiv 2606.17566 Fig. 3 [secondary]",
            "v5e, two permutes sharing a link: per-permute rate shared / alone (fair share law)",
            15.2 / 23.0,
            "ratio",
            "held-out",
            _v5_ratio("fair"),
            simulate=_sim_v5_ratio,
        ),
        Point(
            "V5",
            "arXiv 2606.17566 Fig. 3 [secondary]",
            "same, with the measured contention law (--contention measured)",
            15.2 / 23.0,
            "ratio",
            "fitted",
            _v5_ratio("measured"),
            "the law's 0.66 share is this point",
        ),
        Point(
            "V5",
            "arXiv 2606.17566 Fig. 3 [secondary]",
            "v5e, one permute alone: rate (message size not given; model at 64 MiB)",
            23e9,
            "B/s",
            "held-out",
            _v5_solo_rate,
            simulate=_sim_v5_solo_rate,
        ),
        _m_point("M1", "tpu7x:2x2x1", _M1_GROUPS, 4.19, 155.0),
        _m_point("M1", "tpu7x:2x2x1", _M1_GROUPS, 67.1, 2252.0),
        _m_point("M2", "tpu7x:2x2x2", _M2_GROUPS, 67.1, 2253.0),
        Point(
            "C1",
            m6736,
            "v5p 2x2x1 ppermute ring shift, 4 KiB per device (4.5-5.5 us at 1-16 KiB)",
            5.0e-6,
            "s",
            "fitted",
            _ppermute("v5p:2x2x1", _V5P_2X2_CYCLE, 4 * KIB),
        ),
        Point(
            "C1",
            m6736,
            "same, 1 MiB per device",
            16.94e-6,
            "s",
            "held-out",
            _ppermute("v5p:2x2x1", _V5P_2X2_CYCLE, MIB),
        ),
        Point(
            "C1",
            m6736,
            "same, 64 MiB per device",
            781.98e-6,
            "s",
            "held-out",
            _ppermute("v5p:2x2x1", _V5P_2X2_CYCLE, 64 * MIB),
        ),
        Point(
            "C2",
            m6736,
            "v6e 2x4 ppermute ring shift, 4 KiB per device (5.6-5.9 us at 1-16 KiB)",
            5.75e-6,
            "s",
            "fitted",
            _ppermute("v6e:2x4", _V6E_2X4_CYCLE, 4 * KIB),
        ),
        Point(
            "C2",
            m6736,
            "same, 1 MiB per device",
            17.45e-6,
            "s",
            "held-out",
            _ppermute("v6e:2x4", _V6E_2X4_CYCLE, MIB),
        ),
        Point(
            "C2",
            m6736,
            "same, 64 MiB per device",
            776.34e-6,
            "s",
            "held-out",
            _ppermute("v6e:2x4", _V6E_2X4_CYCLE, 64 * MIB),
        ),
        Point(
            "C3",
            "AI-Hypercomputer/tpu-recipes ironwood microbenchmarks",
            "TPU7x one device, bf16 GEMM 4096^3 (TF/s)",
            893.0,
            "TF/s",
            "held-out",
            _matmul_tflops("tpu7x", half),
        ),
        Point(
            "C3",
            "AI-Hypercomputer/tpu-recipes ironwood microbenchmarks",
            "TPU7x one device, bf16 GEMM 16384^3 (TF/s)",
            950.0,
            "TF/s",
            "held-out",
            _matmul_tflops("tpu7x", half),
        ),
        Point(
            "C3",
            "AI-Hypercomputer/tpu-recipes ironwood microbenchmarks",
            "TPU7x one device, bf16 GEMM 32768^3 (TF/s)",
            956.0,
            "TF/s",
            "held-out",
            _matmul_tflops("tpu7x", half),
        ),
        Point(
            "C4",
            "[3P] yangwhale/gpu-tpu-pedia",
            "v6e bf16 GEMM 8192^3 (TF/s)",
            728.0,
            "TF/s",
            "fitted",
            _matmul_tflops("v6e"),
            "sets matmul_efficiency",
        ),
        Point(
            "C7",
            "[3P] yangwhale/gpu-tpu-pedia Wan guide 6.2",
            "v6e Wan 2.1 linear/FFN layers, MFU",
            0.66,
            "fraction",
            "held-out",
            _efficiency("v6e", "matmul_efficiency"),
        ),
        Point(
            "C5",
            "openxla/tokamax splash attention microbenchmarks",
            "TPU7x splash attention fwd, head dim 128, seq 4K, MFU",
            0.206,
            "fraction",
            "held-out",
            _efficiency("tpu7x", "attention_efficiency"),
        ),
        Point(
            "C5",
            "openxla/tokamax splash attention microbenchmarks",
            "same, seq 128K, MFU",
            0.343,
            "fraction",
            "held-out",
            _efficiency("tpu7x", "attention_efficiency"),
        ),
        Point(
            "C6",
            "[3P] yangwhale/gpu-tpu-pedia Wan guide 4.1",
            "v6e Wan 2.1 14B self-attention call, fraction of peak",
            0.36,
            "fraction",
            "fitted",
            _efficiency("v6e", "attention_efficiency"),
            "sets attention_efficiency",
        ),
        Point(
            "C8",
            "AI-Hypercomputer/maxdiffusion 8dd6305",
            "TPU7x ring-attention hop, head dim 128, fraction of peak (56-60%)",
            0.58,
            "fraction",
            "held-out",
            _efficiency("tpu7x", "attention_efficiency"),
        ),
        Point(
            "C9",
            "AI-Hypercomputer/accelerator-microbenchmarks Ironwood hbm",
            "TPU7x HBM copy plateau, fraction of 7.38 TB/s",
            6.4 / 7.38,
            "fraction",
            "fitted",
            _efficiency("tpu7x", "hbm_efficiency"),
            "sets hbm_efficiency",
        ),
        Point(
            "V4",
            "arXiv 2606.17566 [secondary]",
            "Wan 2.1 on v5e-8, 16.6% swing across placements",
            0.166,
            "fraction",
            "whole step",
            note="both evaluators over every placement of compiled steps: the V4 table of the "
            "whole-step section (not with --no-end-to-end)",
        ),
        Point(
            "V6",
            "arXiv 2606.17566",
            "Wan 2.1 on v5e sub-slices, up to 1.42x vs existing",
            1.42,
            "ratio",
            "out of scope",
            note="whole-step result (planner end to end)",
        ),
        Point(
            "V7",
            "AI-Hypercomputer/maxtext PR #4911",
            "v6e-128 DeepSeek LoRA, placement-only step 4.632 -> 4.138 s",
            4.632 / 4.138,
            "ratio",
            "out of scope",
            note="whole-step result of another model",
        ),
        Point(
            "V8",
            "jax-ml/jax PR #39340",
            "TPU7x bandwidth-aware mesh mapping, ~4% step time",
            0.04,
            "fraction",
            "out of scope",
            note="whole-step result",
        ),
        Point(
            "V9",
            "maxdiffusion PR #479; arXiv 2606.17566",
            "compile and planning wall time",
            None,
            "s",
            "out of scope",
            note="compile time, not modelled",
        ),
        Point(
            "SB Q5",
            "SB tpus.md Q5 (a prediction, not a measurement)",
            "v5e 4x4 point-to-point 1.7e7 B (0,0)->(3,3): SB says 188-194 us",
            191e-6,
            "s",
            "reference prediction",
            lambda core: _cost(
                core, "v5e:4x4", "collective-permute", 8 * 128 * 8192 * 2, pairs=[(0, 15)]
            )["seconds"],
        ),
    ]


def least_squares_fixed_latency(core) -> float:
    """The fixed latency that minimises the squared relative error on the latency-bound points."""
    latency_points = [p for p in points() if p.id in ("V2", "C1", "C2") and p.role == "fitted"]
    fixed = _chip(core, "v5e")["collective_fixed_latency_seconds"]
    num = den = 0.0
    for p in latency_points:
        rest = p.predict(core) - fixed  # same fixed latency on every generation
        num += (p.measured - rest) / p.measured**2
        den += 1.0 / p.measured**2
    return num / den


def evaluate(calibration: Any = None) -> dict[str, Any]:
    """Every point predicted by the model: with the sourced table, or with ``calibration``'s
    constants on the slices of its device kind (the others keep the table's)."""
    import aoizora
    from aoizora.calibrate.calibration_file import CalibratedCore, constant_sources, describe

    core = aoizora.core()
    sources = constant_sources("v5e:2x2", None)
    words = describe(sources)
    if calibration is not None:
        core = CalibratedCore(core, calibration)
        spec = next(
            f"{c['generation']}:{'2x2' if c['spec_dims'] == 2 else '2x2x1'}"
            for c in core.chip_specs()
            if c["generation"] == core.generation
        )
        sources = {**constant_sources(spec, calibration), "generation": core.generation}
        words = f"{core.generation} slices: " + describe(sources) + "; other generations: the table"
    rows = []
    for p in points():
        predicted = p.predict(core) if p.predict else None
        rel = None
        if predicted is not None and p.measured:
            rel = predicted / p.measured - 1.0
        simulated = p.simulate(core) if p.simulate else None
        sim_rel = None
        if simulated is not None and p.measured:
            sim_rel = simulated / p.measured - 1.0
        rows.append(
            {
                "id": p.id,
                "source": p.source,
                "setup": p.setup,
                "unit": p.unit,
                "measured": p.measured,
                "predicted": predicted,
                "relative_error": rel,
                "simulated": simulated,
                "simulated_relative_error": sim_rel,
                "role": p.role,
                "note": p.note,
            }
        )
    held = [abs(r["relative_error"]) for r in rows if r["role"] == "held-out"]
    return {
        "label": f"predicted values are {PREDICTION_LABEL}",
        "calibration": sources,
        "constants": words,
        "simulated_label": "simulated values are simulator predictions (SimGrid, docs/simgrid.md)",
        "points": rows,
        "held_out_mean_abs_relative_error": sum(held) / len(held),
        "held_out_max_abs_relative_error": max(held),
        "fits": {
            "collective_fixed_latency_seconds": {
                "table": _chip(core, "v5e")["collective_fixed_latency_seconds"],
                "least_squares_on_fitted_points": least_squares_fixed_latency(core),
                "points": ["V2", "C1 4 KiB", "C2 4 KiB"],
            }
        },
    }


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="print published measurements next to the model's predictions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--no-end-to-end",
        action="store_true",
        help="skip the whole-step sections (they compile Wan 2.1 14B for TPU7x and 1.3B for "
        "v5e:2x4 when not cached)",
    )
    p.add_argument("--cache-dir", default=None, help="compile cache (default ~/.cache/aoizora)")
    add_calibration_argument(p)
    p.set_defaults(run=run, native_log=True)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1e6:.2f} us"
    if unit == "B/s":
        return f"{value / 1e9:.1f} GB/s"
    return f"{value:.3g}"


def end_to_end(
    cache_dir: str | None, show_progress: bool, calibration: Any = None
) -> dict[str, Any]:
    from aoizora.compiler import env

    env.configure()
    from aoizora.planner import end_to_end as e2e
    from aoizora.planner.progress import Progress

    total = len(e2e.scenarios())
    with Progress(enabled=show_progress) as progress, progress.stage("end-to-end", total) as tick:
        return e2e.evaluate(e2e.default_predict(cache_dir, calibration), on_scenario=tick)


def placement_swing(
    cache_dir: str | None, show_progress: bool, calibration: Any = None
) -> dict[str, Any]:
    from aoizora.compiler import env

    env.configure()
    from aoizora.planner import placement_swing as ps
    from aoizora.planner.progress import Progress

    with (
        Progress(enabled=show_progress) as progress,
        progress.stage("placement swing (V4)", len(ps.SCENARIOS)) as tick,
    ):
        swing = ps.default_swing(
            cache_dir,
            calibration,
            on_batch=lambda key, done, total: tick(
                f"{key}: {done}/{total} placements replayed", advance=0
            ),
        )
        return ps.evaluate(swing, on_scenario=tick)


def _print_placement_swing(c, sw: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=escape(
            f"{sw['id']}: {sw['setup']}; measured swing {sw['measured_swing']:.1%} ({sw['source']})"
        )
    )
    for col in ("sharding", "whose", "placements", "Q2 fastest", "Q2 swing", "SimGrid swing"):
        table.add_column(col, overflow="fold")
    for r in sw["rows"]:
        if r["error"]:
            table.add_row(r["scenario"], r["who"], escape(r["error"]), "-", "-", "-")
            continue
        sim = r["simulated_swing"]
        table.add_row(
            r["scenario"],
            r["who"],
            f"{r['placements']} orbits of {r['device_orders']}",
            f"{r['q2_fastest_seconds'] * 1e3:.1f} ms",
            f"{r['q2_swing']:.1%}",
            escape(r["simulated_error"]) if sim is None else f"{sim:.1%}",
        )
    c.print(table)
    c.print(sw["label"], markup=False, highlight=False)


def _print_end_to_end(c, e2e: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"whole denoising steps, measured vs predicted ({PREDICTION_LABEL})")
    for col in ("id", "setup", "measured", "compiler", "err", "roofline", "err", "kind"):
        table.add_column(col, overflow="fold")
    for r in e2e["points"]:
        unit = "s" if r["unit"] == "s" else "ratio"

        def value(x, unit=unit):
            if x is None:
                return "-"
            return f"{x:.3f} s" if unit == "s" else f"{x:.3f}"

        def err(x):
            return "-" if x is None else f"{x:+.0%}"

        table.add_row(
            r["id"],
            r["setup"],
            value(r["measured"]),
            value(r["predicted"]["compiler"]),
            err(r["relative_error"]["compiler"]),
            value(r["predicted"]["roofline"]),
            err(r["relative_error"]["roofline"]),
            r["bound"] + (f"; {r['note']}" if r["note"] else ""),
        )
    c.print(table)
    for source, s in e2e["summary"].items():
        if s["mean_abs_relative_error"] is None:
            continue
        c.print(
            f"{source} source: mean |error| {s['mean_abs_relative_error']:.0%}, max "
            f"{s['max_abs_relative_error']:.0%} over {s['points']} per-step points (none fitted); "
            f"{s['within_25_percent']} within 25%; {s['above_upper_bound']} above an upper bound"
        )


def run(args: argparse.Namespace) -> int:
    from aoizora.calibrate import load_calibration

    cal = load_calibration(args.calibration) if args.calibration else None
    report = evaluate(cal)
    if not args.no_end_to_end:
        report["end_to_end"] = end_to_end(
            args.cache_dir, show_progress=not args.json, calibration=cal
        )
        report["placement_swing"] = placement_swing(
            args.cache_dir, show_progress=not args.json, calibration=cal
        )
    if args.json:
        print_json(report)
        return 0
    from rich.table import Table

    table = Table(title=f"model vs published measurements ({report['label']})")
    for col in ("id", "setup", "measured", "predicted", "error", "SimGrid", "error", "role"):
        table.add_column(col)
    for r in report["points"]:
        err = r["relative_error"]
        sim_err = r["simulated_relative_error"]
        table.add_row(
            r["id"],
            r["setup"],
            _fmt(r["measured"], r["unit"]),
            _fmt(r["predicted"], r["unit"]),
            "-" if err is None else f"{err:+.1%}",
            _fmt(r["simulated"], r["unit"]),
            "-" if sim_err is None else f"{sim_err:+.1%}",
            r["role"] + (f" ({r['note']})" if r["note"] else ""),
        )
    c = console()
    c.print(table)
    c.print(report["constants"], markup=False, highlight=False)
    c.print(f"SimGrid column: {report['simulated_label']}")
    c.print(
        f"held-out points: mean |error| {report['held_out_mean_abs_relative_error']:.1%}, "
        f"max {report['held_out_max_abs_relative_error']:.1%}"
    )
    fit = report["fits"]["collective_fixed_latency_seconds"]
    c.print(
        f"fixed per-collective latency: table {fit['table'] * 1e6:.2f} us, least squares on "
        f"{', '.join(fit['points'])}: {fit['least_squares_on_fitted_points'] * 1e6:.2f} us"
    )
    if "end_to_end" in report:
        _print_end_to_end(c, report["end_to_end"])
    if "placement_swing" in report:
        _print_placement_swing(c, report["placement_swing"])
    return 0
