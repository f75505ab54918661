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
