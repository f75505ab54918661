"""AoiZora: a compiler-mediated topology planner for video diffusion transformers on TPU slices.

Importing this package is cheap: it does not import JAX or initialise any backend. The C++ core
is ``aoizora._core``; the JAX/XLA adapter lives in ``aoizora.compiler``.
"""

__version__ = "0.1.0"


def core():
    """The nanobind extension module (C++ core), imported on first use."""
    from aoizora import _core

    return _core


def load_plan(path):
    """Read and validate a plan.json written by ``aoizora plan`` (see aoizora.plan.Plan)."""
    from aoizora.plan import load_plan as _load

    return _load(path)


def mesh(plan, devices=None):
    """The ``jax.sharding.Mesh`` a plan describes, with devices matched by chip coordinates."""
    from aoizora.plan import mesh as _mesh

    return _mesh(plan, devices)
