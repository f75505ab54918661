"""The plain-words comparison of ``--explain`` (planner/explain.py): a row that costs the same as
the plan is a tie, never "loses on less compute"; otherwise the larger difference is named."""

from aoizora.planner.explain import _versus


def _b(compute: float, exposed: float) -> dict:
    return {"compute_seconds": compute, "exposed_comm_seconds": exposed, "comm_seconds": exposed}


def test_an_equal_row_ties():
    text = _versus(1.0, _b(0.8, 0.2), 1.0, _b(0.8, 0.2))
    assert "ties with the plan" in text and "loses" not in text


def test_a_slower_row_loses_on_its_larger_difference():
    assert "loses on more compute" in _versus(1.0, _b(0.8, 0.2), 1.3, _b(1.1, 0.2))
    text = _versus(1.0, _b(0.8, 0.2), 1.3, _b(0.8, 0.5))
    assert "loses on more exposed communication" in text
