"""V4 in ``aoizora validate`` (planner/placement_swing.py): the swing of a compiled step over every
placement, by Q2 and by SimGrid. The machinery runs for real (TPU ahead-of-time compile) on the tiny
Wan config on a 2x2 slice, checked against brute force over every device order and against the C++
oracle; the 1.3B rows themselves are compiled by ``aoizora validate`` (docs/simgrid.md)."""

from __future__ import annotations

import io
import itertools

import pytest
from rich.console import Console

from aoizora import _core
from aoizora.cli.validate import _print_placement_swing
from aoizora.planner import placement_swing as ps


def _reflections(topo) -> list[list[int]]:
    coords = [tuple(c) for c in topo.coords_of(None)]
    shape = [max(c[a] for c in coords) + 1 for a in range(3)]
    index = {c: i for i, c in enumerate(coords)}
    maps = []
    for flips in itertools.product([False, True], repeat=2):
        img = [
            index[tuple(shape[a] - 1 - c[a] if a < 2 and flips[a] else c[a] for a in range(3))]
            for c in coords
        ]
        maps.append(img)
    return maps


def test_orbits_stand_for_every_device_order():
    topo = _core.parse_slice_spec("v5e:2x2")
    orbits = _core.placement_orbits(topo)
    assert (orbits["total_count"], orbits["reduced_count"]) == (24, 6)
    # The reflections of the 6 representatives are all 24 orders, each once per reflection.
    seen = {tuple(m[d] for d in rep) for rep in orbits["device_ids"] for m in _reflections(topo)}
    assert seen == set(itertools.permutations(range(4)))
    # Swapping the two equal axes halves them again (Q2 is invariant under it, SimGrid is not).
    assert _core.placement_orbits(topo, axis_swaps=True)["reduced_count"] == 3
    big = _core.placement_orbits(_core.parse_slice_spec("v5e:2x4"))
    assert (big["total_count"], big["reduced_count"]) == (40320, 10080)


def test_orbits_of_a_big_slice_are_refused_naming_its_size():
    with pytest.raises(ValueError, match="16"):
        _core.placement_orbits(_core.parse_slice_spec("v5e:4x4"))


def test_v4_rows_are_the_deployed_shardings_of_the_measured_slice():
    from aoizora.cli.validate import points

    (v4,) = [p for p in points() if p.id == "V4"]
    assert v4.measured == ps.V4_MEASURED_SWING and v4.role == "whole step"
    for s in ps.SCENARIOS:
        assert s.topology == "v5e:2x4" and s.model.startswith("wan2.1")
    assert len({s.key for s in ps.SCENARIOS}) == len(ps.SCENARIOS)


@pytest.mark.tpu_aot
def test_swing_of_a_compiled_step_matches_brute_force_and_the_oracle(tmp_path):
    from aoizora.models import Candidate
    from aoizora.planner.progress import Progress
    from aoizora.planner.session import PlanningSession, PlanRequest

    scenario = ps.SwingScenario(
        "wan2.1-tiny", "tiny", 9, "v5e:2x2", "cfg=2,kv_gather=2", "kv_gather", "test"
    )
    batches = []
    report = ps.evaluate(
        ps.default_swing(str(tmp_path), on_batch=lambda key, done, total: batches.append(done)),
        scenarios=(scenario,),
    )
    (row,) = report["rows"]
    assert row["error"] == "" and row["placements"] == 6 and row["device_orders"] == 24
    assert batches[-1] == 6

    # Brute force over all 24 device orders with Q2's own scoring (warm cache: no compile).
    session = PlanningSession(
        PlanRequest(
            model="wan2.1-tiny",
            resolution="tiny",
            frames=9,
            topology="v5e:2x2",
            compiler="tpu",
            attention="splash",
            workers=1,
            cache_dir=str(tmp_path),
        ),
        Progress(enabled=False),
    )
    rec = session.compile_candidate(Candidate.parse("cfg=2,kv_gather=2", "kv_gather"))
    compiled = session.compiled(rec)
    coords = session.topology.coords_of(None)
    every = [
        compiled.score([list(coords[d]) for d in p], compute=session.req.compute).seconds
        for p in itertools.permutations(range(4))
    ]
    assert row["q2_fastest_seconds"] == pytest.approx(min(every), rel=1e-12)
    assert row["q2_slowest_seconds"] == pytest.approx(max(every), rel=1e-12)
    oracle = compiled.oracle(compute=session.req.compute).to_dict()
    assert row["q2_swing"] == pytest.approx(
        oracle["worst_seconds"] / oracle["best_seconds"] - 1, rel=1e-9
    )
    # SimGrid over every order too: its platform is as symmetric as the orbits assume.
    orders = [[list(coords[d]) for d in p] for p in itertools.permutations(range(4))]
    steps = _core.Simulator(session.topology).simulate_steps(
        compiled, orders, compute=session.req.compute
    )
    assert row["simulated_fastest_seconds"] == pytest.approx(min(s.seconds for s in steps))
    assert row["simulated_slowest_seconds"] == pytest.approx(max(s.seconds for s in steps))
    # Where the K/V pair sits diagonally its gathers cross two links: a placement effect that
    # is hop latency alone, which both evaluators charge per hop of the route.
    assert row["q2_swing"] > 0.01
    assert row["simulated_swing"] == pytest.approx(row["q2_swing"], rel=1e-3)

    # A simulator that fails leaves Q2's swing standing, with the reason in the SimGrid column.
    class NoSimGrid:
        def __getattr__(self, name):
            return getattr(_core, name)

        def Simulator(self, topology):  # noqa: N802 - the core's class name
            raise RuntimeError("SimGrid simulation failed (child exit status 2)")

    alone = ps.swing_over_all_placements(
        NoSimGrid(), session.topology, compiled, session.req.compute
    )
    assert alone.q2_swing == pytest.approx(row["q2_swing"], rel=1e-12)
    assert alone.sim_swing is None and "child exit status 2" in alone.sim_error

    out = io.StringIO()
    _print_placement_swing(Console(file=out, width=200), report)
    text = out.getvalue()
    assert "16.6%" in text and "cfg=2,kv_gather=2" in text and f"{row['q2_swing']:.1%}" in text
    assert "[secondary]" in text  # the source's own label, not eaten as markup


def test_a_sharding_the_model_cannot_run_is_a_row_not_a_crash(tmp_path):
    bad = ps.SwingScenario("wan2.1-tiny", "tiny", 9, "v5e:2x2", "cfg=3", "", "test")
    report = ps.evaluate(ps.default_swing(str(tmp_path)), scenarios=(bad,))
    (row,) = report["rows"]
    assert "cfg" in row["error"] and "q2_swing" not in row
