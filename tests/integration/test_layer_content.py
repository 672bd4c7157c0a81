"""What ships to Lambda is what runs in Lambda: the built DomainLayer holds no client-side code.

The layer is built by ``sam build`` from template.yaml, the same cached build the local cloud deploys,
and every file under the built layer is read: no module of ``tunepilot_cli`` or ``tunepilot_local``,
no import of them, and not even their names in the text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tunepilot_local.deploy import _parse_yaml, sam_build

CLIENT_SIDE = ("tunepilot_cli", "tunepilot_local")


@pytest.fixture(scope="module")
def built_layer() -> Path:
    built = sam_build(ROOT / "template.yaml", ROOT / ".tunepilot" / "local" / "sam")
    content = _parse_yaml(built)["Resources"]["DomainLayer"]["Properties"]["ContentUri"]
    layer = (built.parent / content).resolve()
    assert (layer / "python" / "tunepilot" / "__init__.py").is_file(), f"no tunepilot package in {layer}"
    return layer


def _imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_built_layer_has_no_client_side_package(built_layer: Path) -> None:
    python = built_layer / "python"
    assert not [p for p in python.iterdir() if p.name.split("-")[0] in CLIENT_SIDE]
    assert not (python / "tunepilot" / "cli").exists()


def test_no_module_in_the_built_layer_imports_client_side_code(built_layer: Path) -> None:
    ours = sorted((built_layer / "python" / "tunepilot").rglob("*.py"))
    assert len(ours) > 20  # the whole domain package was read, not an empty folder
    offenders = {
        str(path.relative_to(built_layer)): sorted(m for m in _imported_modules(path.read_text())
                                                    if m.split(".")[0] in CLIENT_SIDE or m.startswith("tunepilot.cli"))
        for path in ours
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_file_in_the_built_layer_names_client_side_code(built_layer: Path) -> None:
    files = [p for p in built_layer.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    needles = [name.encode() for name in CLIENT_SIDE]
    assert not [str(p.relative_to(built_layer)) for p in files if any(n in p.read_bytes() for n in needles)]
