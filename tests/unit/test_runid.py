"""The tuning job's name: the spec's name, cut to SageMaker's 32 characters, with the run's digest."""

from __future__ import annotations

import re

import pytest
from tunepilot.runid import run_id_for, tuning_job_name

RUN = "my-experiment-file-0123456789ab"


@pytest.mark.parametrize(
    ("spec_name", "expected"),
    [
        pytest.param("xgb-breast-cancer", "tp-xgb-breast-cancer-01234567", id="spec-name"),
        pytest.param("A-very-long-spec-name-that-is-32c", "tp-a-very-long-spec-nam-01234567", id="cut-to-32"),
        pytest.param("abcdefghij-klmnopqr-stuvwx", "tp-abcdefghij-klmnopqr-01234567", id="no-double-hyphen-at-the-cut"),
        pytest.param(None, "tp-my-experiment-file-01234567", id="no-name-uses-the-file-name"),
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
