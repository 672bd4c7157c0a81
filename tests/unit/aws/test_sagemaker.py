"""The SageMaker adapter against AWS's own error codes (and, where AWS gives only one, its message)."""

from __future__ import annotations

import datetime as dt

import pytest
from tunepilot.aws import sagemaker
from tunepilot.exceptions import AwsCallFailed, AwsUnavailable, QuotaExceeded, Throttled

from tests.unit.aws.conftest import error

# AWS's own message texts for the two answers it gives only as a ValidationException message.
MISSING_ENDPOINT = 'Could not find endpoint "arn:aws:sagemaker:us-west-2:123456789098:endpoint/test-endpoint".'
EXISTING_MODEL = ('Cannot create already existing model '
                  '"arn:aws:sagemaker:us-east-2:396807896376:model/provider-knn-model".')
EXISTING_CONFIG = ('Cannot create already existing endpoint configuration '
                   '"arn:aws-cn:sagemaker:cn-northwest-1:801869647304:endpoint-config/bert-sentiment-config".')
EXISTING_ENDPOINT = ('Cannot create already existing endpoint '
                     '"arn:aws:sagemaker:eu-west-2:123456789012:endpoint/probation-search-endpoint".')
BAD_NAME = ("1 validation error detected: Value 'bad_name' at 'endpointName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
# A refused stop: the adapter never reads this text, the job's own status decides.
NOT_IN_PROGRESS = "The request was rejected because the tuning job is not in progress."


# The smallest requests botocore's own parameter validation lets through.
CREATE = {
    "model": {"ModelName": "tp-demo-model"},
    "endpoint_config": {"EndpointConfigName": "tp-demo-config", "ProductionVariants": [
        {"VariantName": "AllTraffic", "ModelName": "tp-demo-model", "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1}]},
}
TUNING_REQUEST = {"HyperParameterTuningJobName": "tp-demo-1a2b3c4d",
                  "HyperParameterTuningJobConfig": {"Strategy": "Bayesian",
                                                    "ResourceLimits": {"MaxParallelTrainingJobs": 1}}}


def tuning_job(status: str) -> dict:
    """A DescribeHyperParameterTuningJob response with only the members botocore requires."""
    return {
        "HyperParameterTuningJobName": "tp-demo-1a2b3c4d",
        "HyperParameterTuningJobArn": "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/tp-demo",
        "HyperParameterTuningJobConfig": {"Strategy": "Bayesian", "ResourceLimits": {"MaxParallelTrainingJobs": 1}},
        "HyperParameterTuningJobStatus": status,
        "CreationTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "TrainingJobStatusCounters": {},
        "ObjectiveStatusCounters": {},
    }


@pytest.mark.parametrize(
    ("code", "status", "message", "outcome"),
    [
        ("ValidationException", 400, MISSING_ENDPOINT, None),
        ("ValidationException", 400, BAD_NAME, AwsCallFailed),
        ("ThrottlingException", 400, "", Throttled),
        ("InternalFailure", 500, "", AwsUnavailable),
    ],
    ids=["missing-is-none", "other-validation-error", "throttled", "internal-failure"],
)
def test_describe_endpoint(stubbed, code, status, message, outcome):
    stubbed("sagemaker").add_client_error("describe_endpoint", **error(code, status, message))
    if outcome is None:
        assert sagemaker.describe_endpoint("test-endpoint") is None
    else:
        with pytest.raises(outcome) as raised:
            sagemaker.describe_endpoint("test-endpoint")
        assert code in str(raised.value) and raised.value.__cause__ is not None


@pytest.mark.parametrize(
    ("kind", "code", "message", "outcome"),
    [
        ("model", "ValidationException", EXISTING_MODEL, False),
        ("endpoint_config", "ValidationException", EXISTING_CONFIG, False),
        ("model", "ResourceLimitExceeded", "", QuotaExceeded),
        ("model", "ValidationException", "Could not access model data at s3://b/model.tar.gz.", AwsCallFailed),
    ],
    ids=["model-exists", "config-exists", "quota", "other-validation-error"],
)
def test_create_if_absent(stubbed, kind, code, message, outcome):
    stubbed("sagemaker").add_client_error(f"create_{kind}", **error(code, 400, message))
    if outcome is False:
        assert sagemaker.create_if_absent(kind, **CREATE[kind]) is False
    else:
        with pytest.raises(outcome):
            sagemaker.create_if_absent(kind, **CREATE[kind])


@pytest.mark.parametrize(
    ("code", "message", "outcome"),
    [("ValidationException", EXISTING_ENDPOINT, False), ("ResourceLimitExceeded", "", QuotaExceeded),
     ("ValidationException", BAD_NAME, AwsCallFailed)],
    ids=["name-taken", "quota", "other-validation-error"],
)
def test_create_endpoint(stubbed, code, message, outcome):
    stubbed("sagemaker").add_client_error("create_endpoint", **error(code, 400, message))
    if outcome is False:
        assert sagemaker.create_endpoint("probation-search-endpoint", "tp-demo-config", []) is False
    else:
        with pytest.raises(outcome):
            sagemaker.create_endpoint("probation-search-endpoint", "tp-demo-config", [])


def test_create_if_absent_creates(stubbed):
    stubbed("sagemaker").add_response("create_model", {"ModelArn": "arn:aws:sagemaker:us-east-1:1:model/m"})
    assert sagemaker.create_if_absent("model", **CREATE["model"]) is True


@pytest.mark.parametrize(
    ("code", "outcome"),
    [("ResourceInUse", False), ("ResourceLimitExceeded", QuotaExceeded), ("ValidationException", AwsCallFailed)],
    ids=["name-taken", "quota", "invalid-request"],
)
def test_create_tuning_job(stubbed, code, outcome):
    stubbed("sagemaker").add_client_error("create_hyper_parameter_tuning_job", **error(code))
    if outcome is False:
        assert sagemaker.create_tuning_job(TUNING_REQUEST) is False
    else:
        with pytest.raises(outcome):
            sagemaker.create_tuning_job(TUNING_REQUEST)


@pytest.mark.parametrize(
    ("current", "outcome"),
    [("Completed", False), ("Stopping", False), ("Stopped", False), ("Failed", False), ("InProgress", AwsCallFailed)],
    ids=["completed", "stopping", "stopped", "failed", "in-progress-so-the-request-was-wrong"],
)
def test_stop_refused_because_the_job_ended_is_not_an_error(stubbed, current, outcome):
    stub = stubbed("sagemaker")
    stub.add_client_error("stop_hyper_parameter_tuning_job", **error("ValidationException", 400, NOT_IN_PROGRESS))
    stub.add_response("describe_hyper_parameter_tuning_job", tuning_job(current),
                      {"HyperParameterTuningJobName": "tp-demo-1a2b3c4d"})
    if outcome is False:
        assert sagemaker.stop_tuning_job("tp-demo-1a2b3c4d") is False
    else:
        with pytest.raises(outcome):
            sagemaker.stop_tuning_job("tp-demo-1a2b3c4d")


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [("ResourceNotFound", 400, AwsCallFailed), ("ThrottlingException", 400, Throttled),
     ("ServiceUnavailable", 503, AwsUnavailable)],
    ids=["no-such-job", "throttled", "unavailable"],
)
def test_stop_errors(stubbed, code, status, outcome):
    stubbed("sagemaker").add_client_error("stop_hyper_parameter_tuning_job", **error(code, status))
    with pytest.raises(outcome):
        sagemaker.stop_tuning_job("tp-demo-1a2b3c4d")


def test_stop_running_job(stubbed):
    stubbed("sagemaker").add_response("stop_hyper_parameter_tuning_job", {},
                                      {"HyperParameterTuningJobName": "tp-demo-1a2b3c4d"})
    assert sagemaker.stop_tuning_job("tp-demo-1a2b3c4d") is True


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("ValidationException", MISSING_ENDPOINT, (True, False)),
        ("ResourceNotFound", "Amazon SageMaker can't find a tuning job named tp-x", (True, False)),
        ("ValidationException", EXISTING_MODEL, (False, True)),
        ("ValidationException", EXISTING_CONFIG, (False, True)),
        ("ValidationException", EXISTING_ENDPOINT, (False, True)),
        ("ResourceInUse", "Resource Already Exists", (False, True)),
        ("ValidationException", BAD_NAME, (False, False)),
        ("AccessDeniedException", "Could not find endpoint, or not allowed to", (False, False)),
    ],
    ids=["missing-endpoint", "resource-not-found", "model-exists", "config-exists", "endpoint-exists",
         "resource-in-use",
         "other-validation-error", "message-with-another-code"],
)
def test_the_two_message_readings(code, message, expected):
    from botocore.exceptions import ClientError

    e = ClientError({"Error": {"Code": code, "Message": message}}, "AnyOperation")
    assert (sagemaker.not_found(e), sagemaker.already_exists(e)) == expected


def test_training_jobs_of_reads_every_page(stubbed):
    stub = stubbed("sagemaker")
    summary = {"TrainingJobName": "tp-demo-001-0123abcd", "TrainingJobArn": "arn:aws:sagemaker:::training-job/x",
               "CreationTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "TrainingJobStatus": "Completed",
               "TunedHyperParameters": {}}
    stub.add_response("list_training_jobs_for_hyper_parameter_tuning_job",
                      {"TrainingJobSummaries": [summary], "NextToken": "t1"})
    stub.add_response("list_training_jobs_for_hyper_parameter_tuning_job",
                      {"TrainingJobSummaries": [{**summary, "TrainingJobName": "tp-demo-002-0123abcd"}]},
                      {"HyperParameterTuningJobName": "tp-demo", "MaxResults": 100, "NextToken": "t1"})
    assert [j["TrainingJobName"] for j in sagemaker.training_jobs_of("tp-demo")] == [
        "tp-demo-001-0123abcd", "tp-demo-002-0123abcd"]
