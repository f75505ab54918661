"""Baselines the planner's choices are compared against; placements computed by the real JAX
code (``jax_mesh``), never re-implemented."""
