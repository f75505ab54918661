"""The planner end to end: enumerate candidates, lower them, bound them (Q1), compile the
survivors in bound order (branch and bound in the C++ core), rank placements (Q2), compare with
the baselines, and emit the plan. Importing this package does not import JAX."""

from aoizora.planner.pipeline import PlanOutcome, PlanRequest, run_plan

__all__ = ["PlanOutcome", "PlanRequest", "run_plan"]
