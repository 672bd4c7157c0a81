"""Helpers for the controller and metric-guard e2e tests: small specs with overrides, waits that say what for."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

SPECS = Path(__file__).resolve().parents[1] / "data" / "specs" / "e2e"
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


LOG_GROUP = "/aws/sagemaker/TrainingJobs"


def spec(name: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """tests/data/specs/e2e/<name>.yaml with ``overrides`` merged in (a None value deletes the key)."""
    # Plain dicts through JSON: sam-cli registers an OrderedDict constructor on SafeLoader in this process,
    # and SafeDumper cannot write OrderedDicts back.
    document = json.loads(json.dumps(yaml.safe_load((SPECS / f"{name}.yaml").read_text())))
    return _merge(document, overrides or {})


def spec_bytes(name: str, overrides: dict[str, Any] | None = None) -> bytes:
    return yaml.safe_dump(spec(name, overrides), sort_keys=False).encode()


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def executions_for_key(cloud: Any, key: str) -> list[dict[str, Any]]:
    """Every execution whose input is the S3 event of ``key``: [{arn, status, input, ...}]."""
    sfn = cloud.client("stepfunctions")
    found = []
    for execution in sfn.list_executions(stateMachineArn=cloud.state_machine_arn)["executions"]:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        detail = json.loads(described.get("input") or "{}").get("detail", {})
        if detail.get("object", {}).get("key") == key:
            found.append(described)
    return found


def states_entered(cloud: Any, execution_arn: str) -> list[str]:
    events = cloud.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def run_item(cloud: Any, run_id: str) -> dict[str, Any]:
    """The run's ledger item in the runs table, deserialised."""
    from boto3.dynamodb.types import TypeDeserializer

    raw = cloud.client("dynamodb").get_item(TableName=cloud.table, Key={"pk": {"S": f"run#{run_id}"}}).get("Item")
    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in (raw or {}).items()}


def training_jobs(cloud: Any, tuning_job_name: str) -> list[dict[str, Any]]:
    sagemaker = cloud.client("sagemaker")
    summaries = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuning_job_name, MaxResults=100)["TrainingJobSummaries"]
    return [sagemaker.describe_training_job(TrainingJobName=s["TrainingJobName"]) for s in summaries]


def job_log_lines(cloud: Any, training_job: str) -> list[str]:
    """The job's own lines. Streams are named explicitly: moto's FilterLogEvents ignores logStreamNamePrefix."""
    logs = cloud.client("logs")
    streams = [s["logStreamName"] for s in logs.describe_log_streams(
        logGroupName=LOG_GROUP, logStreamNamePrefix=f"{training_job}/")["logStreams"]]
    assert streams, f"no log stream for {training_job}"
    kwargs: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamNames": streams}
    messages: list[str] = []
    while True:
        page = logs.filter_log_events(**kwargs)
        messages += [e["message"] for e in page.get("events", [])]
        if not page.get("nextToken"):
            return messages
        kwargs["nextToken"] = page["nextToken"]


def invoke_rows(cloud: Any, endpoint_name: str) -> list[float]:
    """Scores for three rows of the validation set, label stripped: the endpoint really serves."""
    from tunepilot_local.seed import breast_cancer_csv

    rows = breast_cancer_csv("validation").decode().splitlines()[:3]
    body = "\n".join(row.split(",", 1)[1] for row in rows)
    reply = cloud.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint_name, ContentType="text/csv", Body=body.encode())
    return [float(x) for x in reply["Body"].read().decode().split()]


def why(summary: Any) -> str:
    """What went wrong in a run, for assertion messages: the Fail state's error says only "RunFailed"."""
    cause = (summary.result or {}).get("cause")
    return f"{summary.status} {summary.error}; cause: {cause}; alerts: {[a['subject'] for a in summary.alerts]}"
