"""Compile worker: ``python -m aoizora.compiler.worker JOB.json RESULT.json``.

Runs one compile in its own process so that a crash or an out-of-memory kill inside XLA fails one
candidate, not the planner. Writes a :class:`CompileResult` as JSON (atomically) and exits 0 when
the compile ran to an answer (ok, oom or error); a missing result file means the process died.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from aoizora.compiler import env
from aoizora.compiler.job import CompileJob, CompileResult, MemoryReport

_OOM_MARKERS = ("RESOURCE_EXHAUSTED", "Ran out of memory", "out of memory")
# libtpu 0.0.42: "... HLO temporaries (78.13G) exceeds available HBM (15.75G)"; older releases:
# "Used 25.41G of 15.75G hbm".
_OOM_RES = (
    re.compile(r"\(([0-9.]+)([KMGT]?)\) exceeds available HBM \(([0-9.]+)([KMGT]?)\)"),
    re.compile(r"Used ([0-9.]+)([KMGT]?) of ([0-9.]+)([KMGT]?) hbm"),
)
_UNIT = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def compiler_identity(job: CompileJob) -> str:
    from aoizora.compiler.cache import toolchain_versions

    v = toolchain_versions()
    if job.compiler == "tpu":
        return f"tpu-aot (libtpu {v['libtpu']}, jax {v['jax']}, jaxlib {v['jaxlib']})"
    return (
        f"xla-cpu-fallback (XLA CPU backend, {job.num_devices} forced host devices, "
        f"jax {v['jax']}, jaxlib {v['jaxlib']}; not the TPU compiler)"
    )


def parse_oom(message: str) -> tuple[int, int]:
    """(required, available) bytes from libtpu's out-of-memory message; (0, 0) if absent."""
    m = next((m for r in _OOM_RES if (m := r.search(message))), None)
    if m is None:
        return 0, 0
    used = float(m.group(1)) * _UNIT[m.group(2)]
    limit = float(m.group(3)) * _UNIT[m.group(4)]
    return int(used), int(limit)


def memory_report(stats, hbm_bytes: int) -> MemoryReport:
    arg = int(stats.argument_size_in_bytes)
    out = int(stats.output_size_in_bytes)
    alias = int(stats.alias_size_in_bytes)
    temp = int(stats.temp_size_in_bytes)
    code = int(stats.generated_code_size_in_bytes)
    # What is live at once at worst: inputs, outputs not aliased to inputs, the temp arena and the
    # program. XLA's own peak_memory_in_bytes is larger on TPU (padding, scoped memory) but on
    # the CPU backend it leaves out the temp arena, so take the larger of the two.
    xla_peak = int(getattr(stats, "peak_memory_in_bytes", 0) or 0)
    peak = max(xla_peak, arg + out - alias + temp + code)
    return MemoryReport(arg, out, alias, temp, code, xla_peak, peak, hbm_bytes, peak <= hbm_bytes)


def _cost_dict(cost) -> dict[str, float]:
    if isinstance(cost, list):  # older JAX: one dict per module
        cost = cost[0] if cost else {}
    return {str(k): float(v) for k, v in (cost or {}).items() if isinstance(v, (int, float))}


def run_job(job: CompileJob, key: str) -> CompileResult:
    """Lower against the slice's devices and compile. Call in a fresh process."""
    from aoizora.compiler.lowering import concrete_mesh, lower_job
    from aoizora.compiler.tpu_topology import parse_slice_spec

    result = CompileResult(
        status="error",
        candidate=job.candidate,
        topology=job.topology,
        compiler=compiler_identity(job),
        key=key,
        mesh_shape=tuple(job.mesh_shape),
        axis_names=tuple(job.axis_names),
    )
    t0 = None
    try:
        mesh = concrete_mesh(job)
        result.device_ids = tuple(int(d.id) for d in mesh.devices.flat)
        lowered, low = lower_job(job, mesh)
        result.lower_seconds = low.lower_seconds
        result.lowered_sha256 = low.sha256
        t0 = time.perf_counter()
        compiled = lowered.compile(compiler_options=dict(job.options) or None)
        result.compile_seconds = time.perf_counter() - t0
    except Exception as e:  # XLA reports compile failures as exceptions: one candidate fails
        if t0 is not None:  # the compiler itself refused: time how long it took to say so
            result.compile_seconds = time.perf_counter() - t0
        msg = f"{type(e).__name__}: {e}"
        result.error = msg[:4000]
        if any(m in msg for m in _OOM_MARKERS):
            result.status = "oom"
            result.oom_used_bytes, result.oom_limit_bytes = parse_oom(msg)
        return result
    hbm_bytes = int(parse_slice_spec(job.topology).hbm_bytes_per_device)
    result.hlo_text = compiled.as_text()
    result.memory = memory_report(compiled.memory_analysis(), hbm_bytes)
    result.cost = _cost_dict(compiled.cost_analysis())
    result.status = "ok"
    return result


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def exit_with_planner(planner_pid: int, poll_s: float = 1.0) -> None:
    """Exit when the planner that started this worker is gone (even killed with -9: the worker
    runs in its own session, so nothing else would stop it)."""

    def watch() -> None:
        while True:
            if os.getppid() != planner_pid:
                os._exit(3)
            time.sleep(poll_s)

    threading.Thread(target=watch, name="planner-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m aoizora.compiler.worker JOB.json RESULT.json", file=sys.stderr)
        return 2
    planner = os.environ.get("AOIZORA_PLANNER_PID")
    if planner:
        exit_with_planner(int(planner))
    job_path, result_path = Path(argv[1]), Path(argv[2])
    job_text = job_path.read_text()
    meta = json.loads(job_text)
    key = meta.pop("key")
    job = CompileJob.from_json(json.dumps(meta))
    env.configure(cpu_devices=job.num_devices if job.compiler == "cpu" else None)
    t0 = time.perf_counter()
    result = run_job(job, key)
    result.wall_seconds = time.perf_counter() - t0
    _write_atomic(result_path, json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
