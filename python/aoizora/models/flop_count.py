"""Matmul FLOPs of a jaxpr, with scan bodies multiplied by their trip counts.

XLA's ``cost_analysis`` counts a while-loop body once, so a layer scan under-reports by the layer
count; this counter walks the traced program instead (2 FLOPs per multiply-add of every
``dot_general``). Inside ``shard_map`` it counts per-device FLOPs.
"""

from __future__ import annotations

import math
from typing import Any


def _dot_flops(eqn) -> int:
    lhs, rhs = (v.aval.shape for v in eqn.invars)
    (_, (_, rhs_batch)) = eqn.params["dimension_numbers"]
    ((_, rhs_contract), _) = eqn.params["dimension_numbers"]
    rhs_free = [d for i, d in enumerate(rhs) if i not in rhs_contract and i not in rhs_batch]
    return 2 * math.prod(lhs) * math.prod(rhs_free)


def _sub_jaxprs(eqn) -> list[tuple[Any, int]]:
    """(jaxpr, multiplicity) pairs nested in ``eqn``."""
    name = eqn.primitive.name
    if name == "scan":
        return [(eqn.params["jaxpr"].jaxpr, int(eqn.params["length"]))]
    if name == "while":
        raise ValueError("while loop with an unknown trip count; cannot count its FLOPs")
    if name == "cond":
        # Count the most expensive branch.
        best = max(eqn.params["branches"], key=lambda b: jaxpr_dot_flops(b.jaxpr))
        return [(best.jaxpr, 1)]
    out = []
    for value in eqn.params.values():
        for v in value if isinstance(value, tuple | list) else (value,):
            inner = getattr(v, "jaxpr", v)
            if hasattr(inner, "eqns"):
                out.append((inner, 1))
    return out


def jaxpr_dot_flops(jaxpr) -> int:
    """Total dot_general FLOPs of a (closed) jaxpr."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    total = 0
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            total += _dot_flops(eqn)
        for sub, times in _sub_jaxprs(eqn):
            total += times * jaxpr_dot_flops(sub)
    return total
