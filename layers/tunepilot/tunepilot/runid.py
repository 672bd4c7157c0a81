"""Run identity: derived from the S3 object, so duplicate deliveries map to one run."""

from __future__ import annotations

import hashlib
import re

_SLUG = re.compile(r"[^a-zA-Z0-9]+")


def run_id_for(bucket: str, key: str, version: str | None) -> str:
    """``<spec-stem>-<12 hex>``: stable for one object version (or ETag when unversioned)."""
    stem = key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    slug = _SLUG.sub("-", stem).strip("-").lower()[:40] or "spec"
    digest = hashlib.sha256(f"{bucket}/{key}@{version or ''}".encode()).hexdigest()[:12]
    return f"{slug}-{digest}"


def tuning_job_name(run_id: str) -> str:
    """At most 32 characters of ``[a-zA-Z0-9-]``, deterministic in the run id."""
    slug, digest = run_id.rsplit("-", 1)
    head = slug[: 32 - len("tp--") - 8].strip("-")
    return f"tp-{head}-{digest[:8]}" if head else f"tp-{digest[:8]}"
