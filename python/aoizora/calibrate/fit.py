"""Constants fitted from the benchmarks' timings (docs/calibration.md, "How the constants are
fitted"):

- alpha-beta law ``t = alpha + bytes / beta`` by least squares in relative error (each point
  weighted by 1 / its median time, as the table's fixed latency was fitted, so the microsecond
  points count as much as the millisecond ones); ``beta`` of the one-hop ppermute sweep is the
  one-way link bandwidth, ``alpha`` minus one hop's latency the fixed latency per collective;
- efficiencies: the median achieved rate of the largest case over the sourced peak per device
  (matmul, attention, memory copy plateau); transcendentals per cycle: the measured rate over the
  sourced clock and TensorCores per device.

On a backend without a row in the sourced table (the XLA CPU backend) there is no peak to divide
by: only the absolute constants (link bandwidth, fixed latency, memory bandwidth) are fitted, and
the rates are reported as measurements.
"""

from __future__ import annotations

from typing import Any


def alpha_beta(points: list[tuple[float, float]]) -> dict[str, float]:
    """Fit ``t = alpha + bytes / beta`` to (bytes, seconds) points, least squares in relative
    error. ``beta`` is None when the slope is not positive (no bandwidth term visible)."""
    import numpy as np

    if len(points) < 2:
        raise ValueError(f"an alpha-beta fit needs at least 2 sizes, got {len(points)}")
    x = np.array([p[0] for p in points], dtype=float)
    t = np.array([p[1] for p in points], dtype=float)
    a = np.stack([np.ones_like(x), x], axis=1) / t[:, None]
    (alpha, slope), *_ = np.linalg.lstsq(a, np.ones_like(t), rcond=None)
    pred = alpha + slope * x
    return {
        "alpha_seconds": float(alpha),
        "beta_bytes_per_second": float(1.0 / slope) if slope > 0 else None,
        "max_relative_error": float(np.max(np.abs(pred - t) / t)),
        "points": len(points),
    }


def _constant(value: float, benchmark: str, method: str) -> dict[str, Any]:
    return {"value": float(value), "benchmark": benchmark, "method": method}


def _median(rows: list[dict], kind: str) -> list[dict]:
    return [r for r in rows if r["kind"] == kind]


