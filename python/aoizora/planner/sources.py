"""What the planner's step model is told to use, in one place: the compute source of Q2
(placement/compute_model.h) and the attention implementation a plan assumes.

``DEFAULT_COMPUTE`` was chosen by evidence: docs/fidelity.md compares both sources with the
published whole-step measurements (``aoizora validate``, end-to-end section) and per op on the
bench scenarios."""

from __future__ import annotations

COMPUTE_SOURCES = ("compiler", "roofline")
DEFAULT_COMPUTE = "compiler"


def check_compute(compute: str) -> str:
    if compute not in COMPUTE_SOURCES:
        raise ValueError(f"unknown --compute {compute!r}; allowed: {', '.join(COMPUTE_SOURCES)}")
    return compute


def resolve_attention(attention: str | None, compiler: str) -> str:
    """The attention a plan assumes: the one asked for, else what users run on that compiler
    (the splash kernel on TPU, plain-JAX blockwise attention on the CPU compiler)."""
    from aoizora.models.attention import check_attention_impl, default_attention

    return check_attention_impl(attention or default_attention(compiler), compiler)


def tpu_generation(topology: str) -> str:
    """ "v5e" for "v5e:2x4" (the splash kernel's block sizes depend on it)."""
    return topology.split(":", 1)[0]
