"""plan.png: the predicted step latency of ours against each baseline (model predictions), and
the winning placement drawn on the slice (which logical device sits on which chip)."""

from __future__ import annotations

from pathlib import Path

from aoizora.planner.pipeline import PlanOutcome


def plan_figure(outcome: PlanOutcome, path: str | Path) -> Path | None:
    plan = outcome.plan
    if plan is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aoizora.planner.report import comparison_rows

    rows = [r for r in comparison_rows(outcome) if r["seconds"] is not None]
    fig, (ax_bar, ax_grid) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = [r["name"] for r in rows]
    ms = [r["seconds"] * 1e3 for r in rows]
    colors = ["tab:green" if i == 0 else "tab:gray" for i in range(len(rows))]
    ax_bar.barh(names[::-1], ms[::-1], color=colors[::-1])
    ax_bar.set_xlabel("predicted step latency (ms) - model prediction, not measured")
    ax_bar.set_title(f"{plan.model} {plan.resolution} on {plan.topology}")
    for y, v in enumerate(ms[::-1]):
        ax_bar.text(v, y, f" {v:.1f}", va="center", fontsize=8)

    coords = [c[:3] for c in plan.device_order]
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    zs = [c[2] for c in coords]
    planes = sorted(set(zs))
    width = max(xs) + 1
    for logical, (x, y, z) in enumerate(coords):
        # 3-D slices: z planes side by side.
        gx = x + planes.index(z) * (width + 1)
        ax_grid.add_patch(plt.Rectangle((gx - 0.45, y - 0.45), 0.9, 0.9, fill=False))
        ax_grid.text(gx, y, str(logical), ha="center", va="center", fontsize=10)
    ax_grid.set_xlim(-1, len(planes) * (width + 1) - 1)
    ax_grid.set_ylim(max(ys) + 1, -1)
    ax_grid.set_aspect("equal")
    ax_grid.set_xticks([])
    ax_grid.set_yticks([])
    ax_grid.set_title(
        f"{plan.candidate}: logical device on each chip (x right, y down)", fontsize=9
    )
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
