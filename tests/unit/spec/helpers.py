"""Build specs for tests: the demo spec as a dict, changed by dotted-path edits."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from tunepilot.spec.load import ValidationResult, validate_bytes

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "examples" / "xgboost-breast-cancer.yaml"
ROLE = "arn:aws:iam::123456789012:role/TunePilotSageMakerRole"
DELETE = object()


def demo() -> dict[str, Any]:
    return yaml.safe_load(DEMO.read_text())


def edited(base: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    """``{"limits.max_jobs": 3, "budget": DELETE}`` applied to a copy of ``base``."""
    spec = copy.deepcopy(base)
    for path, value in edits.items():
        *parents, last = path.split(".")
        node = spec
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return spec


def validate_dict(spec: dict[str, Any], **kwargs: Any) -> ValidationResult:
    return validate_bytes(yaml.safe_dump(spec, sort_keys=False).encode(), **kwargs)
