"""The trials of a tuning job as typed models, read from SageMaker's own response shapes. Pure.

One :class:`Trial` per training job: what ``ListTrainingJobsForHyperParameterTuningJob`` says about it
(tuned hyperparameters, final objective, status, times) merged with what ``DescribeTrainingJob`` adds
(every metric in ``FinalMetricDataList``, billable seconds, instance type and count). Cost comes from the
same job-cost function the budget ledger uses, so the analysis and the ledger agree to the cent.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tunepilot.pricing import hourly_price, job_cost

RangeKind = Literal["integer", "continuous", "categorical"]
Scaling = Literal["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"]
_RANGE_KINDS: dict[str, RangeKind] = {
    "IntegerParameterRanges": "integer",
    "ContinuousParameterRanges": "continuous",
    "CategoricalParameterRanges": "categorical",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ObjectiveSpec(_Frozen):
    metric: str
    type: Literal["Maximize", "Minimize"]

    @property
    def sign(self) -> float:
        """+1 when larger is better: ``sign * value`` is always "larger is better"."""
        return 1.0 if self.type == "Maximize" else -1.0


class ParamRange(_Frozen):
    """One tuned hyperparameter as AMT describes it (``HyperParameterTuningJobConfig.ParameterRanges``)."""

    name: str
    kind: RangeKind
    min: float | None = None
    max: float | None = None
    scaling: Scaling = "Auto"
    values: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind != "categorical"


class Trial(_Frozen):
    """One training job of a tuning job."""

    name: str
    index: int = Field(ge=1, description="1-based position in launch order")
    status: str
    hyperparameters: dict[str, str] = Field(default_factory=dict)
    objective: float | None = None
    objective_status: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    failure_reason: str | None = None
    created: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    billable_seconds: float | None = None
    instance_type: str | None = None
    instance_count: int = 1
    cost_usd: float | None = None
    cost_estimated: bool = False
    definition_name: str | None = None

    @property
    def scored(self) -> bool:
        """Reported a finite objective (Completed, or Stopped early by AMT with a value)."""
        return self.objective is not None and math.isfinite(self.objective)

    @property
    def elapsed_seconds(self) -> float | None:
        if self.start and self.end:
            return (self.end - self.start).total_seconds()
        return None


class TuningJob(_Frozen):
    """A tuning job and its trials: everything the analysis reads."""

    name: str
    status: str | None = None
    objective: ObjectiveSpec
    strategy: str | None = None
    ranges: tuple[ParamRange, ...] = ()
    static_hyperparameters: dict[str, str] = Field(default_factory=dict)
    metric_definitions: tuple[tuple[str, str], ...] = ()  # (name, regex)
    created: datetime | None = None
    ended: datetime | None = None
    trials: tuple[Trial, ...] = ()
    notes: tuple[str, ...] = ()  # what the collector could not read (e.g. describes left out at the deadline)

    def range(self, name: str) -> ParamRange | None:
        return next((r for r in self.ranges if r.name == name), None)


# ---------------------------------------------------------------------------------- from AWS shapes
def ranges_from_describe(describe: Mapping[str, Any]) -> tuple[ParamRange, ...]:
    """``ParamRange`` per tuned hyperparameter, in the order AMT lists them."""
    config = describe.get("HyperParameterTuningJobConfig") or {}
    out: list[ParamRange] = []
    for key, kind in _RANGE_KINDS.items():
        for item in (config.get("ParameterRanges") or {}).get(key) or []:
            if kind == "categorical":
                out.append(ParamRange(name=item["Name"], kind=kind, values=tuple(str(v) for v in item["Values"])))
            else:
                out.append(ParamRange(name=item["Name"], kind=kind, min=float(item["MinValue"]),
                                      max=float(item["MaxValue"]), scaling=item.get("ScalingType") or "Auto"))
    return tuple(out)


def tuning_job_from_describe(describe: Mapping[str, Any], trials: Sequence[Trial] = (),
                             notes: Sequence[str] = ()) -> TuningJob:
    config = describe.get("HyperParameterTuningJobConfig") or {}
    objective = config.get("HyperParameterTuningJobObjective") or {}
    definition = describe.get("TrainingJobDefinition") or {}
    algorithm = definition.get("AlgorithmSpecification") or {}
    return TuningJob(
        name=describe["HyperParameterTuningJobName"],
        status=describe.get("HyperParameterTuningJobStatus"),
        objective=ObjectiveSpec(metric=objective.get("MetricName", "objective"),
                                type=objective.get("Type", "Maximize")),
        strategy=config.get("Strategy"),
        ranges=ranges_from_describe(describe),
        static_hyperparameters=dict(definition.get("StaticHyperParameters") or {}),
        metric_definitions=tuple((d["Name"], d["Regex"]) for d in algorithm.get("MetricDefinitions") or []),
        created=describe.get("CreationTime"),
        ended=describe.get("HyperParameterTuningEndTime"),
        trials=tuple(trials),
        notes=tuple(notes),
    )


def trial_from_aws(
    index: int,
    summary: Mapping[str, Any],
    described: Mapping[str, Any] | None,
    *,
    prices: Mapping[str, float] | None = None,
    default_instance: tuple[str | None, int] = (None, 1),
) -> Trial:
    """Merge a ``TrainingJobSummaries`` item with its ``DescribeTrainingJob`` response (None if not read).

    Without a describe, billable seconds are estimated from the start and end times (and flagged).
    """
    described = described or {}
    objective = (summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get("Value")
    resources = described.get("ResourceConfig") or {}
    instance_type = resources.get("InstanceType") or default_instance[0]
    count = int(resources.get("InstanceCount") or default_instance[1] or 1)
    start, end = summary.get("TrainingStartTime"), summary.get("TrainingEndTime")
    billable = described.get("BillableTimeInSeconds")
    estimated = billable is None and bool(start and end)
    if billable is None and start and end:
        billable = max((end - start).total_seconds(), 0.0)
    price = hourly_price(instance_type, prices) if instance_type else None
    cost = job_cost(float(billable), price, count) if billable is not None and price is not None else None
    return Trial(
        name=summary["TrainingJobName"],
        index=index,
        status=summary.get("TrainingJobStatus") or described.get("TrainingJobStatus") or "Unknown",
        hyperparameters={k: str(v) for k, v in (summary.get("TunedHyperParameters") or {}).items()},
        objective=float(objective) if objective is not None else None,
        objective_status=summary.get("ObjectiveStatus"),
        metrics={m["MetricName"]: float(m["Value"]) for m in described.get("FinalMetricDataList") or []
                 if "MetricName" in m and "Value" in m},
        failure_reason=summary.get("FailureReason") or described.get("FailureReason"),
        created=summary.get("CreationTime"),
        start=start,
        end=end,
        billable_seconds=float(billable) if billable is not None else None,
        instance_type=instance_type,
        instance_count=count,
        cost_usd=cost,
        cost_estimated=estimated,
        definition_name=summary.get("TrainingJobDefinitionName"),
    )


def launch_order(summaries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Summaries in the order AMT launched them: creation time, then name (``<tuning>-NNN-<hex>``)."""
    return sorted(summaries, key=lambda s: (s.get("CreationTime") or datetime.max, s["TrainingJobName"]))