def fit_constants(
    records: list[dict[str, Any]], chip: dict[str, Any] | None, platform: str
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """(constants, derived): ``constants`` by calibratable name with value, source benchmark and
    method; ``derived``: every fit and rate, including those that set no constant."""
    constants: dict[str, dict[str, Any]] = {}
    derived: dict[str, Any] = {"alpha_beta": {}, "rates": {}, "notes": []}
    per_device = 1
    if chip is not None:
        per_device = chip["cores_per_chip"]

    # Links: the one-hop ppermute sweep, per axis; the core axis (tpu7x) is the die-to-die link.
    permutes = _median(records, "ppermute")
    by_axis: dict[str, list] = {}
    for r in permutes:
        by_axis.setdefault(r["params"]["axis"], []).append(
            (r["bytes_per_device"], r["median_seconds"])
        )
    link_fits = {}
    for axis, pts in by_axis.items():
        if len(pts) >= 2:
            link_fits[axis] = alpha_beta(pts)
            derived["alpha_beta"][f"ppermute {axis}"] = link_fits[axis]
    ici = {a: f for a, f in link_fits.items() if a != "core"}
    betas = sorted(f["beta_bytes_per_second"] for f in ici.values() if f["beta_bytes_per_second"])
    # With a core axis (tpu7x), every core of a chip sent along the chip axes at once, over the
    # chip's one link per direction, which they share (as the comm model and SimGrid count it):
    # the link carries the cores' rates together.
    sharing = per_device if "core" in by_axis else 1
    if betas:
        constants["ici_link_one_way_bytes_per_second"] = _constant(
            betas[len(betas) // 2] * sharing,
            "C1-C2 ppermute sweep",
            f"1 / slope of the alpha-beta fit, median over axes {sorted(ici)}"
            + (f", x {sharing} cores of a chip sharing its link" if sharing > 1 else ""),
        )
    alphas = sorted(f["alpha_seconds"] for f in ici.values())
    if alphas:
        alpha = alphas[len(alphas) // 2]
        hop = chip["ici_hop_latency_seconds"] if chip is not None else 0.0
        if alpha - hop > 0:
            constants["collective_fixed_latency_seconds"] = _constant(
                alpha - hop,
                "C1-C2 ppermute sweep",
                "intercept of the alpha-beta fit (median over axes)"
                + (" minus one hop's latency (sourced table)" if hop else ""),
            )
        else:
            derived["notes"].append(
                f"ppermute intercept {alpha:.3g} s is not above one hop's latency {hop:.3g} s: "
                "fixed latency left to the table"
            )
    core = link_fits.get("core")
    if (
        core
        and core["beta_bytes_per_second"]
        and chip
        and chip["die_to_die_one_way_bytes_per_second"]
    ):
        constants["die_to_die_one_way_bytes_per_second"] = _constant(
            core["beta_bytes_per_second"], "C1-C2 ppermute sweep", "1 / slope on the core axis"
        )

    # Collectives: fitted per kind and group for the record (held-out checks, not constants).
    groups: dict[str, list] = {}
    for r in records:
        if r["benchmark"] == "collective sweep":
            groups.setdefault(f"{r['kind']} {r['params']['group']}", []).append(
                (r["bytes_per_device"], r["median_seconds"])
            )
    for key, pts in groups.items():
        if len(pts) >= 2:
            derived["alpha_beta"][key] = alpha_beta(pts)

    peak = chip["bf16_flops_per_second"] / per_device if chip else None
    for kind, name, bench in (
        ("matmul", "matmul_efficiency", "C3-C4 matmul"),
        ("attention", "attention_efficiency", "C5-C6 attention"),
    ):
        rows = _median(records, kind)
        if not rows:
            continue
        largest = max(rows, key=lambda r: r["flops"])
        rate = largest["flops"] / largest["median_seconds"]
        derived["rates"][f"{kind}_flops_per_second"] = rate
        if peak:
            constants[name] = _constant(
                min(rate / peak, 1.0),
                bench,
                f"median achieved FLOP/s of the largest case ({largest['params']}) / sourced peak "
                "per device" + (" (clamped to 1)" if rate > peak else ""),
            )
    narrow = _median(records, "narrow-matmul")
    if narrow:
        largest = max(narrow, key=lambda r: r["flops"])
        derived["rates"]["narrow_matmul_flops_per_second"] = (
            largest["flops"] / largest["median_seconds"]
        )

    copies = _median(records, "copy")
    if copies:
        plateau = max(r["bytes_moved"] / r["median_seconds"] for r in copies)
        derived["rates"]["copy_bytes_per_second"] = plateau
        if chip:
            hbm = chip["hbm_bytes_per_second"] / per_device
            constants["hbm_efficiency"] = _constant(
                min(plateau / hbm, 1.0),
                "C9 HBM copy",
                "best median copy bandwidth (read + write bytes) over sizes / sourced HBM "
                "bandwidth per device",
            )
        else:
            constants["hbm_bytes_per_second"] = _constant(
                plateau, "C9 HBM copy", "best median copy bandwidth (read + write) over sizes"
            )

    exps = _median(records, "exp")
    if exps:
        rate = max(r["transcendentals"] / r["median_seconds"] for r in exps)
        derived["rates"]["transcendentals_per_second"] = rate
        if chip:
            cores = chip["tensorcores_per_chip"] / per_device
            constants["transcendentals_per_cycle"] = _constant(
                rate / (chip["tensorcore_clock_hz"] * cores),
                "transcendental throughput",
                "median exp rate / (sourced TensorCore clock x TensorCores per device)",
            )
    if chip is None:
        derived["notes"].append(
            f"{platform} backend: no sourced peak, so no efficiency constants; the rates above "
            "are measurements"
        )
    return constants, derived
