"""The object-shaped boundary of aoizora._core: bound Topology objects taken wherever a slice spec
string is, PrecompiledCandidate / CompiledCandidate that parse a module once, result structs whose
to_dict() is the free functions' dict, and the candidate search as pure decisions Python drives."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from aoizora import _core

DATA = Path(__file__).parent / "data" / "hlo" / "generated"
MLP = (DATA / "mlp_train.tpu.compiled.hlo").read_text()
MLP_PRE = (DATA / "mlp_train.tpu.pre.hlo").read_text()
# The fixtures compiled for v5e:2x4 with mesh (2, 4) (tests/test_rank.py).
COMPILED = (
    "all_gather",
    "all_to_all",
    "conv",
    "dot_all_reduce",
    "mlp_train",
    "permute",
    "reduce_scatter",
    "scan_layers",
    "scan_shard_map",
)
PRE = sorted(p.name.split(".")[0] for p in DATA.glob("*.tpu.pre.hlo"))
# jax.make_mesh((2, 4)) on v5e-8 (tests/test_rank.py).
JAX_2X4 = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 3, 0], [0, 3, 0], [1, 2, 0], [0, 2, 0]]
SLICES = ("v4:2x2x1", "v5e:2x4", "v5p:2x2x2", "v6e:4x4", "tpu7x:2x2x1")


# -- Topology ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SLICES)
def test_topology_facts(spec):
    t = _core.Topology(spec)
    assert t.spec == t.name == str(t) == spec
    assert t.generation == spec.split(":")[0]
    assert "x".join(map(str, t.shape)) == spec.split(":")[1]
    assert len(t.wrap) == len(t.shape)
    n = 1
    for d in t.shape:
        n *= d
    assert t.num_chips == n
    assert t.num_devices == n * t.cores_per_chip
    assert t.megacore == (t.generation in ("v4", "v5p"))
    assert t.cores_per_chip == (2 if t.generation == "tpu7x" else 1)
    assert t.hbm_bytes_per_device == t.chip["hbm_bytes"] / t.cores_per_chip
    assert t.hbm_bytes_per_chip == t.chip["hbm_bytes"]
    assert t.device_kind == t.chip["device_kind"]


@pytest.mark.parametrize("spec", SLICES)
def test_topology_device_ids_and_coordinates(spec):
    t = _core.Topology(spec)
    coords = t.coords_of()
    assert len(coords) == t.num_devices
    for device, row in enumerate(coords):
        assert row[:3] == list(t.device_coords(device))
        if t.cores_per_chip > 1:
            assert row == [*t.device_coords(device), t.core_on_chip(device)]
        else:
            assert len(row) == 3
    assert t.ids_of(coords) == list(range(t.num_devices))
    assert t.coords_of([3, 1]) == [coords[3], coords[1]]


def test_topology_is_a_value():
    t = _core.Topology("v5e:2x4")
    assert t == _core.parse_slice_spec("v5e:2x4")
    assert t != _core.Topology("v5e:4x4")
    assert t != "v5e:2x4"
    assert hash(t) == hash(_core.Topology("v5e:2x4"))
    assert pickle.loads(pickle.dumps(t)) == t
    assert pickle.loads(pickle.dumps(t)).num_devices == 8


def test_topology_bad_input_names_the_value():
    with pytest.raises(ValueError, match="v5e"):
        _core.Topology("v5e:3x3")
    t = _core.Topology("v5e:2x4")
    with pytest.raises(ValueError, match=r"logical device 1 is at chip \(2,0,0\)"):
        t.ids_of([[0, 0, 0], [2, 0, 0]])
    with pytest.raises(ValueError, match="device id 8 is out of range"):
        t.coords_of([8])


def test_every_binding_takes_a_topology_object():
    t = _core.Topology("v5e:2x4")
    mesh, axes = [2, 4], ["data", "model"]
    assert _core.q1_bound(MLP_PRE, t) == _core.q1_bound(MLP_PRE, "v5e:2x4")
    assert _core.rank_placements(MLP, t, mesh, axes, top=3) == _core.rank_placements(
        MLP, "v5e:2x4", mesh, axes, top=3
    )
    assert _core.score_placement(MLP, t, mesh, axes, JAX_2X4) == _core.score_placement(
        MLP, "v5e:2x4", mesh, axes, JAX_2X4
    )
    assert _core.placement_oracle(MLP, t, mesh) == _core.placement_oracle(MLP, "v5e:2x4", mesh)
    assert _core.compute_profile(MLP, t) == _core.compute_profile(MLP, "v5e:2x4")
    assert _core.placement_space(t, [2, 4]) == _core.placement_space("v5e:2x4", [2, 4])
    with pytest.raises(ValueError, match="slice shape '9x9' does not exist for v5e"):
        _core.rank_placements(MLP, "v5e:9x9", mesh)


# -- PrecompiledCandidate ---------------------------------------------------------------------


@pytest.mark.parametrize("program", PRE)
@pytest.mark.parametrize("compute", ["compiler", "roofline"])
def test_q1_struct_matches_the_dict(program, compute):
    pre = (DATA / f"{program}.tpu.pre.hlo").read_text()
    t = _core.Topology("v5e:2x4")
    cand = _core.PrecompiledCandidate(pre, t)
    q1 = cand.q1(compute=compute)
    d = q1.to_dict()
    assert d == _core.q1_bound(pre, "v5e:2x4", compute=compute)
    assert list(d) == list(_core.q1_bound(pre, t, compute=compute))
    for key, value in d.items():
        assert getattr(q1, key) == value
    assert cand.num_devices == 8 and cand.topology == t


def test_precompiled_candidate_parses_once():
    before = _core.hlo_parse_count("precompile")
    cand = _core.PrecompiledCandidate(MLP_PRE, "v5e:2x4")
    cand.q1()
    cand.q1(compute="roofline")
    assert _core.hlo_parse_count("precompile") == before + 1


def test_precompiled_candidate_rejects_a_slice_of_another_size():
    with pytest.raises(ValueError, match="runs on 8 devices but v5e:4x4 has 16"):
        _core.PrecompiledCandidate(MLP_PRE, _core.Topology("v5e:4x4"))
    with pytest.raises(ValueError, match="unknown compute source|compute"):
        _core.PrecompiledCandidate(MLP_PRE, "v5e:2x4").q1(compute="guess")


# -- CompiledCandidate ------------------------------------------------------------------------


@pytest.mark.parametrize("program", COMPILED)
@pytest.mark.parametrize("compute", ["compiler", "roofline"])
def test_compiled_candidate_results_match_the_free_functions(program, compute):
    text = (DATA / f"{program}.tpu.compiled.hlo").read_text()
    t = _core.Topology("v5e:2x4")
    mesh, axes = [2, 4], ["data", "model"]
    cand = _core.CompiledCandidate(text, t, mesh, axes)

    ranking = cand.rank(top=4, baselines=[JAX_2X4], compute=compute)
    want = _core.rank_placements(
        text, "v5e:2x4", mesh, axes, top=4, baselines=[JAX_2X4], compute=compute
    )
    got = ranking.to_dict()
    assert got == want and list(got) == list(want)
    assert ranking.placements[0].rank == 1
    assert ranking.placements[0].device_coords == want["placements"][0]["device_order"]
    assert ranking.placements[0].breakdown.seconds == want["placements"][0]["breakdown"]["seconds"]
    assert ranking.baselines[0].device_ids == t.ids_of(JAX_2X4)

    scored = cand.score(JAX_2X4, compute=compute)
    want_score = _core.score_placement(text, "v5e:2x4", mesh, axes, JAX_2X4, compute=compute)
    assert scored.to_dict() == want_score and list(scored.to_dict()) == list(want_score)
    assert scored.seconds == want_score["seconds"]
    assert scored.device_coords == JAX_2X4

    oracle = cand.oracle(compute=compute)
    assert oracle.to_dict() == _core.placement_oracle(text, "v5e:2x4", mesh, compute=compute)
    assert t.coords_of(oracle.best_device_ids) == oracle.best_device_coords

    profile = cand.compute_profile(top=5, compute=compute)
    want_profile = _core.compute_profile(text, "v5e:2x4", top=5, compute=compute)
    assert profile.to_dict() == want_profile and list(profile.to_dict()) == list(want_profile)


def test_breakdown_attributes_are_the_dict_entries():
    cand = _core.CompiledCandidate(MLP, "v5e:2x4", [2, 4], ["data", "model"])
    b = cand.score(JAX_2X4).breakdown
    d = b.to_dict()
    assert d["exposed_by_kind"] == [
        {"name": x.name, "seconds": x.seconds} for x in b.exposed_by_kind
    ]
    assert [c.to_dict() for c in b.collectives] == d["collectives"]
    assert all(
        c.is_async == row["async"] for c, row in zip(b.collectives, d["collectives"], strict=True)
    )
    for key in ("seconds", "compute_seconds", "comm_seconds", "exposed_comm_seconds", "label"):
        assert getattr(b, key) == d[key]


def test_compiled_candidate_parses_once_for_every_method():
    before = _core.hlo_parse_count()
    cand = _core.CompiledCandidate(MLP, _core.Topology("v5e:2x4"), [2, 4], ["data", "model"])
    cand.rank(top=2, baselines=[JAX_2X4])
    cand.rank(top=2, compute="roofline")
    cand.score(JAX_2X4)
    cand.oracle()
    cand.compute_profile()
    assert _core.hlo_parse_count() == before + 1
    _core.rank_placements(MLP, "v5e:2x4", [2, 4])
    assert _core.hlo_parse_count() == before + 2
    with pytest.raises(ValueError, match="unknown HLO kind"):
        _core.hlo_parse_count("lowered")


def test_compiled_candidate_bad_input_names_the_value():
    with pytest.raises(ValueError, match="8"):
        _core.CompiledCandidate(MLP, "v5e:2x4", [4, 4])
    with pytest.raises(ValueError, match="slice shape '2x5' does not exist for v5e"):
        _core.CompiledCandidate(MLP, "v5e:2x5", [2, 4])
    cand = _core.CompiledCandidate(MLP, "v5e:2x4", [2, 4])
    with pytest.raises(ValueError, match="logical device 0 has 2 coordinates"):
        cand.score([[0, 0]] * 8)
    with pytest.raises(ValueError, match="logical device 7 is at chip"):
        cand.rank(baselines=[JAX_2X4[:7] + [[5, 0, 0]]])
    no_mesh = _core.CompiledCandidate(MLP, "v5e:2x4")
    assert no_mesh.compute_profile(top=1).num_ops >= 1
    with pytest.raises(ValueError, match="mesh_shape"):
        no_mesh.rank()
    with pytest.raises(ValueError, match="top must be >= 0"):
        no_mesh.compute_profile(top=-1)


# -- The candidate search as pure decisions ----------------------------------------------------


def _python_search(bounds, mode, top_k, batch_size, compile_batch):
    """The planner's loop in Python over the pure decisions: compile_order and prunable give the
    batches, the statuses follow from the bounds and the outcomes. What Python runs instead of
    run_candidate_search's callback."""
    options = _core.SearchOptions(mode, top_k, batch_size)
    order = _core.compile_order(bounds, options)
    idle = (
        _core.CandidateStatus.OUTSIDE_TOP_K
        if mode == "topk"
        else _core.CandidateStatus.PRUNED_BOUND
    )
    status = [idle if b.fits_memory else _core.CandidateStatus.PRUNED_MEMORY for b in bounds]
    best, best_q2, compiled, i = None, None, [], 0
    while i < len(order):
        batch = []
        while i < len(order) and len(batch) < batch_size:
            j = order[i]
            i += 1
            if not _core.prunable(bounds[j].q1_seconds, best_q2, options):
                batch.append(j)
        if not batch:
            break
        for j, outcome in zip(batch, compile_batch(batch), strict=True):
            compiled.append(j)
            if not outcome.ok:
                status[j] = _core.CandidateStatus.FAILED
                continue
            status[j] = _core.CandidateStatus.COMPILED
            if best_q2 is None or outcome.best_q2_seconds < best_q2:
                best, best_q2 = j, outcome.best_q2_seconds
    return compiled, status, best


