"""Hooks into moto 5.2.5's SageMaker and SageMaker Runtime (pinned: these are moto internals).

Class-level patches, so they apply to every backend of the in-process server. When no platform is
active the wrapped methods behave like moto's own; the APIs moto lacks raise a clear error instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moto.core.responses import ActionContext, ActionResult, EmptyResult
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import FakeTrainingJob, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from tunepilot_local.patching import ActivePatch
from tunepilot_local.sagemaker.shapes import omit_empty_structures

if TYPE_CHECKING:
    from tunepilot_local.sagemaker.platform import Platform

_patch: ActivePatch[Platform] = ActivePatch()  # the platform serving this process
_originals = _patch.originals


def active() -> Platform | None:
    return _patch.active


def _require() -> Platform:
    platform = active()
    if platform is None:
        raise ValidationError(message="The local SageMaker platform is not running")
    return platform


def _no_tuning_job(name: str) -> ResourceNotFound:
    return ResourceNotFound(message=f"Amazon SageMaker can't find a tuning job named {name}")


# -- backend -------------------------------------------------------------------------------------------
def _create_hyper_parameter_tuning_job(self: SageMakerModelBackend, **kwargs: Any) -> str:
    platform = active()
    if platform is None:
        return str(_originals["create_hyper_parameter_tuning_job"](self, **kwargs))
    name = kwargs["hyper_parameter_tuning_job_name"]
    with platform.quotas.lock:  # the name check, the quota check and the creation are one step, as on AWS
        if name in self.hyper_parameter_tuning_jobs:  # moto would replace the job (and train it twice)
            raise ResourceInUseException(message=f"Hyperparameter tuning job with name {name} already exists")
        platform.quotas.check_tuning(self, kwargs.get("hyper_parameter_tuning_job_config") or {})
        arn: str = _originals["create_hyper_parameter_tuning_job"](self, **kwargs)
        platform.start_tuning(self, self.hyper_parameter_tuning_jobs[name])
    return arn


def _create_training_job(self: SageMakerModelBackend, **kwargs: Any) -> FakeTrainingJob:
    platform = active()
    if platform is None:
        return _originals["create_training_job"](self, **kwargs)  # type: ignore[no-any-return]
    with platform.quotas.lock:
        platform.quotas.check_training(self)
        return platform.start_training(self, kwargs)


def _create_endpoint(self: SageMakerModelBackend, **kwargs: Any) -> Any:
    endpoint = _originals["create_endpoint"](self, **kwargs)
    platform = active()
    if platform is not None:
        platform.endpoints.created(self, endpoint)
    return endpoint


def _stop_hyper_parameter_tuning_job(self: SageMakerModelBackend, hyper_parameter_tuning_job_name: str) -> None:
    if hyper_parameter_tuning_job_name not in self.hyper_parameter_tuning_jobs:
        raise _no_tuning_job(hyper_parameter_tuning_job_name)
    _require().stop_tuning(self.hyper_parameter_tuning_jobs[hyper_parameter_tuning_job_name])


def _stop_training_job(self: SageMakerModelBackend, training_job_name: str) -> None:
    if training_job_name not in self.training_jobs:
        raise ValidationError(message=f"Could not find training job '{training_job_name}'.")
    _require().stop_training(training_job_name)


def _list_training_jobs_for_tuning_job(
    self: SageMakerModelBackend, hyper_parameter_tuning_job_name: str, next_token: str | None,
    max_results: int | None, sort_by: str | None, sort_order: str | None, status_equals: str | None,
) -> dict[str, Any]:
    if hyper_parameter_tuning_job_name not in self.hyper_parameter_tuning_jobs:
        raise _no_tuning_job(hyper_parameter_tuning_job_name)
    summaries = _require().training_summaries(self.hyper_parameter_tuning_jobs[hyper_parameter_tuning_job_name])
    if status_equals:
        summaries = [s for s in summaries if s["TrainingJobStatus"] == status_equals]
    keys: dict[str, Callable[[dict[str, Any]], Any]] = {
        "Name": lambda s: s["TrainingJobName"],
        "CreationTime": lambda s: s["CreationTime"],
        "Status": lambda s: s["TrainingJobStatus"],
        "FinalObjectiveMetricValue": lambda s: s.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value"),
    }
    key = keys.get(sort_by or "CreationTime", keys["CreationTime"])
    with_key = [s for s in summaries if key(s) is not None]
    without = [s for s in summaries if key(s) is None]  # no objective yet: always listed last
    with_key.sort(key=key, reverse=(sort_order or "Descending") == "Descending")
    ordered = with_key + without
    start = int(next_token) if next_token and next_token.isdigit() else 0
    size = int(max_results or 100)
    page = ordered[start : start + size]
    more = start + size < len(ordered)
    return {"TrainingJobSummaries": page, "NextToken": str(start + size) if more else None}


def _update_endpoint(self: SageMakerModelBackend, endpoint_name: str, endpoint_config_name: str) -> str:
    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is None:
        raise ValidationError(message=f"Could not find endpoint \"{endpoint_name}\".")
    _require().endpoints.update(self, endpoint, endpoint_config_name)
    return str(endpoint.arn)


# -- responses ------------------------------------------------------------------------------------------
def _r_stop_tuning(self: SageMakerResponse) -> EmptyResult:
    self.sagemaker_backend.stop_hyper_parameter_tuning_job(self._get_param("HyperParameterTuningJobName"))  # type: ignore[attr-defined]
    return EmptyResult()


def _r_stop_training(self: SageMakerResponse) -> EmptyResult:
    self.sagemaker_backend.stop_training_job(self._get_param("TrainingJobName"))  # type: ignore[attr-defined]
    return EmptyResult()


def _r_list_for_tuning(self: SageMakerResponse) -> ActionResult:
    result = self.sagemaker_backend.list_training_jobs_for_hyper_parameter_tuning_job(  # type: ignore[attr-defined]
        hyper_parameter_tuning_job_name=self._get_param("HyperParameterTuningJobName"),
        next_token=self._get_param("NextToken"),
        max_results=self._get_param("MaxResults"),
        sort_by=self._get_param("SortBy"),
        sort_order=self._get_param("SortOrder"),
        status_equals=self._get_param("StatusEquals"),
    )
    return ActionResult(result)


def _r_update_endpoint(self: SageMakerResponse) -> ActionResult:
    arn = self.sagemaker_backend.update_endpoint(  # type: ignore[attr-defined]
        endpoint_name=self._get_param("EndpointName"), endpoint_config_name=self._get_param("EndpointConfigName")
    )
    return ActionResult({"EndpointArn": arn})


def _r_invoke_endpoint(self: SageMakerRuntimeResponse) -> tuple[int, dict[str, str], str]:
    platform = active()
    if platform is None:
        return _originals["invoke_endpoint"](self)  # type: ignore[no-any-return]
    endpoint_name = self.path.split("/")[2]
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[self.current_account][self.region]
    body = self.body if isinstance(self.body, bytes) else str(self.body).encode("utf-8")
    content_type = (self.headers.get("Content-Type") or "text/csv").split(";")[0].strip()
    if content_type != "text/csv":  # like the XGBoost container here: CSV only (no libsvm, protobuf, JSON)
        raise ValidationError(message=f"Content type {content_type} is not supported by this endpoint; use text/csv")
    result = platform.endpoints.predict(endpoint_name, body, backend)  # a ValidationError becomes a 400
    return 200, {"Content-Type": "text/csv; charset=utf-8", "x-Amzn-Invoked-Production-Variant": "AllTraffic"}, result


def _execute_result(self: ActionResult, context: ActionContext) -> Any:
    """SageMaker answers leave out what was never set, as AWS's do (moto answers ``VpcConfig: {}``)."""
    if active() is not None and context.service_model.service_name == "sagemaker" and isinstance(self.result, dict):
        self = ActionResult(omit_empty_structures(context.operation_model.output_shape, self.result))
    return _originals["execute_result"](self, context)


