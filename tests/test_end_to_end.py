"""The end-to-end section of ``aoizora validate`` (planner/end_to_end.py): the published whole
steps it lists, and its evaluation machinery run for real (TPU ahead-of-time compiles, both
compute sources) on the tiny Wan config for TPU7x, so the suite stays fast. The 14B points
themselves are compiled by ``aoizora validate`` (docs/fidelity.md has the table)."""

from __future__ import annotations

import pytest

from aoizora.planner import end_to_end as e2e

pytestmark = pytest.mark.tpu_aot


def test_every_published_whole_step_is_listed_and_none_is_fitted():
    ids = {p.id for p in e2e.POINTS}
    assert {"E1", "E2", "E3a", "E3b", "E4", "E5", "E6", "E7"} <= ids
    for p in e2e.POINTS:
        if p.scenario is None and p.ratio_of is None:
            assert p.bound == "out of scope" and p.note  # E7: a training step
        if p.scenario is not None:
            assert p.measured_seconds and p.measured_seconds > 0
            assert p.scenario.attention == "splash"  # what was measured ran a fused kernel
            assert p.scenario.topology.startswith("tpu7x")
    # Points that share a measured configuration share one compile.
    assert len(e2e.scenarios()) == 4


def test_evaluation_predicts_both_sources_and_reports_errors(tmp_path):
    tiny = e2e.Scenario(
        "wan2.1-tiny", "tiny", "tpu7x:2x2x1", "cfg=2,kv_gather=4", "kv_gather", frames=9
    )
    other = e2e.Scenario(
        "wan2.1-tiny", "tiny", "tpu7x:2x2x1", "cfg=2,ulysses=2,ring=2", "", frames=9
    )
    points = (
        e2e.E2EPoint("T1", "tiny, measured 1 ms", "test", 1e-3, "upper bound", tiny),
        e2e.E2EPoint(
            "T2", "tiny ratio", "test", None, "ratio", ratio_of=(tiny, other), measured_ratio=1.0
        ),
        e2e.E2EPoint("T3", "training", "test", 36.0, "out of scope", note="not inference"),
    )
    seen = []
    report = e2e.evaluate(e2e.default_predict(str(tmp_path)), seen.append, points=points)
    assert report["failures"] == {}
    assert seen == [tiny.key, other.key]
    t1, t2, t3 = report["points"]
    for source in e2e.SOURCES:
        assert t1["predicted"][source] > 0
        assert t1["relative_error"][source] == pytest.approx(t1["predicted"][source] / 1e-3 - 1)
        assert t1["breakdown"][source]["compute_seconds"] > 0
        assert t2["predicted"][source] > 0 and t2["unit"] == "ratio"
        assert t3["predicted"][source] is None
    # A TPU module carries libtpu's estimates: the compiler source is the one used.
    assert t1["breakdown"]["compiler"]["compute_source"] == "compiler"
    assert t1["breakdown"]["roofline"]["compute_source"] == "roofline"
    summary = report["summary"]["compiler"]
    assert summary["points"] == 1 and summary["above_upper_bound"] in (0, 1)


def test_a_failing_compile_is_a_row_not_a_crash():
    bad = e2e.Scenario("wan2.1-tiny", "tiny", "tpu7x:2x2x1", "cfg=3", "", frames=9)
    points = (e2e.E2EPoint("B", "bad", "test", 1.0, "upper bound", bad),)
    report = e2e.evaluate(e2e.default_predict(None), points=points)
    assert bad.key in report["failures"]
    assert report["points"][0]["predicted"]["compiler"] is None
    assert "cfg" in report["points"][0]["note"]