def _state_machine_search(bounds, mode, top_k, batch_size, compile_batch):
    """The same with the CandidateSearch object keeping the state."""
    search = _core.CandidateSearch(bounds, _core.SearchOptions(mode, top_k, batch_size))
    while batch := search.next_batch():
        search.record(compile_batch(batch))
    assert search.done
    return search.result()


def _bound_sets():
    B = _core.CandidateBound
    yield (
        "ties and a failure",
        [
            B("a", 2.0),
            B("b", 3.5),
            B("c", 1.0),
            B("d", 1.0, priority_seconds=0.5),
            B("e", 2.0, priority_seconds=2.5),
        ],
        {0: 2.5, 1: 1.0, 2: None, 3: 3.0, 4: 2.2},
    )
    yield (
        "memory",
        [
            B("a", 1.0, fits_memory=False, memory_reason="too big"),
            B("b", 2.0),
            B("c", 0.5, fits_memory=False),
            B("d", 3.0),
        ],
        {1: 2.5, 3: 4.0},
    )
    yield (
        "families",
        [
            B("f1-a", 1.0, priority_seconds=1.0, family="f1"),
            B("f1-b", 1.0, priority_seconds=1.1, family="f1"),
            B("f2-a", 1.5, priority_seconds=1.5, family="f2"),
            B("f3-a", 2.0, priority_seconds=2.0, family="f3"),
            B("solo", 0.9, priority_seconds=3.0),
            B("f2-b", 1.2, priority_seconds=1.6, family="f2"),
        ],
        {0: 1.2, 1: 1.1, 2: 1.6, 3: 2.5, 4: 0.95, 5: None},
    )
    yield (
        "all pruned after the first",
        [B(f"c{i}", 1.0 + i) for i in range(6)],
        {i: 1.5 for i in range(6)},
    )


