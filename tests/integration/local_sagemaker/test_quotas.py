"""Account quotas on the local SageMaker: ResourceLimitExceeded past them, as AWS answers."""

from __future__ import annotations

import botocore.exceptions
import pytest

from tests.integration.local_sagemaker.helpers import tuning_config, wait_for, xgboost_definition

TERMINAL = {"Completed", "Failed", "Stopped"}


def create(sm, name, parallel=1):
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=tuning_config("Random", jobs=2, parallel=parallel),
        TrainingJobDefinition=xgboost_definition(),
    )


def status(sm, name):
    return sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)


@pytest.fixture
def quotas(platform):
    yield platform.quotas
    platform.quotas.concurrent_tuning_jobs = platform.quotas.parallel_training_jobs = None


def test_concurrent_tuning_jobs_past_the_quota_are_refused_until_one_ends(aws, dataset, platform, quotas):
    sm = aws("sagemaker")
    quotas.concurrent_tuning_jobs = 2
    create(sm, "quota-a")
    create(sm, "quota-b")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        create(sm, "quota-c")
    assert refused.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    assert "concurrent hyperparameter tuning jobs" in refused.value.response["Error"]["Message"]
    with pytest.raises(sm.exceptions.ResourceNotFound):
        status(sm, "quota-c")  # nothing was created
    wait_for(lambda: status(sm, "quota-a"), "HyperParameterTuningJobStatus", TERMINAL)
    create(sm, "quota-c")  # a slot freed
    assert quotas.peak_tuning_jobs == 2
    for name in ("quota-b", "quota-c"):
        wait_for(lambda name=name: status(sm, name), "HyperParameterTuningJobStatus", TERMINAL)


def test_parallel_training_jobs_per_account(aws, dataset, platform, quotas):
    sm = aws("sagemaker")
    quotas.parallel_training_jobs = 1
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        create(sm, "too-parallel", parallel=2)
    assert refused.value.response["Error"]["Code"] == "ResourceLimitExceeded"


def test_a_second_create_with_the_same_name_is_refused_not_replaced(aws, dataset, platform):
    sm = aws("sagemaker")
    create(sm, "only-once")
    arn = status(sm, "only-once")["HyperParameterTuningJobArn"]
    with pytest.raises(botocore.exceptions.ClientError) as again:
        create(sm, "only-once")
    assert again.value.response["Error"]["Code"] == "ResourceInUse"
    assert status(sm, "only-once")["HyperParameterTuningJobArn"] == arn
    wait_for(lambda: status(sm, "only-once"), "HyperParameterTuningJobStatus", TERMINAL)
