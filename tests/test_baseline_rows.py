"""The rows ``aoizora plan`` writes for baselines (aoizora.planner.baselines) on a stand-in
planner: a recipe that cannot run on the slice, whose mesh cannot be built or that does not fit in
memory is a row that says so, and nothing is compiled for it; a recipe that runs is scored at its
own mesh's device order; wan-official's sequential CFG is its own program (a variant), never one
of our candidates. The compiled path end to end: tests/test_plan_e2e.py."""

import pytest

from aoizora.baselines import recipes as rc
from aoizora.compiler import env
from aoizora.compiler.job import CompileResult
from aoizora.models import Candidate, family_of
from aoizora.models.wan import recipes as wr
from aoizora.plan_schema import baseline_names, existing_solutions
from aoizora.planner import baselines as bl
from aoizora.planner.pipeline import CandidateRecord, PlanRequest

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")

FITS = {"fits_memory": True, "memory_reason": "", "alpha_beta_seconds": 1.0, "seconds": 1.0}


def _compiled(rec: CandidateRecord) -> CandidateRecord:
    rec.compile = CompileResult("ok", rec.label, "", "stub", "k", hlo_text="HloModule stub")
    rec.ranking = {"placements": [{"seconds": 1.0, "breakdown": {}}]}
    return rec


class StubPlanner:
    """What the baseline rows use of the planning session; compiles are recorded, never run."""

    def __init__(self, topology: str, model: str, tokens: int, records=()) -> None:
        from aoizora import _core

        self.topology_name = topology
        self.num_devices = int(_core.parse_slice_spec(topology).num_devices)
        self.req = PlanRequest(model=model, topology=topology)
        self.family = family_of(model)
        self.scenario = self.family.scenario(model)
        self.info = {"tokens": tokens}
        self.records = list(records)
        self.variants: dict = {}
        self.compiled: list[str] = []
        self.scored: list[tuple[str, list]] = []
        self.batches: list[list[str]] = []

    def record_for(self, cand):
        return next((r for r in self.records if r.candidate == cand), None)

    def lower_and_bound(self, recs, workload=None):
        for r in recs:
            r.q1 = dict(FITS)

    def ensure_compiled(self, rec):
        if rec.compile is None:
            self.compiled.append(rec.label)
            _compiled(rec)

    def variant(self, cand, variant):
        return self.variants.setdefault((cand, variant), CandidateRecord(cand, q1=dict(FITS)))

    def ensure_variant_compiled(self, rec):
        if rec.compile is None:
            self.compiled.append(rec.label + " (sequential CFG)")
            _compiled(rec)

    def compile_together(self, recs):
        self.batches.append([r.label for r in recs])
        for r in recs:
            _compiled(r)

    def score(self, rec, coords):
        self.scored.append((rec.label, coords))
        return {"seconds": 2.0 if rec in self.variants.values() else 1.5}

    def simulate(self, rec, coords):
        # The SimGrid column (docs/simgrid.md): a stand-in that says which order was simulated.
        return 1.75 if coords is not None else None


def _rec(label: str, **q1) -> CandidateRecord:
    return CandidateRecord(Candidate.parse(label), q1={**FITS, **q1})


def _row(p, name):
    return bl.recipe_row(p, wr.recipe(name, p.req.model, p.num_devices, p.info["tokens"]))


def test_names_agree_with_the_schema():
    names = baseline_names()
    assert set(bl.PLANNER_ROWS) < set(names) and "oracle" in names
    assert set(wr.RECIPES) <= set(existing_solutions())
    assert not set(bl.PLANNER_ROWS) & set(existing_solutions())
    for old in ("xla-autosharding", "maxdiffusion"):
        assert old not in names


def test_a_mesh_maxdiffusion_cannot_build_is_a_row_not_a_compile():
    p = StubPlanner("v5e:4x4", "wan2.1-t2v-1.3b", 32760, [_rec("cfg=2,kv_gather=8|w:kv_gather")])
    row = _row(p, "maxdiffusion-readme")
    assert row["candidate"] == "cfg=2,kv_gather=8|w:kv_gather"
    assert row["seconds"] is None and row["fits"] is None and row["existing_solution"]
    assert "cannot be built" in row["note"] and row["placement"] == rc.CREATE_DEVICE_MESH
    assert row["cfg"] == "parallel" and row["source"].startswith("AI-Hypercomputer/maxdiffusion")
    assert p.compiled == [] and p.scored == []


def test_a_recipe_that_cannot_run_is_a_row_not_a_substitute():
    p = StubPlanner("v5e:4x8", "wan2.1-tiny", 20)  # 32 context shards, 20 tokens
    row = _row(p, "maxdiffusion-default")
    assert row["candidate"] is None and row["seconds"] is None
    assert row["note"].startswith("cannot run:") and "exceeds the 20 tokens" in row["note"]
    assert p.compiled == []


def test_a_recipe_that_does_not_fit_memory_is_not_compiled():
    refused = _rec("kv_gather=4|w:kv_gather", fits_memory=False, memory_reason="20 GB > 16 GB")
    p = StubPlanner("v5e:2x2", "wan2.1-t2v-1.3b", 32760, [refused])
    row = _row(p, "maxdiffusion-default")
    assert row["fits"] is False and "20 GB > 16 GB" in row["note"]
    assert p.compiled == []


