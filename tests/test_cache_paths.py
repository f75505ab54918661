"""A second checkout of the same commit shares every compile cache entry: the key depends on what
is compiled (the lowered module, toolchain, slice, mesh), never on where the source files live.

Two copies of the ``aoizora`` package at different paths lower the same candidates (TPU, the
splash kernel and plain-JAX attention, the batched step and wan-official's sequential CFG) in their
own processes; their cache keys must equal this checkout's."""

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import aoizora
from aoizora.compiler import env
from aoizora.compiler.cache import lowered_text_digest

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")

CASES = [  # (candidate, attention, CFG: batch = our step, sequential = wan-official's)
    ("ring=2,ulysses=2|w:ring", "splash", "batch"),
    ("ring=2,ulysses=2|w:ring", "jax", "batch"),
    ("ulysses=4|w:ulysses", "splash", "sequential"),
]

KEYS = textwrap.dedent(
    """
    import json, sys
    root = sys.argv[1]
    if root:  # a copy of the package: import it, not the editable install of the checkout
        editable = [f for f in sys.meta_path if type(f).__module__.startswith("_editable_")]
        sys.meta_path = [f for f in sys.meta_path if f not in editable]
        sys.path.insert(0, root)
    import aoizora.models.wan.model as wan_model
    assert not root or wan_model.__file__.startswith(root), wan_model.__file__
    from aoizora.compiler import env
    env.configure()
    from aoizora.compiler import adapter
    from aoizora.compiler.cache import cache_key
    from aoizora.models import Candidate, family_of
    keys = []
    family = family_of("wan2.1-tiny")
    scenario = family.scenario("wan2.1-tiny", "tiny", 9)
    for label, attention, cfg in json.loads(sys.argv[2]):
        variant = () if cfg == "batch" else (("cfg_passes", cfg),)
        workload = family.workload(scenario, attention, "v5e", variant)
        cand = Candidate.parse(label)
        low = adapter.lower(cand, workload=workload)
        job = adapter.make_job(cand, "v5e:2x2", workload=workload)
        keys.append(cache_key(job, low.sha256))
    print(json.dumps(keys))
    """
)


def _package_copy(where: Path) -> Path:
    """The checkout's ``aoizora`` package (and its built C++ core) copied under ``where``."""
    src = Path(aoizora.__file__).parent
    dst = where / "aoizora"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    core = Path(aoizora.core().__file__)
    if not (dst / core.name).exists():
        shutil.copy2(core, dst / core.name)
    return where


def _keys(root: str) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-c", KEYS, root, json.dumps(CASES)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_two_checkouts_share_every_cache_entry(tmp_path):
    a = _package_copy(tmp_path / "checkout-a" / "python")
    b = _package_copy(tmp_path / "elsewhere" / "b" / "python")
    here = _keys("")
    assert _keys(str(a)) == here
    assert _keys(str(b)) == here
    assert len(set(here)) == len(CASES)  # different programs keep different keys


def test_digest_ignores_source_locations_and_paths():
    def module(path: str, line: int, body: str = "AAAA") -> str:
        return (
            "HloModule jit_step\n"
            f'  a = f32[4] parameter(0), metadata={{op_name="jit(step)/dot" '
            f'source_file="{path}/python/aoizora/models/wan21.py" source_line={line}}}\n'
            f'  b = f32[4] custom-call(a), custom_call_target="tpu_custom_call", '
            f'backend_config={{"custom_call_config": {{"body": "{body}"}}}}, '
            f'metadata={{op_name="jit(step)/splash" source_file="{path}/x.py" source_line=3 '
            "source_end_line=4 source_column=1 source_end_column=9}\n"
        )

    one = lowered_text_digest(module("/work/main", 120))
    assert lowered_text_digest(module("/home/someone/clone2", 121, body="BBBB")) == one
    other_program = module("/work/main", 120).replace("f32[4] custom-call", "f32[8] custom-call")
    assert lowered_text_digest(other_program) != one
