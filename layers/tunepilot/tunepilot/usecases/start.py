"""StartTuning: create the tuning job, idempotently (the name derives from the run id)."""

from __future__ import annotations

from tunepilot.aws import s3, sagemaker
from tunepilot.compile.request import RUN_TAG_KEY, compile_request
from tunepilot.exceptions import TuningJobConflict
from tunepilot.execution import TuningStarted
from tunepilot.runid import tuning_job_name
from tunepilot.spec.models import TuningSpec
from tunepilot.usecases.context import now, run_key, settings, store
from tunepilot.usecases.endpoints import stack_tags


def load_spec(run_id: str) -> TuningSpec:
    return TuningSpec.model_validate(s3.get_json(settings.bucket, run_key(run_id, "spec.json")))


def start_tuning(run_id: str) -> TuningStarted:
    spec = load_spec(run_id)
    name = tuning_job_name(run_id, spec.name)
    request = compile_request(
        spec, tuning_job_name=name, run_id=run_id, region=settings.region, extra_tags=stack_tags()
    )
    created = sagemaker.create_tuning_job(request)
    job = sagemaker.describe_tuning_job(name)
    if not created:  # a retry, or a name clash with somebody else's job
        tags = sagemaker.tags_of(job["HyperParameterTuningJobArn"])
        if tags.get(RUN_TAG_KEY) != run_id:
            raise TuningJobConflict(f"tuning job {name} exists and does not belong to run {run_id}")
    store().link_tuning_job(name, run_id)
    store().update_run(run_id, status="TUNING", tuning_job_name=name, tuning_started_at=now())
    return TuningStarted(tuning_job_name=name, tuning_job_arn=job["HyperParameterTuningJobArn"], created=created)
