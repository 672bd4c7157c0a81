"""ValidateSpec: read the dropped spec (bounded), validate it, record the run. Never touches specs/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from tunepilot.aws import s3
from tunepilot.exceptions import SpecInvalid
from tunepilot.execution import RunClaim
from tunepilot.pricing import hourly_price
from tunepilot.runid import run_id_for, tuning_job_name
from tunepilot.spec.load import validate_bytes
from tunepilot.usecases.context import now, run_key, settings, store
from tunepilot.usecases.endpoints import foreign_endpoint_problem

logger = Logger(child=True)
_MAX_PROBLEMS_IN_ERROR = 20


@dataclass(frozen=True)
class SpecObject:
    bucket: str
    key: str
    version_id: str | None
    etag: str | None


def validate_spec(obj: SpecObject, execution_arn: str) -> RunClaim:
    run_id = run_id_for(obj.bucket, obj.key, obj.version_id or obj.etag)
    claimed, existing = store().claim_run(
        run_id, execution_arn, obj.key, {"status": "VALIDATING", "created_at": now()}
    )
    if not claimed:
        logger.info("duplicate delivery", extra={"run_id": run_id, "owner": existing.execution_arn})
        return RunClaim(run_id=run_id, duplicate=True)

    data, size = s3.read_bounded(obj.bucket, obj.key, obj.version_id, settings.max_spec_bytes)
    result = validate_bytes(
        data, filename=obj.key, allowed_roles=settings.allowed_role_arns, max_bytes=settings.max_spec_bytes,
        allow=settings.allow_list,
        size=size,
    )
    target = result.spec.deploy if result.spec else None
    if target and target.enabled and target.endpoint_name:  # before any spend: is the endpoint ours to replace?
        problem = foreign_endpoint_problem(target.endpoint_name)
        if problem:
            result.add_error("deploy.endpoint_name", problem)
    report = {"spec": f"s3://{obj.bucket}/{obj.key}", "version_id": obj.version_id, **result.to_json()}
    report_uri = s3.put_json(settings.bucket, run_key(run_id, "validation.json"), report)
    if not result.valid or result.spec is None:
        store().update_run(run_id, status="INVALID")
        raise SpecInvalid(_describe_problems(obj.key, result.errors, report_uri))

    spec = result.spec
    s3.put_json(settings.bucket, run_key(run_id, "spec.json"), spec.normalized())
    resources, budget = spec.resources, spec.budget
    store().update_run(
        run_id,
        status="VALIDATED",
        tuning_job_name=tuning_job_name(run_id, spec.name),
        objective_metric=spec.objective.metric,
        metric_definitions=spec.metric_definitions(),
        on_metric_mismatch=spec.on_metric_mismatch,
        usd_per_hour=hourly_price(resources.instance_type, budget.prices if budget else None),
        instance_count=resources.instance_count,
        max_cost_usd=budget.max_cost_usd if budget else None,
        policy=budget.policy if budget else "hard",
        max_wall_clock_s=budget.max_wall_clock if budget else None,
        max_training_jobs=budget.max_training_jobs if budget else None,
        endpoint_name=spec.deploy.endpoint_name if spec.deploy else None,
    )
    return RunClaim(
        run_id=run_id,
        duplicate=False,
        spec_key=obj.key,
        warnings=[w.message for w in result.warnings][:_MAX_PROBLEMS_IN_ERROR],
    )


def _describe_problems(key: str, errors: list[Any], report_uri: str) -> str:
    lines = [f"{key}: {len(errors)} problem(s); full report: {report_uri}"]
    for problem in errors[:_MAX_PROBLEMS_IN_ERROR]:
        lines.append(f"- {problem.describe(whole_file='')}")
    if len(errors) > _MAX_PROBLEMS_IN_ERROR:
        lines.append(f"... and {len(errors) - _MAX_PROBLEMS_IN_ERROR} more in validation.json")
    return "\n".join(lines)