def test_a_recipe_that_runs_is_scored_at_its_own_mesh_order():
    p = StubPlanner("v5e:2x4", "wan2.1-t2v-1.3b", 32760, [_rec("kv_gather=8|w:kv_gather")])
    row = _row(p, "maxdiffusion-default")
    want = rc.recipe_placement(
        wr.recipe("maxdiffusion-default", "wan2.1-t2v-1.3b", 8), "v5e:2x4"
    ).device_coords
    assert row["seconds"] == 1.5 and row["fits"] is True and row["device_order"] == want
    assert row["simulated_seconds"] == 1.75  # scored rows carry the SimGrid column too
    assert p.compiled == ["kv_gather=8|w:kv_gather"]


def test_wan_official_runs_its_own_sequential_cfg_program():
    batched = _rec("ring=8|w:ring")  # our candidate with the same degrees: not what it runs
    p = StubPlanner("v5e:2x4", "wan2.1-t2v-1.3b", 32760, [batched])
    row = _row(p, "wan-official")
    assert row["candidate"] == "ring=8|w:ring" and row["cfg"] == "sequential"
    assert row["seconds"] == 2.0  # the variant's score, not the batched candidate's
    assert p.compiled == ["ring=8|w:ring (sequential CFG)"] and batched.compile is None
    assert row["device_order"] == rc.id_order("v5e:2x4")
    assert "two forward programs per step" in row["note"]
    # A variant that does not fit is said so, uncompiled.
    p = StubPlanner("v5e:2x4", "wan2.1-t2v-1.3b", 32760)
    cand = Candidate.parse("ring=8|w:ring")
    p.variants[(cand, wr.SEQUENTIAL_VARIANT)] = CandidateRecord(
        cand, q1={**FITS, "fits_memory": False, "memory_reason": "too big"}
    )
    row = _row(p, "wan-official")
    assert row["fits"] is False and "too big" in row["note"] and p.compiled == []


def test_alpha_beta_takes_the_next_choice_when_the_first_does_not_fit():
    first = _rec("ulysses=4", alpha_beta_seconds=0.5)
    first.compile = CompileResult("oom", "ulysses=4", "", "stub", "k")
    first.failure = "does not fit: 30 GB"
    second = _rec("cfg=2,ring=2", alpha_beta_seconds=0.7)
    p = StubPlanner("v5e:2x2", "wan2.1-t2v-1.3b", 32760, [second, first])
    row = bl.alpha_beta_row(p)
    assert row["name"] == "alpha-beta" and row["candidate"] == "cfg=2,ring=2"
    assert row["existing_solution"] is False and row["placement"] == rc.MAKE_MESH
    assert "reimplemented" in row["source"]


def test_placement_ablations_of_our_sharding():
    best = _compiled(_rec("cfg=2,ring=2"))
    p = StubPlanner("v5e:2x2", "wan2.1-t2v-1.3b", 32760, [best])
    rows = bl.ours_rows(p, best)
    assert [r["name"] for r in rows] == list(bl.ABLATIONS)
    assert [r["placement"] for r in rows] == [rc.MAKE_MESH, rc.CREATE_DEVICE_MESH, rc.ID_ORDER]
    assert all(r["candidate"] == "cfg=2,ring=2" and r["seconds"] == 1.5 for r in rows)
    assert rows[2]["device_order"] == rc.id_order("v5e:2x2")
    # create_device_mesh without a split cannot build (2, 8) on 4x4: the row says so.
    best16 = _compiled(_rec("cfg=2,ring=8"))
    p = StubPlanner("v5e:4x4", "wan2.1-t2v-1.3b", 32760, [best16])
    cdm = bl.ours_rows(p, best16)[1]
    assert cdm["seconds"] is None and "create_device_mesh raised NotImplementedError" in cdm["note"]


def test_baseline_compiles_run_as_one_parallel_batch():
    """alpha-beta's choice and every recipe that runs are compiled together, before the rows."""
    labels = ["cfg=2,ring=2", "kv_gather=4|w:kv_gather", "cfg=2,kv_gather=2|w:kv_gather"]
    recs = [_rec(lab, alpha_beta_seconds=float(i)) for i, lab in enumerate(labels)]
    best = _compiled(recs[0])
    p = StubPlanner("v5e:2x2", "wan2.1-t2v-1.3b", 32760, recs)
    rows = bl.evaluate_baselines(p, best, tick=lambda note: None)
    assert [r["name"] for r in rows] == [*bl.PLANNER_ROWS, *wr.RECIPES]
    assert [e.name for e in bl.registry(p)] == [r["name"] for r in rows]
    assert p.batches == [labels[1:] + ["ring=4|w:ring"]]  # the last: wan-official's variant
    assert p.compiled == []  # nothing compiled one at a time
    assert all(r["seconds"] for r in rows)


def test_docs_name_every_baseline_and_no_old_name():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    schema_doc = (root / "docs" / "plan-schema.md").read_text()
    planner_doc = (root / "docs" / "planner.md").read_text()
    for name in baseline_names():
        assert f"`{name}`" in schema_doc and f"`{name}`" in planner_doc, name
    texts = [root / "README.md", root / "bench" / "plan_bench.py"]
    texts += sorted((root / "docs").glob("*.md")) + sorted((root / "python").rglob("*.py"))
    for path in texts:
        text = path.read_text()
        assert "xla-autosharding" not in text and "xla_autosharding" not in text, path
        assert '"maxdiffusion"' not in text and "`maxdiffusion`" not in text, path
