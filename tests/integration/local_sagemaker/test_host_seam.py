"""The tuner, training, state and endpoint modules use the platform only through the Host seam."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "tunepilot_local" / "sagemaker"
HOST_MEMBERS = {
    "lock", "clients", "emitter", "jobs_dir", "workdir", "time_scale", "max_parallel", "now",
    "register_training", "register_process", "unregister_process", "register_log_writer",
    "unregister_log_writer", "record_error", "training_changed",
}


@pytest.mark.parametrize("module", ["tuner.py", "training.py", "state.py", "endpoints.py"])
def test_children_see_only_the_host_seam(module):
    tree = ast.parse((PACKAGE / module).read_text())
    imports = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "tunepilot_local.sagemaker.platform" not in imports
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute | ast.Name)
            and (getattr(node.value, "attr", None) == "host" or getattr(node.value, "id", None) == "host")}
    assert used, f"{module} never uses its host"
    assert used <= HOST_MEMBERS, f"{module} reaches past the seam: {sorted(used - HOST_MEMBERS)}"


def test_the_platform_implements_every_member_of_the_seam():
    from tunepilot_local.sagemaker.host import Host
    from tunepilot_local.sagemaker.platform import Platform

    declared = {name for name in vars(Host) if not name.startswith("_")}
    assert declared == HOST_MEMBERS
    assert all(hasattr(Platform, name) for name in declared)
