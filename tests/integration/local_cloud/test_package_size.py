"""The built Lambda artifacts (sam build output) fit Lambda's limits, and the heavy packages stay in one layer."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
UNZIPPED_LIMIT = 262_144_000  # Lambda: 250 MB for a function and all its layers, unzipped
HEAVY = ("numpy", "optuna", "matplotlib", "jinja2", "PIL", "sqlalchemy")


@pytest.fixture(scope="module")
def built() -> tuple[Path, dict]:
    from samcli.yamlhelper import yaml_parse

    from tunepilot_local.deploy import sam_build

    # The e2e suite's cache: one sam build (content-hashed) serves both.
    template = sam_build(REPO / "template.yaml", REPO / ".tunepilot" / "e2e" / "sam")
    return template.parent, dict(yaml_parse(template.read_text()))


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def layers_of(template: dict, logical_id: str) -> list[str]:
    own = template["Resources"][logical_id]["Properties"].get("Layers") or []
    shared = template.get("Globals", {}).get("Function", {}).get("Layers") or []
    return [layer["Ref"] for layer in [*shared, *own]]


def test_analyze_results_with_both_layers_fits_in_lambdas_unzipped_limit(built):
    build, template = built
    assert layers_of(template, "AnalyzeResultsFunction") == ["DomainLayer", "AnalysisLayer"]
    parts = {name: size(build / name) for name in ("AnalyzeResultsFunction", "DomainLayer", "AnalysisLayer")}
    total = sum(parts.values())
    print({k: f"{v / 2**20:.1f} MiB" for k, v in parts.items()}, f"total {total / 2**20:.1f} MiB")
    assert total < UNZIPPED_LIMIT, parts
    for package in HEAVY:
        assert (build / "AnalysisLayer" / "python" / package).is_dir(), package


def test_no_other_function_carries_the_heavy_packages(built):
    build, template = built
    functions = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"]
    assert len(functions) > 5
    for logical_id in functions:
        if logical_id == "AnalyzeResultsFunction":
            continue
        assert layers_of(template, logical_id) == ["DomainLayer"], logical_id
        for package in HEAVY:
            assert not (build / logical_id / package).exists(), (logical_id, package)
    for package in HEAVY:
        assert not (build / "DomainLayer" / "python" / package).exists(), package