@pytest.mark.parametrize("mode,top_k", [("exact", 4), ("topk", 1), ("topk", 3), ("topk", 10)])
@pytest.mark.parametrize("batch_size", [1, 2, 4])
@pytest.mark.parametrize("case", list(_bound_sets()), ids=lambda c: c[0])
def test_python_loop_reproduces_run_candidate_search(case, mode, top_k, batch_size):
    _, bounds, q2 = case

    def compile_batch(indices):
        return [
            _core.CompileOutcome(False, 0.0, "boom")
            if q2.get(i) is None
            else _core.CompileOutcome(True, q2[i])
            for i in indices
        ]

    want = _core.run_candidate_search(
        bounds, mode=mode, top_k=top_k, batch_size=batch_size, compile_batch=compile_batch
    )
    order, status, best = _python_search(bounds, mode, top_k, batch_size, compile_batch)
    assert order == list(want.compile_order)
    assert status == list(want.statuses)
    assert [str(s) for s in status] == list(want.status)
    assert best == want.best

    got = _state_machine_search(bounds, mode, top_k, batch_size, compile_batch)
    assert list(got.compile_order) == list(want.compile_order)
    assert list(got.status) == list(want.status)
    assert (got.best, got.best_q2_seconds) == (want.best, want.best_q2_seconds)
    assert (got.num_compiled, got.num_failed, got.num_pruned_memory, got.num_pruned_bound) == (
        want.num_compiled,
        want.num_failed,
        want.num_pruned_memory,
        want.num_pruned_bound,
    )


