"""The metric-regex guard end to end (issue 5): a wrong regex is explained while the run is still going.

The regex mistake is the realistic one that passes validation (with warnings only): train.py prints
``validation_accuracy=0.9649`` but the spec's regex expects ``validation_accuracy: 0.9649``.
"""

from __future__ import annotations

import re
import time

import pytest
import yaml
from tunepilot.spec.load import validate_bytes

from tests.e2e.controller_helpers import (
    TERMINAL,
    executions_for_key,
    job_log_lines,
    spec,
    training_jobs,
    why,
)
from tests.waiting import wait_for
from tunepilot_local.cloud import REPO_ROOT
from tunepilot_local.seed import seed

pytestmark = pytest.mark.e2e

WRONG_REGEX = r"validation_accuracy: ([0-9.]+)"  # the log has "=", not ": "
PRINTED_VALUE = re.compile(r"validation_accuracy=(\S+)")  # what train.py really prints, read loosely


def wrong_regex_spec(**overrides):
    metric = [{"name": "validation:accuracy", "regex": WRONG_REGEX}]
    return spec("script-small", {"algorithm": {"script": {"metric_definitions": metric}}, **overrides})


def upload(cloud, document, key: str) -> None:
    body = yaml.safe_dump(document, sort_keys=False).encode()
    seed(document, cloud.client("s3"), REPO_ROOT / "examples" / "scripts")  # demo data and train.py's tarball
    cloud.client("s3").put_object(Bucket=cloud.bucket, Key=key, Body=body)


def suggested_regex(message: str) -> str:
    """The regex the alert tells the user to paste (YAML single-quoted, after 'Suggested regex')."""
    _, _, after = message.partition("Suggested regex")
    match = re.search(r"^\s*Regex: ('.*')\s*$", after, re.M)
    assert match, f"no suggested regex in the alert:\n{message}"
    return str(yaml.safe_load(match.group(1)))


def test_the_wrong_regex_passes_validation_with_warnings_only():
    result = validate_bytes(yaml.safe_dump(wrong_regex_spec()).encode())
    assert result.valid and result.warnings, result.errors


def test_mismatch_alert_arrives_while_the_run_is_running_with_a_regex_that_reads_the_log(local_cloud):
    key = "specs/e2e-guard-alert.yaml"
    alerts_before = len(local_cloud.alerts())
    # Three jobs one at a time: the first job's end is well before the tuning job's.
    upload(local_cloud, wrong_regex_spec(limits={"max_jobs": 3, "max_parallel_jobs": 1}), key)
    started = time.monotonic()
    execution = wait_for(f"the execution for {key}", lambda: next(iter(executions_for_key(local_cloud, key)), None),
                         timeout=60)
    sfn = local_cloud.client("stepfunctions")

    def mismatch_alert():
        found = [a for a in local_cloud.alerts()[alerts_before:] if "validation:accuracy never matched" in a["subject"]]
        if found:  # the execution's status at the moment the alert is seen
            return found[0], sfn.describe_execution(executionArn=execution["executionArn"])["status"]
        return None

    alert, status_at_alert = wait_for("the metric-mismatch alert", mismatch_alert, timeout=240, interval=0.25)
    alert_seconds = time.monotonic() - started
    final = wait_for("the execution to end", lambda: (
        d if (d := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] in TERMINAL else None),
        timeout=240)
    print(f"metric guard: alert after {alert_seconds:.1f}s while {status_at_alert}; run ended {final['status']} "
          f"after {time.monotonic() - started:.1f}s")
    assert status_at_alert == "RUNNING"

    regex = suggested_regex(alert["message"])
    job = re.search(r"Training job: (\S+)", alert["message"]).group(1)
    printed = [line for line in job_log_lines(local_cloud, job) if PRINTED_VALUE.search(line)]
    assert printed, f"{job} printed no validation_accuracy line"
    for line in printed:
        read = re.search(regex, line)
        assert read, f"suggested regex {regex!r} does not match {line!r}"
        assert read.group(1) == PRINTED_VALUE.search(line).group(1)  # the whole number, every digit
        float(read.group(1))
    # The guard alerts once per run and metric, however many jobs miss it.
    later = [a for a in local_cloud.alerts()[alerts_before:] if "validation:accuracy never matched" in a["subject"]]
    assert len(later) == 1, [a["subject"] for a in later]


def test_on_metric_mismatch_stop_stops_the_tuning_job_after_the_first_job(local_cloud):
    key = "specs/e2e-guard-stop.yaml"
    document = wrong_regex_spec(limits={"max_jobs": 6, "max_parallel_jobs": 1}, on_metric_mismatch="stop")
    summary = local_cloud.run_spec(yaml.safe_dump(document, sort_keys=False).encode(), key=key, timeout=300)
    assert summary.stop_reason == "MetricRegexMismatch", why(summary)
    tuning = local_cloud.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=summary.tuning_job_name)
    assert tuning["HyperParameterTuningJobStatus"] == "Stopped"
    jobs = training_jobs(local_cloud, summary.tuning_job_name)
    print(f"metric guard stop: {len(jobs)} training job(s) of 6, run {summary.wall_seconds:.1f}s, {summary.error}")
    assert len(jobs) <= 2  # the first job, plus at most one launched before the stop arrived
    assert any("stopped" in a["subject"].lower() and "never matched" in a["subject"] for a in summary.alerts), \
        [a["subject"] for a in summary.alerts]
