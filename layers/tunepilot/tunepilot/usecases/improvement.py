"""CheckImprovement: read the baseline, compare in the objective's direction, decide."""

from __future__ import annotations

from typing import Any

from tunepilot.aws import sagemaker
from tunepilot.exceptions import BaselineUnavailable
from tunepilot.execution import BestJob, DeployDecision
from tunepilot.policies.improvement import decide
from tunepilot.spec.models import TuningSpec
from tunepilot.usecases.context import settings, store
from tunepilot.usecases.start import load_spec

OBJECTIVE_TAG = "tunepilot:objective-value"
METRIC_TAG = "tunepilot:objective-metric"
RUN_TAG = "tunepilot:run-id"


def check_improvement(run_id: str, best: BestJob) -> DeployDecision:
    spec = load_spec(run_id)
    result = DeployDecision.model_validate(gate(spec, best.objective_value, best.objective_metric))
    store().update_run(run_id, status="DECIDED")
    return result


def gate(spec: TuningSpec, candidate: float, metric: str) -> dict[str, Any]:
    """The improvement gate's decision for a candidate value, with the baseline it read (AnalyzeResults shares it)."""
    baseline_value, source = resolve_baseline(spec, metric)
    deploy = spec.deploy
    decision = decide(
        spec.objective.type,
        candidate,
        baseline_value,
        deploy.min_improvement if deploy else None,
        deploy_without_baseline=deploy.deploy_without_baseline if deploy else True,
        enabled=bool(deploy and deploy.enabled),
    )
    return {**decision.to_json(), "baseline_source": source, "baseline_value": baseline_value}


def resolve_baseline(spec: TuningSpec, metric: str) -> tuple[float | None, str | None]:
    baseline = spec.baseline
    if baseline is None:
        return None, None
    if baseline.value is not None:
        return float(baseline.value), "value"
    if baseline.training_job:
        job = sagemaker.describe_training_job(baseline.training_job)
        for item in job.get("FinalMetricDataList", []):
            if item.get("MetricName") == metric:
                return float(item["Value"]), "training_job"
        raise BaselineUnavailable(f"baseline training job {baseline.training_job} has no final {metric}")
    return _serving_model_objective(spec.deploy.endpoint_name, metric)


def _serving_model_objective(endpoint_name: str, metric: str) -> tuple[float | None, str | None]:
    endpoint = sagemaker.describe_endpoint(endpoint_name)
    if endpoint is None:  # nothing serves yet: the first deploy needs no baseline
        return None, "endpoint"
    config = sagemaker.describe_endpoint_config(endpoint["EndpointConfigName"])
    model_name = config["ProductionVariants"][0]["ModelName"]
    account = endpoint["EndpointArn"].split(":")[4]
    tags = sagemaker.tags_of(sagemaker.model_arn_for(model_name, settings.region, account))
    if tags.get(METRIC_TAG) != metric or OBJECTIVE_TAG not in tags:
        raise BaselineUnavailable(
            f"endpoint {endpoint_name} serves model {model_name}, which carries no TunePilot {metric} tag; "
            "give baseline.value or baseline.training_job instead"
        )
    return float(tags[OBJECTIVE_TAG]), "endpoint"
