"""A parallel-strategy candidate: activation-parallel degrees plus the weight-sharding axes.

Pure Python (no JAX). One axis vocabulary for every model family (each family says which axes it
allows, ``ModelFamily.axes``). The mesh axis order is fixed (``AXIS_ORDER``), from the least to the
most communication-intensive axis, because ``jax.make_mesh`` gives the last axis the best links:

- ``dp``: data parallel over the samples of a batch; no activation exchange at all.
- ``cfg``: the two guidance passes; one exchange of the noise prediction per step.
- ``ring``: ring attention; K/V blocks passed with collective-permute, overlappable with compute.
- ``kv_gather``: K/V all-gathered before attention; same bytes as ring, not overlapped.
- ``ulysses``: 4 all-to-alls per layer on the critical path; innermost of the sequence axes as in
  USP (Ulysses inside groups, ring across groups).
- ``tp``: Megatron tensor parallel; 3 activation all-reduces per layer, the most bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

AXIS_ORDER: tuple[str, ...] = ("dp", "cfg", "ring", "kv_gather", "ulysses", "tp")
SEQUENCE_AXES: tuple[str, ...] = ("ring", "kv_gather", "ulysses")
# tp already shards the block weights (heads/FFN), so FSDP over it is not a separate choice.
WEIGHT_SHARDABLE_AXES: tuple[str, ...] = ("dp", "cfg", "ring", "kv_gather", "ulysses")


def _allowed_text() -> str:
    return f"axes {', '.join(AXIS_ORDER)} (order {' < '.join(AXIS_ORDER)})"


@dataclass(frozen=True)
class Candidate:
    """Degrees of the activation axes (only those > 1, in ``AXIS_ORDER``) and the axes over which
    layer weights are sharded and gathered per layer (FSDP style)."""

    degrees: tuple[tuple[str, int], ...]
    weight_sharding: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [name for name, _ in self.degrees]
        for name, degree in self.degrees:
            if name not in AXIS_ORDER:
                raise ValueError(f"unknown parallel axis {name!r}; allowed: {_allowed_text()}")
            if not isinstance(degree, int) or degree < 2:
                raise ValueError(
                    f"degree of {name!r} must be an integer >= 2 (omit axes of degree 1), "
                    f"got {degree!r}"
                )
        if len(set(names)) != len(names):
            raise ValueError(f"axis repeated in {self.degrees!r}")
        if names != [a for a in AXIS_ORDER if a in names]:
            raise ValueError(f"axes {names} are not in the mesh order {' < '.join(AXIS_ORDER)}")
        if "ring" in names and "kv_gather" in names:
            raise ValueError(
                "ring and kv_gather are alternative attention schemes for the same sequence "
                "slot; use one of them"
            )
        if dict(self.degrees).get("cfg", 2) != 2:
            raise ValueError(
                f"cfg degree must be 2 (the two guidance passes), got {dict(self.degrees)['cfg']}"
            )
        for axis in self.weight_sharding:
            if axis not in WEIGHT_SHARDABLE_AXES:
                raise ValueError(
                    f"weights cannot be sharded over {axis!r}; allowed: "
                    f"{', '.join(WEIGHT_SHARDABLE_AXES)} (tp already shards the layer weights)"
                )
            if axis not in names:
                raise ValueError(
                    f"weight-sharding axis {axis!r} is not one of the candidate's axes {names}"
                )
        if list(self.weight_sharding) != [a for a in AXIS_ORDER if a in self.weight_sharding]:
            raise ValueError(f"weight-sharding axes {self.weight_sharding} not in mesh order")

    def check_mesh(self, mesh) -> None:
        """ValueError unless ``mesh`` (a ``jax.sharding.Mesh`` or ``AbstractMesh``) has exactly
        this candidate's axes and sizes, in order."""
        names = tuple(mesh.axis_names)
        shape = tuple(mesh.shape[a] for a in names)
        if names != self.axis_names() or shape != self.mesh_shape():
            raise ValueError(
                f"mesh axes {dict(zip(names, shape, strict=True))} do not match candidate "
                f"{self.label()} (needs axes {self.axis_names()} of sizes {self.mesh_shape()})"
            )

    def degree(self, axis: str) -> int:
        return dict(self.degrees).get(axis, 1)

    def mesh_shape(self) -> tuple[int, ...]:
        return tuple(d for _, d in self.degrees)

    def axis_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.degrees)

    def num_devices(self) -> int:
        n = 1
        for _, d in self.degrees:
            n *= d
        return n

    def sequence_axes(self) -> tuple[str, ...]:
        """Axes the token sequence is sharded over, major to minor."""
        return tuple(a for a in self.axis_names() if a in SEQUENCE_AXES)

    def sequence_degree(self) -> int:
        n = 1
        for a in self.sequence_axes():
            n *= self.degree(a)
        return n

    def weight_shards(self) -> int:
        n = 1
        for a in self.weight_sharding:
            n *= self.degree(a)
        return n

    def degrees_label(self) -> str:
        """The parallel degrees alone ("ring=2,ulysses=4"): candidates that share it differ only
        in weight sharding (the planner's top-K family)."""
        return ",".join(f"{n}={d}" for n, d in self.degrees) or "single"

    def label(self) -> str:
        body = self.degrees_label()
        if self.weight_sharding:
            body += "|w:" + ",".join(self.weight_sharding)
        return body

    def to_json(self) -> dict:
        return {
            "label": self.label(),
            "degrees": {n: d for n, d in self.degrees},
            "weight_sharding": list(self.weight_sharding),
            "mesh_shape": list(self.mesh_shape()),
            "axis_names": list(self.axis_names()),
            "num_devices": self.num_devices(),
        }

    @staticmethod
    def parse(text: str, weights_sharded_over: str = "") -> Candidate:
        """Parse ``"cfg=2,ulysses=4"`` (any order; degree-1 axes dropped) or a label such as
        ``"cfg=2,ulysses=4|w:ulysses"``. ``weights_sharded_over`` is a comma list of axes."""
        text = text.strip()
        if "|" in text:
            text, _, wpart = text.partition("|")
            wpart = wpart.strip()
            if not wpart.startswith("w:"):
                raise ValueError(f"expected '|w:AXES' after the degrees, got {wpart!r}")
            extra = wpart[2:]
            weights_sharded_over = ",".join(x for x in (weights_sharded_over, extra) if x)
        degrees: dict[str, int] = {}
        if text not in ("", "single"):
            for item in text.split(","):
                name, eq, value = item.strip().partition("=")
                name = name.strip()
                if not eq:
                    raise ValueError(
                        f"bad degree {item.strip()!r}: expected AXIS=DEGREE, e.g. cfg=2,ulysses=4"
                    )
                if name not in AXIS_ORDER:
                    raise ValueError(f"unknown parallel axis {name!r}; allowed: {_allowed_text()}")
                if name in degrees:
                    raise ValueError(f"axis {name!r} given twice in {text!r}")
                try:
                    degree = int(value)
                except ValueError:
                    raise ValueError(f"degree of {name!r} is not an integer: {value!r}") from None
                if degree < 1:
                    raise ValueError(f"degree of {name!r} must be >= 1, got {degree}")
                degrees[name] = degree
        ordered = tuple((a, degrees[a]) for a in AXIS_ORDER if degrees.get(a, 1) > 1)
        weights = {w.strip() for w in weights_sharded_over.split(",") if w.strip()}
        for w in weights:
            if w not in AXIS_ORDER:
                raise ValueError(f"unknown weight-sharding axis {w!r}; allowed: {_allowed_text()}")
        return Candidate(ordered, tuple(a for a in AXIS_ORDER if a in weights))