def apply() -> None:
    """Install the hooks once per process (idempotent)."""
    if _originals:
        return
    backend = SageMakerModelBackend
    for name in ("create_hyper_parameter_tuning_job", "create_training_job", "create_endpoint"):
        _originals[name] = getattr(backend, name)
    _originals["invoke_endpoint"] = SageMakerRuntimeResponse.invoke_endpoint
    _originals["execute_result"] = ActionResult.execute_result
    ActionResult.execute_result = _execute_result  # type: ignore[method-assign]
    backend.create_hyper_parameter_tuning_job = _create_hyper_parameter_tuning_job  # type: ignore[assignment]
    backend.create_training_job = _create_training_job  # type: ignore[assignment]
    backend.create_endpoint = _create_endpoint  # type: ignore[method-assign,assignment]
    backend.stop_hyper_parameter_tuning_job = _stop_hyper_parameter_tuning_job  # type: ignore[attr-defined]
    backend.stop_training_job = _stop_training_job  # type: ignore[attr-defined]
    backend.list_training_jobs_for_hyper_parameter_tuning_job = _list_training_jobs_for_tuning_job  # type: ignore[attr-defined]
    backend.update_endpoint = _update_endpoint  # type: ignore[attr-defined]
    SageMakerResponse.stop_hyper_parameter_tuning_job = _r_stop_tuning  # type: ignore[attr-defined]
    SageMakerResponse.stop_training_job = _r_stop_training  # type: ignore[attr-defined]
    SageMakerResponse.list_training_jobs_for_hyper_parameter_tuning_job = _r_list_for_tuning  # type: ignore[attr-defined]
    SageMakerResponse.update_endpoint = _r_update_endpoint  # type: ignore[attr-defined]
    SageMakerRuntimeResponse.invoke_endpoint = _r_invoke_endpoint  # type: ignore[method-assign]


def activate(platform: Platform) -> None:
    apply()
    _patch.activate(platform)


def deactivate(platform: Platform) -> None:
    _patch.deactivate(platform)
