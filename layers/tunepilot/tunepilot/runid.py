"""Run identity: derived from the S3 object, so duplicate deliveries map to one run."""

from __future__ import annotations

import hashlib
import re

_SLUG = re.compile(r"[^a-zA-Z0-9]+")
TUNING_JOB_PREFIX = "tp-"  # every TunePilot tuning job's name starts so (template.yaml's rules filter on it)


def run_id_for(bucket: str, key: str, version: str | None) -> str:
    """``<spec-stem>-<12 hex>``: stable for one object version (or ETag when unversioned)."""
    stem = key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    slug = _SLUG.sub("-", stem).strip("-").lower()[:40] or "spec"
    digest = hashlib.sha256(f"{bucket}/{key}@{version or ''}".encode()).hexdigest()[:12]
    return f"{slug}-{digest}"


TUNING_JOB_NAME_MAX = 32  # SageMaker's limit on HyperParameterTuningJobName
DIGEST_HEX = 12  # all of the run id's digest: 8 digits collide at 25% among 50,000 date-stamped runs


def tuning_job_name(run_id: str, spec_name: str | None = None) -> str:
    """``tp-<spec name>-<12 hex>``: at most 32 characters of ``[a-zA-Z0-9-]``, deterministic in the run.

    The spec's ``name`` names the job (cut to fit SageMaker's 32 characters); the digest comes from the
    run id, so two spec files with the same name get two jobs and a redelivered one gets the same job.
    Without a name (an old run record), the run id's own slug (the file name) stands in."""
    slug, digest = run_id.rsplit("-", 1)
    if spec_name:
        slug = _SLUG.sub("-", spec_name).strip("-").lower() or slug
    head = slug[: TUNING_JOB_NAME_MAX - len(TUNING_JOB_PREFIX) - 1 - DIGEST_HEX].strip("-")
    return f"{TUNING_JOB_PREFIX}{head}-{digest[:DIGEST_HEX]}" if head else f"{TUNING_JOB_PREFIX}{digest[:DIGEST_HEX]}"
