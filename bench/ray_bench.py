"""Compile farm benchmark (issue 16): the wall time of one ``aoizora plan`` with its compiles on a
local Ray instance of 1 and 2 workers (CPUs), and on the local executor for reference; writes
bench/results/ray.md and ray.json.

    .venv/bin/python bench/ray_bench.py                      # tiny Wan, v5e:2x2, exact, CPU
    .venv/bin/python bench/ray_bench.py --model wan2.1-t2v-1.3b --resolution 480p --frames 81 \\
        --topology v5e:2x2 --mode topk --compiler tpu --runs ray:1,ray:2

Each run is ``aoizora plan`` in a fresh process with an empty compile cache, so its wall time
includes starting Ray (or not) and every compile; the plans must agree apart from timings and the
executor's fields (checked, and said in the table). Wall times are measured on this host and say
how many cores it has; the plan's latencies are model predictions and are not this bench's
subject.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from aoizora.plan import without_run_fields

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def compile_seconds(cache: Path) -> dict | None:
    """XLA's own compile time per program (``compile_seconds`` of each entry the run wrote into
    its cache: no worker start-up, no lowering): mean, min and max over the entries."""
    times = [
        json.loads(f.read_text())["result"]["compile_seconds"]
        for f in sorted((cache / "compile").glob("*.json"))
    ]
    if not times:
        return None
    return {
        "entries": len(times),
        "mean": round(sum(times) / len(times), 1),
        "min": round(min(times), 1),
        "max": round(max(times), 1),
    }


def run_one(executor: str, workers: int, args, work: Path) -> dict:
    name = f"{executor}-{workers}"
    out, cache = work / name / "out", work / name / "cache"
    shutil.rmtree(work / name, ignore_errors=True)
    argv = [
        sys.executable,
        "-m",
        "aoizora.cli.main",
        "plan",
        "--model",
        args.model,
        "--resolution",
        args.resolution,
        "--frames",
        str(args.frames),
        "--topology",
        args.topology,
        "--mode",
        args.mode,
        "--k",
        str(args.k),
        "--compiler",
        args.compiler,
        "--workers",
        str(workers),
        "--executor",
        executor,
        "--cache-dir",
        str(cache),
        "--out",
        str(out),
    ]
    print(f"== {name}: {' '.join(argv[3:])}", file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    run = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    (work / name / "stderr.txt").write_text(run.stderr)
    if run.returncode != 0:
        raise SystemExit(f"{name}: aoizora plan exited {run.returncode}:\n{run.stderr[-3000:]}")
    plan = json.loads((out / "plan.json").read_text())
    stats = plan["stats"]
    row = {
        "run": name,
        "executor": executor,
        "workers": workers,
        "process_wall_seconds": round(wall, 1),
        # The host is shared: the 1-minute load average before the run, and the 15-minute one
        # after it (about the run's own span), say how busy it was.
        "load_1min_before": round(load_before, 1),
        "load_15min_after": round(os.getloadavg()[2], 1),
        "ray_max_calls": os.environ.get("AOIZORA_RAY_MAX_CALLS", "1") if executor == "ray" else "",
        "plan_wall_seconds": round(stats["wall_seconds"], 1),
        "compile_stage_seconds": round(stats["stage_seconds"].get("compile", 0.0), 1),
        "fresh_compiles": stats["fresh_compiles"],
        "compiled": stats["compiled"],
        "compiled_for_baselines": stats["compiled_for_baselines"],
        "tasks_per_node": stats["executor"].get("tasks_per_node"),
        "compile_seconds_per_program": compile_seconds(cache),
        "candidate": plan["candidate"],
        "predicted_ms": round(plan["predicted"]["seconds"] * 1e3, 4),
    }
    print(f"   {json.dumps(row)}", file=sys.stderr, flush=True)
    return {"row": row, "plan": without_run_fields(plan)}


def _max_calls(row: dict) -> str:
    """AOIZORA_RAY_MAX_CALLS of a ray run (1, the default, before the bench recorded it)."""
    if row["executor"] != "ray":
        return "-"
    value = row.get("ray_max_calls", "1")
    return "no limit" if value == "0" else value


def write(
    rows: list[dict], same: bool, args, scenario: str | None = None, host: str | None = None
) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    scenario = scenario or (
        f"{args.model} {args.resolution} {args.frames} frames on {args.topology}, "
        f"--mode {args.mode}"
        + (f" --k {args.k}" if args.mode == "topk" else "")
        + f", --compiler {args.compiler}"
    )
    host = host or f"{os.cpu_count()} cores, Python {platform.python_version()}"
    (RESULTS / f"ray{args.tag}.json").write_text(
        json.dumps({"scenario": scenario, "host": host, "same_plan": same, "runs": rows}, indent=1)
        + "\n"
    )
    md = [
        "# Compile farm: plan wall time by executor (measured)",
        "",
        f"Scenario: {scenario}. Host: {host}. Each run: `aoizora plan` in a fresh process, empty "
        "compile cache (`python bench/ray_bench.py`, arguments in ray.json). Wall times are "
        "measured on this host, shared with other work (the load column): compare runs made under "
        "similar load.",
        "",
        "| run | executor | workers | compiles per Ray worker process | process wall s | "
        "plan wall s | compile stage s | fresh compiles | tasks per node | "
        "host load (1 min before, 15 min after) | XLA compile s per program, mean (min-max) | "
        "plan (model prediction) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        nodes = ", ".join(f"{k}: {v}" for k, v in (r["tasks_per_node"] or {}).items()) or "-"
        c = r.get("compile_seconds_per_program")
        per = f"{c['mean']} ({c['min']}-{c['max']}), {c['entries']} programs" if c else "-"
        md.append(
            f"| {r['run']} | {r['executor']} | {r['workers']} | {_max_calls(r)} | "
            f"{r['process_wall_seconds']} | "
            f"{r['plan_wall_seconds']} | {r['compile_stage_seconds']} | {r['fresh_compiles']} | "
            f"{nodes} | {r.get('load_1min_before', '?')}, {r.get('load_15min_after', '?')} | "
            f"{per} | {r['candidate']}, {r['predicted_ms']} ms |"
        )
    md += [
        "",
        "Same plan.json in every run apart from timings and the executor's fields: "
        + ("yes" if same else "NO"),
        "",
        "process wall: the whole command (Python, JAX and the C++ core's start-up included); "
        "plan wall: plan.json's stats.wall_seconds, from the planning session's start (which "
        "starts the local Ray instance for the ray runs); compile stage: the time inside the "
        "compile stage, the search's compiles and the baselines' together; XLA compile s per "
        "program: compile_seconds of the entries the run wrote into its cache (XLA's compile "
        "alone, without the worker's start-up and lowering).",
    ]
    (RESULTS / f"ray{args.tag}.md").write_text("\n".join(md) + "\n")
    print(f"wrote {RESULTS}/ray{args.tag}.md and .json", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--model", default="wan2.1-tiny")
    ap.add_argument("--resolution", default="tiny")
    ap.add_argument("--frames", type=int, default=9)
    ap.add_argument("--topology", default="v5e:2x2")
    ap.add_argument("--mode", choices=["exact", "topk"], default="exact")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--compiler", choices=["tpu", "cpu"], default="cpu")
    ap.add_argument(
        "--runs",
        default="ray:1,ray:2,local:2",
        help="executor:workers, comma-separated (default ray:1,ray:2,local:2)",
    )
    ap.add_argument("--tag", default="", help="suffix of the result files (ray<tag>.md)")
    ap.add_argument(
        "--rewrite",
        action="store_true",
        help="only re-render ray.md from ray.json (no runs); per-program compile times missing "
        "from ray.json are read from the runs' caches under build/ when they are still there",
    )
    args = ap.parse_args()
    if args.rewrite:
        saved = json.loads((RESULTS / f"ray{args.tag}.json").read_text())
        for row in saved["runs"]:
            cache = ROOT / "build" / f"ray-bench{args.tag}" / row["run"] / "cache"
            if row.get("compile_seconds_per_program") is None and cache.is_dir():
                row["compile_seconds_per_program"] = compile_seconds(cache)
        write(saved["runs"], saved["same_plan"], args, saved["scenario"], saved["host"])
        return 0
    runs = []
    for item in args.runs.split(","):
        executor, _, workers = item.partition(":")
        if executor not in ("local", "ray") or not workers.isdigit() or int(workers) < 1:
            print(f"ray_bench: error: bad --runs item {item!r} (want ray:N or local:N)")
            return 2
        runs.append((executor, int(workers)))
    work = ROOT / "build" / f"ray-bench{args.tag}"
    results = [run_one(e, w, args, work) for e, w in runs]
    same = all(r["plan"] == results[0]["plan"] for r in results)
    write([r["row"] for r in results], same, args)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
