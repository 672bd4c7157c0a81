"""The SageMaker Python SDK v2's tuner workflow, unchanged, against the local cloud.

Each call is the SDK's own (HyperparameterTuner, Estimator, Predictor, the analytics classes); the only
set-up is the environment in conftest.py. Jobs are tiny (10 boosting rounds, 2 trials) to keep it quick.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.compat.conftest import NonLoopbackConnection

OBJECTIVE = "validation:auc"


def _estimator(session: Any, role: str, **hyperparameters: Any) -> Any:
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator

    estimator = Estimator(
        image_uri=image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
        role=role, instance_count=1, instance_type="ml.m5.large", volume_size=5, max_run=600,
        output_path=f"s3://{session.default_bucket()}/output", sagemaker_session=session,
    )
    estimator.set_hyperparameters(objective="binary:logistic", eval_metric="auc", num_round=10, **hyperparameters)
    return estimator


def _inputs(data: dict[str, Any]) -> dict[str, Any]:
    from sagemaker.inputs import TrainingInput

    return {channel: TrainingInput(data[channel], content_type="text/csv") for channel in ("train", "validation")}


def _ranges(strategy: str = "Bayesian") -> dict[str, Any]:
    from sagemaker.tuner import CategoricalParameter, ContinuousParameter, IntegerParameter

    if strategy == "Grid":
        return {"max_depth": CategoricalParameter([2, 4]), "eta": CategoricalParameter([0.1, 0.3])}
    return {"eta": ContinuousParameter(0.05, 0.5, scaling_type="Logarithmic"), "max_depth": IntegerParameter(2, 5)}


def _tuner(session: Any, role: str, strategy: str = "Bayesian", max_jobs: int | None = 2, **kwargs: Any) -> Any:
    from sagemaker.tuner import HyperparameterTuner

    return HyperparameterTuner(
        _estimator(session, role), objective_metric_name=OBJECTIVE, hyperparameter_ranges=_ranges(strategy),
        strategy=strategy, max_jobs=max_jobs, max_parallel_jobs=2, base_tuning_job_name="sdk", **kwargs,
    )


def _status(session: Any, name: str) -> dict[str, Any]:
    return session.sagemaker_client.describe_hyper_parameter_tuning_job(  # type: ignore[no-any-return]
        HyperParameterTuningJobName=name)


@pytest.fixture(scope="module")
def tuned(session, role, data) -> Any:
    """One Bayesian tuning job with early stopping Auto, fitted and waited for by the SDK."""
    tuner = _tuner(session, role, early_stopping_type="Auto")
    tuner.fit(_inputs(data), job_name="sdk-bayesian", wait=False)
    tuner.wait()
    return tuner


def test_the_guard_refuses_connections_outside_loopback(no_call_outside_loopback):
    with socket.socket() as sock, pytest.raises(NonLoopbackConnection):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: refused by the guard before any packet is sent
    with pytest.raises(NonLoopbackConnection):
        socket.getaddrinfo("example.com", 443)  # no DNS query leaves either
    assert no_call_outside_loopback[-2:] == ["connect ('192.0.2.1', 443)", "lookup 'example.com'"]
    no_call_outside_loopback.clear()  # refused on purpose: the guard's own check must not fail this test


def test_sdk_telemetry_is_opted_out_through_its_config_file(session):
    from sagemaker.config.config_schema import TELEMETRY_OPT_OUT_PATH
    from sagemaker.utils import resolve_value_from_config

    assert resolve_value_from_config(config_path=TELEMETRY_OPT_OUT_PATH, sagemaker_session=session) is True


def test_fit_and_wait_complete_with_a_best_training_job(session, tuned):
    description = _status(session, tuned.latest_tuning_job.name)
    assert description["HyperParameterTuningJobStatus"] == "Completed"
    assert description["TrainingJobDefinition"]["StaticHyperParameters"]["_tuning_objective_metric"] == OBJECTIVE
    assert tuned.best_training_job() == description["BestTrainingJob"]["TrainingJobName"]


def test_best_estimator_has_the_best_jobs_hyperparameters(session, tuned):
    best = session.sagemaker_client.describe_training_job(TrainingJobName=tuned.best_training_job())
    estimator = tuned.best_estimator()
    assert estimator.latest_training_job.name == best["TrainingJobName"]
    assert estimator.model_data == best["ModelArtifacts"]["S3ModelArtifacts"]
    # As on AWS: the job's hyperparameters, AMT's _tuning_objective_metric included.
    assert {k: str(v) for k, v in estimator.hyperparameters().items()} == best["HyperParameters"]
    assert set(best["HyperParameters"]) >= {"eta", "max_depth", "num_round", "_tuning_objective_metric"}


def test_analytics_dataframe_has_one_row_per_training_job(tuned):
    frame = tuned.analytics().dataframe()
    assert len(frame) == 2
    assert {"TrainingJobName", "TrainingJobStatus", "FinalObjectiveValue", "eta", "max_depth"} <= set(frame.columns)
    assert frame["FinalObjectiveValue"].max() == pytest.approx(
        tuned.describe()["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])


def test_training_job_analytics_reads_the_published_cloudwatch_metrics(session, tuned):
    from sagemaker.analytics import TrainingJobAnalytics

    name = tuned.best_training_job()
    frame = TrainingJobAnalytics(name, metric_names=[OBJECTIVE, "train:auc"], sagemaker_session=session).dataframe()
    assert set(frame["metric_name"]) == {OBJECTIVE, "train:auc"}
    final = {m["MetricName"]: m["Value"] for m in session.sagemaker_client.describe_training_job(
        TrainingJobName=name)["FinalMetricDataList"]}
    assert frame[frame["metric_name"] == OBJECTIVE]["value"].max() <= 1.0
    assert final[OBJECTIVE] <= 1.0


def test_attach_to_a_tuning_job_the_sdk_started(session, tuned):
    from sagemaker.tuner import HyperparameterTuner

    attached = HyperparameterTuner.attach(tuned.latest_tuning_job.name, sagemaker_session=session)
    assert attached.best_training_job() == tuned.best_training_job()
    assert attached.objective_metric_name == OBJECTIVE
    assert set(attached.hyperparameter_ranges()) >= {"ContinuousParameterRanges", "IntegerParameterRanges"}


def test_estimator_attach_to_the_best_training_job(session, tuned):
    from sagemaker.estimator import Estimator

    estimator = Estimator.attach(tuned.best_training_job(), sagemaker_session=session)
    assert estimator.instance_type == "ml.m5.large"
    assert estimator.output_kms_key == ""
    assert estimator.model_data.endswith("/output/model.tar.gz")


def test_attach_to_a_tuning_job_created_with_boto3(session, role, data, tuned):
    """A job the SDK never saw: created from the SDK job's own request, through plain boto3."""
    from sagemaker.tuner import HyperparameterTuner

    source = _status(session, tuned.latest_tuning_job.name)
    definition = source["TrainingJobDefinition"]
    definition["StaticHyperParameters"].pop("_tuning_objective_metric")  # as a user would send it
    definition["AlgorithmSpecification"] = {"TrainingImage": _estimator(session, role).image_uri,
                                            "TrainingInputMode": "File"}
    session.sagemaker_client.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="boto3-made", HyperParameterTuningJobConfig=source["HyperParameterTuningJobConfig"],
        TrainingJobDefinition=definition)
    attached = HyperparameterTuner.attach("boto3-made", sagemaker_session=session)
    attached.wait()
    assert _status(session, "boto3-made")["HyperParameterTuningJobStatus"] == "Completed"
    assert attached.best_training_job().startswith("boto3-made-")
    assert attached.best_estimator().hyperparameters()["num_round"] == "10"


