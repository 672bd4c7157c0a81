"""Run ids and tuning job names: deterministic, within SageMaker's limits, carrying the whole digest."""

from __future__ import annotations

import re

import botocore.session
import pytest
from tunepilot.runid import DIGEST_HEX, TUNING_JOB_NAME_MAX, run_id_for, tuning_job_name

_SHAPE = botocore.session.get_session().get_service_model("sagemaker").shape_for("HyperParameterTuningJobName")

KEYS = {
    "short": "specs/demo.yaml",
    "long-stem": "specs/a-very-long-spec-file-name-for-the-fraud-team-2026-11-22.yaml",
    "symbols-only": "specs/___.json",
    "nested-and-dotted": "specs/team/x.v2.final.yml",
    "unicode": "specs/tuning-ümlaut.yaml",
}


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_tuning_job_name_fits_sagemaker_and_keeps_all_12_digest_digits(key):
    run_id = run_id_for("bucket", key, "v1")
    digest = run_id.rsplit("-", 1)[1]
    name = tuning_job_name(run_id)
    assert len(digest) == DIGEST_HEX == 12
    assert name.endswith(f"-{digest}") and name.startswith("tp-")
    assert len(name) <= TUNING_JOB_NAME_MAX == _SHAPE.metadata["max"]
    assert re.fullmatch(_SHAPE.metadata["pattern"], name)
    assert tuning_job_name(run_id_for("bucket", key, "v1")) == name  # deterministic


def test_versions_of_one_key_get_distinct_tuning_jobs():
    names = {tuning_job_name(run_id_for("bucket", "specs/demo.yaml", f"v{i}")) for i in range(2000)}
    assert len(names) == 2000


RUN = "my-experiment-file-0123456789ab"


@pytest.mark.parametrize(
    ("spec_name", "expected"),
    [
        pytest.param("xgb-breast-cancer", "tp-xgb-breast-cance-0123456789ab", id="spec-name"),
        pytest.param("A-very-long-spec-name-that-is-32c", "tp-a-very-long-spec-0123456789ab", id="cut-to-32"),
        pytest.param("abcdefghijklmno-pqr", "tp-abcdefghijklmno-0123456789ab", id="no-double-hyphen-at-the-cut"),
        pytest.param(None, "tp-my-experiment-fi-0123456789ab", id="no-name-uses-the-file-name"),
    ],
)
def test_the_spec_name_names_the_tuning_job(spec_name, expected):
    name = tuning_job_name(RUN, spec_name)
    assert name == expected
    assert len(name) <= 32 and re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}", name)


def test_two_files_with_one_spec_name_get_two_jobs_and_a_redelivery_the_same():
    first = run_id_for("bucket", "specs/a.yaml", "v1")
    second = run_id_for("bucket", "specs/b.yaml", "v1")
    assert tuning_job_name(first, "demo") != tuning_job_name(second, "demo")
    assert tuning_job_name(first, "demo") == tuning_job_name(run_id_for("bucket", "specs/a.yaml", "v1"), "demo")
