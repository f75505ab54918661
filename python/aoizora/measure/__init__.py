"""``aoizora plan --measure N``: run the N best plans and every baseline row on the devices
present and let the measurement pick the winner (docs/calibration.md, "Measuring plans").

- :mod:`.rows`: which (program, device order) pairs to run, from a finished plan;
- :mod:`.runner`: a separate process that builds each row's program exactly as the plan
  describes it (the same workload factory, candidate, mesh and device order), compiles it,
  feeds it random weights and inputs of the right shapes and dtypes, and times steady-state
  steps. A process of its own because the planner's JAX is set up for compiling (CPU runtime,
  compile-only TPU devices); the runner's sees the devices to measure.
"""
