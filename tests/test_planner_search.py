"""The C++ branch and bound, driven from Python through its callback (as the planner does)."""

import pytest

from aoizora import _core


def test_search_calls_back_into_python_in_bound_order():
    q2 = {0: 2.5, 1: 1.0, 2: 3.0}
    seen: list[list[int]] = []

    def compile_batch(indices):
        seen.append(list(indices))
        return [_core.CompileOutcome(True, q2[i]) for i in indices]

    cands = [
        _core.CandidateBound("a", 2.0),
        _core.CandidateBound("b", 3.5),
        _core.CandidateBound("c", 1.0),
    ]
    r = _core.run_candidate_search(cands, compile_batch=compile_batch)
    assert seen == [[2], [0]]
    assert r.best == 0 and r.best_q2_seconds == 2.5
    assert r.status == ["compiled", "pruned: bound", "compiled"]


def test_python_exception_in_callback_propagates():
    def broken(indices):
        raise RuntimeError("adapter exploded")

    with pytest.raises(RuntimeError, match="adapter exploded"):
        _core.run_candidate_search([_core.CandidateBound("a", 1.0)], compile_batch=broken)


def test_unknown_mode_is_a_value_error():
    with pytest.raises(ValueError, match="unknown search mode 'fastest'"):
        _core.run_candidate_search(
            [_core.CandidateBound("a", 1.0)], mode="fastest", compile_batch=lambda i: []
        )


def test_top_k_spreads_over_parallel_degree_families():
    """The planner passes Candidate.degrees_label() as the family: top-K compiles the best
    weight-sharding variant of K distinct degree layouts before a second variant of any."""
    from aoizora.models.wan.strategies import candidates

    cands = candidates("wan2.1-t2v-1.3b", 8)
    families = {c.degrees_label() for c in cands}
    assert len(families) < len(cands)  # weight-sharding variants share a family
    for c in cands:
        assert c.label().split("|")[0] == c.degrees_label()
    # Priorities that put every variant of the first family ahead of all other families.
    first = cands[0].degrees_label()
    bounds = [
        _core.CandidateBound(
            c.label(),
            1.0,
            priority_seconds=(0.0 if c.degrees_label() == first else 1.0) + i * 1e-6,
            family=c.degrees_label(),
        )
        for i, c in enumerate(cands)
    ]
    compiled: list[int] = []

    def compile_batch(indices):
        compiled.extend(indices)
        return [_core.CompileOutcome(True, 1.0) for _ in indices]

    _core.run_candidate_search(
        bounds, mode="topk", top_k=4, batch_size=8, compile_batch=compile_batch
    )
    assert len(compiled) == 4
    assert len({cands[i].degrees_label() for i in compiled}) == 4
    assert cands[compiled[0]].degrees_label() == first
