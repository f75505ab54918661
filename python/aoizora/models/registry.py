"""The model-family registry: every subpackage of ``aoizora.models`` whose ``FAMILY`` attribute is
a :class:`~aoizora.models.family.ModelFamily` is a family. Discovery by package, so that adding a
family is adding its folder and nothing outside it names the family."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from aoizora.models.family import ModelFamily


@functools.cache
def families() -> tuple[ModelFamily, ...]:
    """Every registered family, in package-name order."""
    import aoizora.models as pkg

    found = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if not isinstance(family, ModelFamily):
            # A model folder without its family would vanish from --model silently.
            raise RuntimeError(
                f"{module.__name__} is a subpackage of aoizora.models without a FAMILY "
                "(a ModelFamily); if it was just added, rerun scripts/bootstrap.sh so the "
                "editable install sees its files"
            )
        found.append(family)
    return tuple(found)


@functools.cache
def _by_model() -> dict[str, ModelFamily]:
    table: dict[str, ModelFamily] = {}
    for family in families():
        for name in family.model_names():
            if name in table:
                raise RuntimeError(
                    f"model {name!r} is claimed by families {table[name].name} and {family.name}"
                )
            table[name] = family
    return table


def model_names() -> list[str]:
    """Every model of every family."""
    return list(_by_model())


def family_of(model: str) -> ModelFamily:
    """The family that serves ``model``; ValueError listing the known models otherwise."""
    table = _by_model()
    if model not in table:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(table)}")
    return table[model]


def family_named(name: str) -> ModelFamily:
    for family in families():
        if family.name == name:
            return family
    known = ", ".join(f.name for f in families())
    raise ValueError(f"unknown model family {name!r}; known: {known}")
