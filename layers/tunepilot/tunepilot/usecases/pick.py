"""PickBest: the tuning job's best training job, or the best completed one found by listing."""

from __future__ import annotations

import math
from typing import Any

from tunepilot.aws import sagemaker
from tunepilot.exceptions import NoSuccessfulTrainingJobs
from tunepilot.execution import BestJob, TrainingJobCounts
from tunepilot.usecases.context import store


def pick_best(run_id: str, tuning_job_name: str) -> BestJob:
    tuning = sagemaker.describe_tuning_job(tuning_job_name)
    objective = tuning["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]
    metric, direction = objective["MetricName"], objective["Type"]
    counters = tuning.get("TrainingJobStatusCounters", {})
    best = tuning.get("BestTrainingJob") or _best_by_listing(tuning_job_name, direction)
    if not best or "FinalHyperParameterTuningJobObjectiveMetric" not in best:
        raise NoSuccessfulTrainingJobs(
            f"tuning job {tuning_job_name} ended {tuning.get('HyperParameterTuningJobStatus')} with no training "
            f"job that reported {metric} (completed {counters.get('Completed', 0)}, "
            f"failed {counters.get('NonRetryableError', 0) + counters.get('RetryableError', 0)}, "
            f"stopped {counters.get('Stopped', 0)}); check the metric regex with `tunepilot diagnose-log`"
        )
    job = sagemaker.describe_training_job(best["TrainingJobName"])
    value = float(best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    result = BestJob(
        name=best["TrainingJobName"],
        objective_metric=metric,
        objective_type=direction,
        objective_value=value,
        hyperparameters=best.get("TunedHyperParameters", {}),
        model_artifact=job.get("ModelArtifacts", {}).get("S3ModelArtifacts"),
        image=job.get("AlgorithmSpecification", {}).get("TrainingImage"),
        tuning_status=tuning.get("HyperParameterTuningJobStatus"),
        training_jobs=TrainingJobCounts(
            completed=counters.get("Completed", 0),
            failed=counters.get("NonRetryableError", 0) + counters.get("RetryableError", 0),
            stopped=counters.get("Stopped", 0),
            total=sum(int(v) for v in counters.values()),
        ),
    )
    store().update_run(run_id, status="PICKED")
    return result


def _best_by_listing(tuning_job_name: str, direction: str) -> dict[str, Any] | None:
    candidates = [
        job
        for job in sagemaker.training_jobs_of(tuning_job_name)
        if job.get("TrainingJobStatus") in {"Completed", "Stopped"}
        and job.get("ObjectiveStatus", "Succeeded") == "Succeeded"
        and "FinalHyperParameterTuningJobObjectiveMetric" in job
        and math.isfinite(float(job["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]))
    ]
    if not candidates:
        return None
    sign = 1.0 if direction == "Maximize" else -1.0
    return max(candidates, key=lambda j: sign * float(j["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]))
