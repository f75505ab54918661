"""Wan 2.1 (text/image to video DiT) as a model family: configurations (``config``), the forward
pass per device (``model``), one denoising step over a mesh (``step``), the strategy space
(``strategies``), the compile workload (``workload``) and existing systems' recipes
(``recipes``). Importing this package does not import JAX. docs/wan21.md has the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aoizora.models.candidate import Candidate
from aoizora.models.family import ModelFamily, Recipe, Scenario

DEFAULT_FRAMES = 81


class WanFamily(ModelFamily):
    name = "wan2.1"
    title = "Wan 2.1 video DiT (T2V 1.3B/14B, I2V 14B): both CFG passes per step"
    axes = ("cfg", "ring", "kv_gather", "ulysses", "tp")
    guidance_passes = 2

    @property
    def recipe_names(self) -> tuple[str, ...]:  # type: ignore[override]
        from aoizora.models.wan.recipes import RECIPES

        return RECIPES

    # -- configurations -------------------------------------------------------------------------

    def model_names(self) -> list[str]:
        from aoizora.models.wan.config import model_names

        return model_names()

    def resolutions(self, model: str) -> list[str]:
        from aoizora.models.wan.config import get_config, resolutions_for

        get_config(model)
        return resolutions_for(model)

    def default_resolution(self, model: str) -> str:
        return "tiny" if "tiny" in model else ("480p" if "1.3b" in model else "720p")

    def scenario(
        self, model: str, resolution: str | None = None, frames: int | None = None, batch: int = 1
    ) -> Scenario:
        from aoizora.models.wan.config import geometry

        if batch != 1:
            raise ValueError(
                f"--batch {batch}: the Wan 2.1 step is one video per step (its two CFG passes "
                "are the batch); plan one video"
            )
        s = Scenario(
            model,
            resolution or self.default_resolution(model),
            DEFAULT_FRAMES if frames is None else frames,
            1,
        )
        geometry(s.model, s.resolution, s.frames)  # validates model, resolution and frames
        return s

    def info(self, scenario: Scenario) -> dict[str, Any]:
        from aoizora.models.wan.config import model_info

        info = model_info(scenario.model, scenario.resolution, scenario.frames)
        info["family"] = self.name
        info["batch"] = scenario.batch
        return info

    def info_rows(self, info: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            ("parameters", f"{info['params']:,} ({info['params'] / 1e9:.3f} B)"),
            ("bf16 weights", f"{info['weight_bytes_bf16'] / 1e9:.2f} GB"),
            ("latent (C, T, H, W)", str(tuple(info["latent_shape"]))),
            ("token grid (f, h, w)", str(tuple(info["token_grid"]))),
            ("tokens", f"{info['tokens']:,}"),
            ("context tokens", str(info["context_tokens"])),
            ("FLOPs per block", f"{info['flops_per_block'] / 1e12:.2f} TFLOP"),
            ("FLOPs per forward", f"{info['flops_per_forward'] / 1e15:.3f} PFLOP"),
            ("FLOPs per step (2 CFG passes)", f"{info['flops_per_step'] / 1e15:.3f} PFLOP"),
        ]

    # -- strategy space -------------------------------------------------------------------------

    def _tokens(self, scenario: Scenario) -> int:
        from aoizora.models.wan.config import geometry

        return geometry(scenario.model, scenario.resolution, scenario.frames).tokens

    def candidates(self, scenario: Scenario, chips: int) -> list[Candidate]:
        from aoizora.models.wan.strategies import candidates

        return candidates(scenario.model, chips, tokens=self._tokens(scenario))

    def validate(self, scenario: Scenario, chips: int, candidate: Candidate) -> None:
        from aoizora.models.wan.strategies import validate

        validate(scenario.model, chips, candidate, self._tokens(scenario))

    def partition_specs(self, candidate: Candidate) -> dict[str, Any]:
        seq = list(candidate.sequence_axes())
        return {
            "latent_tokens": {
                "batch": "cfg" if candidate.degree("cfg") > 1 else None,
                "sequence": seq or None,
            },
            "attention_heads": "tp" if candidate.degree("tp") > 1 else None,
            "layer_weights": list(candidate.weight_sharding)
            + (["tp"] if candidate.degree("tp") > 1 else []),
        }

    # -- programs -------------------------------------------------------------------------------

    def workload(
        self,
        scenario: Scenario,
        attention: str,
        tpu_generation: str = "",
        variant: tuple[tuple[str, Any], ...] = (),
    ):
        from aoizora.models.wan.workload import wan_workload

        extra = dict(variant)
        unknown = set(extra) - {"cfg_passes"}
        if unknown:
            raise ValueError(f"unknown Wan 2.1 workload variant {sorted(unknown)}")
        return wan_workload(
            scenario.model,
            scenario.resolution,
            scenario.frames,
            attention,
            tpu_generation=tpu_generation,
            cfg_passes=extra.get("cfg_passes", "batch"),
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
        from aoizora.models.wan.step import step_lowerable

        return step_lowerable(
            scenario.model,
            scenario.resolution,
            scenario.frames,
            candidate,
            mesh,
            attention=attention,
            tpu_generation=tpu_generation,
            **variant,
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
        from aoizora.models.wan.step import step_concrete

        return step_concrete(
            scenario.model,
            scenario.resolution,
            scenario.frames,
            candidate,
            mesh,
            seed,
            dtype,
            **variant,
        )

    # -- existing systems -----------------------------------------------------------------------

    def recipes(self, scenario: Scenario, num_devices: int) -> list[Recipe]:
        from aoizora.models.wan.recipes import recipes

        return recipes(scenario.model, num_devices, self._tokens(scenario))


FAMILY = WanFamily()
