"""Deploy: model from the best job, a new endpoint config, then create or update the endpoint."""

from __future__ import annotations

from tunepilot.aws import sagemaker
from tunepilot.exceptions import DeployFailed, EndpointNotManaged
from tunepilot.execution import BestJob, Deployment
from tunepilot.usecases.context import store
from tunepilot.usecases.endpoints import foreign_endpoint_problem, stack_tags
from tunepilot.usecases.improvement import METRIC_TAG, OBJECTIVE_TAG, RUN_TAG
from tunepilot.usecases.start import load_spec

_BUSY = {"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"}


def deploy(run_id: str, best: BestJob) -> Deployment:
    spec = load_spec(run_id)
    target = spec.deploy
    _refuse_foreign(target.endpoint_name)  # validated before tuning; the name may have been taken since
    run = store().get_run(run_id)
    # Names derive from the run, so a retried Deploy reuses what the first attempt created.
    base = (run.tuning_job_name if run else None) or best.name
    model_name, config_name = f"{base}-model", f"{base}-config"
    tags = [
        {"Key": RUN_TAG, "Value": run_id},
        {"Key": METRIC_TAG, "Value": best.objective_metric},
        {"Key": OBJECTIVE_TAG, "Value": repr(best.objective_value)},
        {"Key": "tunepilot:training-job", "Value": best.name},
        *({"Key": k, "Value": v} for k, v in stack_tags().items()),
    ]
    sagemaker.create_if_absent(
        "model",
        ModelName=model_name,
        PrimaryContainer={"Image": best.image, "ModelDataUrl": best.model_artifact},
        ExecutionRoleArn=spec.role_arn,
        Tags=tags,
    )
    sagemaker.create_if_absent(
        "endpoint_config",
        EndpointConfigName=config_name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model_name,
                "InstanceType": target.instance_type,
                "InitialInstanceCount": target.instance_count,
            }
        ],
        Tags=tags,
    )
    endpoint = sagemaker.describe_endpoint(target.endpoint_name)
    previous = endpoint.get("EndpointConfigName") if endpoint else None
    store().update_run(run_id, status="DEPLOYING", endpoint_name=target.endpoint_name,
                       endpoint_config_name=config_name)
    if endpoint is None and sagemaker.create_endpoint(target.endpoint_name, config_name, tags):
        action = "created"
    elif endpoint is None:  # created since we looked: by a duplicate Deploy of this run, or by somebody else
        _refuse_foreign(target.endpoint_name)
        if (sagemaker.describe_endpoint(target.endpoint_name) or {}).get("EndpointConfigName") != config_name:
            raise DeployFailed(f"endpoint {target.endpoint_name} was created by another run while deploying")
        action = "created"
    elif previous == config_name:
        action = "unchanged"  # a retried Deploy whose update already went through
    elif endpoint.get("EndpointStatus") in _BUSY:
        raise DeployFailed(f"endpoint {target.endpoint_name} is {endpoint['EndpointStatus']}; not updating it now")
    else:
        sagemaker.update_endpoint(target.endpoint_name, config_name)
        action = "updated"
    return Deployment(
        endpoint_name=target.endpoint_name,
        endpoint_config_name=config_name,
        previous_endpoint_config=previous,
        model_name=model_name,
        action=action,
    )


def _refuse_foreign(endpoint_name: str) -> None:
    problem = foreign_endpoint_problem(endpoint_name)
    if problem:
        raise EndpointNotManaged(problem)
