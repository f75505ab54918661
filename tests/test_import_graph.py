"""Issue 14: one seam per model family. No module of the package outside ``models/<family>/``
imports a family (the registry finds them), so adding a family touches only its folder; every
family implements the whole interface and is found by the registry."""

import ast
from pathlib import Path

import aoizora
from aoizora.models import ModelFamily, families, family_of, model_names

PACKAGE = Path(aoizora.__file__).parent


def _family_packages() -> set[str]:
    models = PACKAGE / "models"
    return {p.name for p in models.iterdir() if (p / "__init__.py").exists()}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_module_outside_a_family_imports_it():
    packages = _family_packages()
    assert packages >= {"wan"}, packages
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "models" and len(rel.parts) > 2 and rel.parts[1] in packages:
            continue  # inside a family's own folder
        for module in _imported_modules(path):
            parts = module.split(".")
            if parts[:2] == ["aoizora", "models"] and len(parts) > 2 and parts[2] in packages:
                offenders.append(f"{rel}: imports {module}")
    assert offenders == []


def test_the_import_check_sees_a_family_import(tmp_path):
    """The check above can fail: a module importing a family is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("from aoizora.models.wan.config import get_config\nimport aoizora.models\n")
    assert "aoizora.models.wan.config" in _imported_modules(bad)


def test_every_family_is_registered_and_complete():
    found = families()
    assert {f.name for f in found} >= {"wan2.1"}
    assert len({f.name for f in found}) == len(found)
    for family in found:
        assert isinstance(family, ModelFamily)
        assert not getattr(type(family), "__abstractmethods__", None), family.name
        assert set(family.axes) <= set(aoizora.models.AXIS_ORDER), family.name
        for model in family.model_names():
            assert family_of(model) is family
            scenario = family.scenario(model)
            info = family.info(scenario)
            for key in ("params", "tokens", "flops_per_step", "num_heads", "weight_bytes_bf16"):
                assert info[key] > 0, (model, key)
            assert len(family.recipes(scenario, 8)) == len(family.recipe_names), model
    assert sorted(model_names()) == sorted(m for f in found for m in f.model_names())
