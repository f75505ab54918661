"""FLUX.1 [dev] and [schnell] (Black Forest Labs' text-to-image MM-DiT) as a model family:
configurations and closed-form sizes (``config``), the forward pass per device (``model``), one
denoising step over a mesh (``step``), the strategy space (``strategies``), the compile workload
(``workload``) and existing systems' recipes (``recipes``). One forward pass per step: dev embeds
the guidance scale, schnell has none. Importing this package does not import JAX.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aoizora.models.candidate import Candidate
from aoizora.models.family import ModelFamily, Recipe, Scenario


class FluxFamily(ModelFamily):
    name = "flux.1"
    title = "FLUX.1 image DiT (dev, schnell): one forward pass per step, batch of images"
    axes = ("dp", "ring", "kv_gather", "ulysses", "tp")
    guidance_passes = 1

    @property
    def recipe_names(self) -> tuple[str, ...]:  # type: ignore[override]
        from aoizora.models.flux.recipes import RECIPES

        return RECIPES

    # -- configurations -------------------------------------------------------------------------

    def model_names(self) -> list[str]:
        from aoizora.models.flux.config import model_names

        return model_names()

    def resolutions(self, model: str) -> list[str]:
        from aoizora.models.flux.config import resolutions_for

        return resolutions_for(model)

    def default_resolution(self, model: str) -> str:
        from aoizora.models.flux.config import default_resolution, get_config

        get_config(model)
        return default_resolution(model)

    def scenario(
        self, model: str, resolution: str | None = None, frames: int | None = None, batch: int = 1
    ) -> Scenario:
        if frames is not None:
            raise ValueError(f"--frames {frames}: {model} generates images, it has no frames")
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ValueError(f"--batch must be a positive integer (images per step), got {batch!r}")
        s = Scenario(model, resolution or self.default_resolution(model), None, batch)
        self._geometry(s)  # validates model and resolution
        return s

    @staticmethod
    def _geometry(scenario: Scenario):
        from aoizora.models.flux.config import geometry

        return geometry(scenario.model, scenario.resolution)

    def info(self, scenario: Scenario) -> dict[str, Any]:
        from aoizora.models.flux.config import model_info

        info = model_info(scenario.model, scenario.resolution, scenario.batch)
        info["family"] = self.name
        return info

    # -- strategy space -------------------------------------------------------------------------

    def candidates(self, scenario: Scenario, chips: int) -> list[Candidate]:
        from aoizora.models.flux.strategies import candidates

        return candidates(scenario.model, self._geometry(scenario), scenario.batch, chips)

    def validate(self, scenario: Scenario, chips: int, candidate: Candidate) -> None:
        from aoizora.models.flux.config import get_config
        from aoizora.models.flux.strategies import validate

        validate(
            get_config(scenario.model), self._geometry(scenario), scenario.batch, chips, candidate
        )

    def partition_specs(self, candidate: Candidate) -> dict[str, Any]:
        seq = list(candidate.sequence_axes())
        tp = candidate.degree("tp") > 1
        return {
            "image_tokens": {
                "batch": "dp" if candidate.degree("dp") > 1 else None,
                "sequence": seq or None,
            },
            "text_tokens": {
                "batch": "dp" if candidate.degree("dp") > 1 else None,
                "sequence": seq or None,  # each stream padded and split on its own
            },
            "attention_heads": "tp" if tp else None,
            "mlp_hidden": "tp" if tp else None,
            "layer_weights": list(candidate.weight_sharding) + (["tp"] if tp else []),
        }

    # -- programs -------------------------------------------------------------------------------

    def workload(
        self,
        scenario: Scenario,
        attention: str,
        tpu_generation: str = "",
        variant: tuple[tuple[str, Any], ...] = (),
    ):
        from aoizora.models.flux.workload import flux_workload

        if variant:
            raise ValueError(f"FLUX.1 has no workload variants, got {dict(variant)}")
        return flux_workload(
            scenario.model,
            scenario.resolution,
            scenario.batch,
            attention,
            tpu_generation=tpu_generation,
        )

    def step_lowerable(
        self,
        scenario: Scenario,
        candidate: Candidate,
        mesh: Any,
        attention: str = "jax",
        tpu_generation: str = "",
        **variant: Any,
    ) -> tuple[Callable, tuple]:
        from aoizora.models.flux.step import step_lowerable

        if variant:
            raise ValueError(f"FLUX.1 has no workload variants, got {variant}")
        return step_lowerable(
            scenario.model,
            scenario.resolution,
            scenario.batch,
            candidate,
            mesh,
            attention=attention,
            tpu_generation=tpu_generation,
        )

    def step_concrete(
        self,
        scenario: Scenario,
        candidate: Candidate,
        mesh: Any,
        seed: int = 0,
        dtype: str = "bfloat16",
        **variant: Any,
    ) -> tuple[Callable, tuple]:
        from aoizora.models.flux.step import step_concrete

        if variant:
            raise ValueError(f"FLUX.1 has no workload variants, got {variant}")
        return step_concrete(
            scenario.model, scenario.resolution, scenario.batch, candidate, mesh, seed, dtype
        )

    # -- existing systems -----------------------------------------------------------------------

    def recipes(self, scenario: Scenario, num_devices: int) -> list[Recipe]:
        from aoizora.models.flux.recipes import recipes

        return recipes(scenario, num_devices)


FAMILY = FluxFamily()
