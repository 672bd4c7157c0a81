"""Demo data for a spec: fill every empty channel, create the output bucket, upload script sources.

Channels named ``validation`` (or ``test``) get the held-out part of scikit-learn's breast cancer set,
every other channel the training part: CSV, label first, no header, the layout SageMaker's built-in
XGBoost reads. The split is deterministic, so runs are comparable.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tunepilot_local.sagemaker.aws import split_s3_uri, tar_directory

_HELD_OUT = ("validation", "test", "eval")


@dataclass
class SeedReport:
    uploaded: list[str] = field(default_factory=list)  # s3:// URIs written
    kept: list[str] = field(default_factory=list)  # channels that already had data


def spec_document(spec: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The spec as a plain dict (YAML or JSON); validation is the state machine's job, not the seeder's."""
    if isinstance(spec, dict):
        return spec
    document = yaml.safe_load(spec)
    if not isinstance(document, dict):
        raise ValueError("the spec is not a mapping")
    return document


def breast_cancer_csv(part: str) -> bytes:
    """``train`` or ``validation`` rows of the breast cancer set (80/20, seed 0), label first, no header."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    features, labels = load_breast_cancer(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(
        features, labels, test_size=0.2, random_state=0, stratify=labels)
    rows, targets = (x_valid, y_valid) if part in _HELD_OUT else (x_train, y_train)
    out = io.StringIO()
    for target, row in zip(targets, rows, strict=True):
        out.write(",".join([str(int(target)), *(f"{value:.6g}" for value in row)]) + "\n")
    return out.getvalue().encode()


def _ensure_bucket(s3: Any, bucket: str) -> None:
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)


def _is_empty(s3: Any, bucket: str, prefix: str) -> bool:
    return not s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0)


def seed(spec: bytes | str | dict[str, Any], s3: Any, scripts_dir: Path | None = None) -> SeedReport:
    """Create the buckets and data the spec points at, where nothing is there yet."""
    document = spec_document(spec)
    report = SeedReport()
    resources = document.get("resources") or {}
    for name, channel in (resources.get("channels") or {}).items():
        uri = (channel or {}).get("s3_uri")
        if not isinstance(uri, str) or not uri.startswith("s3://"):
            continue
        bucket, prefix = split_s3_uri(uri)
        _ensure_bucket(s3, bucket)
        if not _is_empty(s3, bucket, prefix):
            report.kept.append(uri)
            continue
        key = prefix.rstrip("/") + f"/{name}.csv" if prefix else f"{name}.csv"
        s3.put_object(Bucket=bucket, Key=key.lstrip("/"), Body=breast_cancer_csv(name))
        report.uploaded.append(f"s3://{bucket}/{key.lstrip('/')}")
    output = resources.get("output_path")
    if isinstance(output, str) and output.startswith("s3://"):
        _ensure_bucket(s3, split_s3_uri(output)[0])
    script = (document.get("algorithm") or {}).get("script") or {}
    source = script.get("source_dir")
    if isinstance(source, str) and source.startswith("s3://") and scripts_dir and scripts_dir.is_dir():
        bucket, key = split_s3_uri(source)
        _ensure_bucket(s3, bucket)
        if _is_empty(s3, bucket, key):
            s3.put_object(Bucket=bucket, Key=key, Body=tar_directory(scripts_dir, skip={"__pycache__"}))
            report.uploaded.append(source)
    return report


def seed_run(body: bytes, s3: Any, scripts_dir: Path, say: Callable[[str], None], seed_data: bool = True,
             ) -> dict[str, Any]:
    """Before a local run: the spec as a dict (empty if unreadable) and, with ``seed_data``, its data seeded."""
    document: dict[str, Any] = {}
    with contextlib.suppress(Exception):  # an unreadable spec is the state machine's to reject
        document = spec_document(body)
        if seed_data:
            for uri in seed(document, s3, scripts_dir).uploaded:
                say(f"seeded {uri}")
    return document