def test_tuner_deploy_predict_and_delete(session, tuned, data):
    from sagemaker.deserializers import CSVDeserializer
    from sagemaker.serializers import CSVSerializer

    predictor = tuned.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="sdk-compat-ep",
                             serializer=CSVSerializer(), deserializer=CSVDeserializer())
    rows = data["rows"][:3]
    predictions = predictor.predict(rows)
    assert len(predictions) == 3 and all(0.0 <= float(p[0]) <= 1.0 for p in predictions)
    model_name = predictor._get_model_names()[0]
    predictor.delete_endpoint()
    predictor.delete_model()
    client = session.sagemaker_client
    assert "sdk-compat-ep" not in [e["EndpointName"] for e in client.list_endpoints()["Endpoints"]]
    assert model_name not in [m["ModelName"] for m in client.list_models()["Models"]]


@pytest.mark.parametrize(
    ("strategy", "kwargs"),
    [
        pytest.param("Random", {}, id="random"),
        pytest.param("Grid", {"max_jobs": 4}, id="grid"),
        pytest.param("Hyperband", {"hyperband": (1, 10)}, id="hyperband"),
    ],
)
def test_every_strategy_completes(session, role, data, strategy, kwargs):
    from sagemaker.tuner import HyperbandStrategyConfig, StrategyConfig

    extra: dict[str, Any] = {}
    if "hyperband" in kwargs:
        low, high = kwargs.pop("hyperband")
        extra["strategy_config"] = StrategyConfig(HyperbandStrategyConfig(min_resource=low, max_resource=high))
    tuner = _tuner(session, role, strategy=strategy, **kwargs, **extra)
    tuner.fit(_inputs(data), job_name=f"sdk-{strategy.lower()}", wait=False)
    tuner.wait()
    description = tuner.describe()
    assert description["HyperParameterTuningJobStatus"] == "Completed"
    assert description["HyperParameterTuningJobConfig"]["Strategy"] == strategy
    jobs = tuner.analytics().dataframe()
    assert len(jobs) == (4 if strategy == "Grid" else 2)  # Grid: every combination of 2 x 2 values


@pytest.mark.parametrize("kind", ["identical", "transfer"])
def test_warm_start_from_the_first_tuning_job(session, data, tuned, kind):
    make = tuned.identical_dataset_and_algorithm_tuner if kind == "identical" else tuned.transfer_learning_tuner
    child = make()
    child.fit(_inputs(data), job_name=f"sdk-warm-{kind}", wait=False)
    child.wait()
    description = child.describe()
    assert description["HyperParameterTuningJobStatus"] == "Completed"
    assert description["WarmStartConfig"]["WarmStartType"] == (
        "IdenticalDataAndAlgorithm" if kind == "identical" else "TransferLearning")
    parent_best = tuned.describe()["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    overall = description["OverallBestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert overall >= parent_best


def test_stop_tuning_job_ends_it_stopped(session, role, data):
    from sagemaker.tuner import HyperparameterTuner

    estimator = _estimator(session, role)
    estimator.set_hyperparameters(num_round=5000)  # long enough to be running when the stop comes
    tuner = HyperparameterTuner(estimator, objective_metric_name=OBJECTIVE, hyperparameter_ranges=_ranges(),
                                max_jobs=4, max_parallel_jobs=1, base_tuning_job_name="sdk-stop")
    tuner.fit(_inputs(data), job_name="sdk-stopped", wait=False)
    tuner.stop_tuning_job()
    tuner.wait()
    assert tuner.describe()["HyperParameterTuningJobStatus"] == "Stopped"