def test_candidate_status_text_and_flags():
    S = _core.CandidateStatus
    assert [str(s) for s in S] == [
        "pruned: does not fit memory",
        "pruned: bound",
        "not compiled: outside top-K",
        "compiled",
        "failed",
    ]
    assert [s.text for s in S] == [str(s) for s in S]
    assert [s for s in S if s.pruned] == [S.PRUNED_MEMORY, S.PRUNED_BOUND]
    assert [s for s in S if s.compiled] == [S.COMPILED, S.FAILED]


def test_search_options_and_state_errors():
    with pytest.raises(ValueError, match="unknown search mode 'fastest'"):
        _core.SearchOptions("fastest")
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        _core.compile_order([_core.CandidateBound("a", 1.0)], _core.SearchOptions("topk", 0))
    with pytest.raises(ValueError, match="candidate 'a' has an invalid Q1"):
        _core.CandidateSearch([_core.CandidateBound("a", -1.0)], _core.SearchOptions())
    options = _core.SearchOptions("exact", 4, 2)
    assert (options.mode, options.top_k, options.batch_size) == ("exact", 4, 2)
    assert not _core.prunable(5.0, None, options)
    assert _core.prunable(2.0, 2.0, options) and not _core.prunable(1.9, 2.0, options)
    assert not _core.prunable(5.0, 1.0, _core.SearchOptions("topk"))

    search = _core.CandidateSearch(
        [_core.CandidateBound("a", 1.0), _core.CandidateBound("b", 2.0)], options
    )
    assert search.next_batch() == [0, 1] and search.pending == [0, 1]
    with pytest.raises(RuntimeError, match="record the outcomes"):
        search.next_batch()
    with pytest.raises(ValueError, match="got 1 outcomes for a batch of 2"):
        search.record([_core.CompileOutcome(True, 1.0)])
    with pytest.raises(ValueError, match="invalid Q2"):
        search.record([_core.CompileOutcome(True, 1.0), _core.CompileOutcome(True, float("nan"))])
    assert search.status(0) == _core.CandidateStatus.PRUNED_BOUND
    search.record([_core.CompileOutcome(True, 1.5), _core.CompileOutcome(False, 0.0, "oom")])
    assert search.statuses == [_core.CandidateStatus.COMPILED, _core.CandidateStatus.FAILED]
    assert search.next_batch() == [] and search.done
    with pytest.raises(RuntimeError, match="no batch is waiting"):
        search.record([])