# ---------------------------------------------------------------------------------- trials.csv
SDK_COLUMNS = ("TrainingJobName", "TrainingJobStatus", "FinalObjectiveValue", "TrainingStartTime", "TrainingEndTime",
               "TrainingElapsedTimeSeconds")


def csv_columns(job: TuningJob) -> list[str]:
    """The SDK's ``HyperparameterTuningJobAnalytics.dataframe()`` columns, then billing and cost.

    The SDK builds a DataFrame from one dict per job, so its hyperparameter columns come in the order
    ``TunedHyperParameters`` first lists them; ranges no job reported come last.
    """
    names: list[str] = []
    for trial in job.trials:
        names += [k for k in trial.hyperparameters if k not in names]
    names += [r.name for r in job.ranges if r.name not in names]
    columns = names + list(SDK_COLUMNS)
    if any(t.definition_name for t in job.trials):
        columns.append("TrainingJobDefinitionName")
    return [*columns, "BillableTimeInSeconds", "cost_usd"]


def trials_csv(job: TuningJob) -> str:
    """``trials.csv``: one row per training job, like the SDK dataframe's ``to_csv(index=False)``."""
    buffer = io.StringIO()
    columns = csv_columns(job)
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for trial in job.trials:
        row: dict[str, Any] = {k: _sdk_value(v) for k, v in trial.hyperparameters.items()}
        row.update({
            "TrainingJobName": trial.name,
            "TrainingJobStatus": trial.status,
            "FinalObjectiveValue": trial.objective,
            "TrainingStartTime": trial.start,
            "TrainingEndTime": trial.end,
            "TrainingElapsedTimeSeconds": trial.elapsed_seconds,
            "BillableTimeInSeconds": trial.billable_seconds,
            "cost_usd": None if trial.cost_usd is None else round(trial.cost_usd, 8),
        })
        if "TrainingJobDefinitionName" in columns:
            row["TrainingJobDefinitionName"] = trial.definition_name
        writer.writerow({k: "" if v is None else v for k, v in row.items() if k in columns})
    return buffer.getvalue()


def _sdk_value(text: str) -> Any:
    """The SDK turns every tuned value it can into a float ("bokeh gets confused with ints")."""
    try:
        return float(text)
    except ValueError:
        return text


def hyperparameter_value(text: str) -> str | int | float | bool:
    """A tuned value as a spec scalar: numbers as numbers, JSON-encoded strings (script mode) decoded."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, bool | int | float | str):
        return value if not (isinstance(value, float) and not math.isfinite(value)) else text
    return text
