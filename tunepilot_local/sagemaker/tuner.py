"""A hyperparameter tuning job: an optuna study driving training jobs, with AMT's limits and criteria.

Choices where AMT leaves room (also listed in this package's README.md):
- An early-stopped job ends Stopped and still counts with its last objective value.
- A job whose objective never matched has ObjectiveStatus Failed and never becomes best; if no job
  yields the objective, the tuning job ends Completed without BestTrainingJob, unless every training
  job failed outright, in which case it ends Failed.
- ResourceLimits.MaxRuntimeInSeconds (compared with scaled time) stops running jobs; the tuning job
  ends Completed. ConvergenceDetected: converged when, after 10 jobs with an objective, the last 5
  improved the best by less than 0.1 %.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import optuna

from tunepilot_local.sagemaker.search_space import SearchSpace
from tunepilot_local.sagemaker.state import (
    add_tuning_fields,
    emit_training_created,
    new_training_job,
    set_tuning_status,
    training_job_name,
)
from tunepilot_local.sagemaker.strategies import build_study, grid_size, prunes
from tunepilot_local.sagemaker.training import TrainingJobRun

if TYPE_CHECKING:
    from tunepilot_local.sagemaker.host import Host

CONVERGENCE_MIN_JOBS = 10
CONVERGENCE_WINDOW = 5
CONVERGENCE_TOLERANCE = 1e-3


class TuningRun:
    def __init__(self, host: Host, backend: Any, job: Any) -> None:
        self.host = host
        self.backend = backend
        self.job = job
        self.config: dict[str, Any] = job.hyper_parameter_tuning_job_config or {}
        definitions = job.training_job_definitions or []
        self.definition: dict[str, Any] = job.training_job_definition or (definitions[0] if definitions else {})
        objective = self.config.get("HyperParameterTuningJobObjective") or self.definition.get("TuningObjective") or {}
        self.metric: str = objective.get("MetricName", "")
        self.maximize = objective.get("Type", "Maximize") == "Maximize"
        self.space = SearchSpace.from_ranges(
            self.config.get("ParameterRanges") or self.definition.get("HyperParameterRanges")
        )
        limits = self.config.get("ResourceLimits") or {}
        self.max_jobs = int(limits.get("MaxNumberOfTrainingJobs") or 0)
        if self.config.get("Strategy") == "Grid":
            size = grid_size(self.space)
            self.max_jobs = min(self.max_jobs, size) if self.max_jobs else size
        self.max_jobs = self.max_jobs or 1
        self.parallel = max(1, min(int(limits.get("MaxParallelTrainingJobs") or 1), host.max_parallel))
        self.max_runtime = limits.get("MaxRuntimeInSeconds")
        self.criteria: dict[str, Any] = self.config.get("TuningJobCompletionCriteria") or {}
        self.runs: list[TrainingJobRun] = []
        self.trials: dict[str, optuna.trial.Trial] = {}
        self.best: TrainingJobRun | None = None
        self.not_improving = 0
        self.best_history: list[float] = []
        self.stop_requested = False
        self.converged_at: datetime | None = None
        self.started = time.monotonic()
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, name=f"tune-{job.hyper_parameter_tuning_job_name}",
                                       daemon=True)

    @property
    def name(self) -> str:
        return str(self.job.hyper_parameter_tuning_job_name)

    def start(self) -> None:
        with self.host.lock:
            job = self.job
            for definition in [job.training_job_definition, *(job.training_job_definitions or [])]:
                if definition:
                    objective = self.config.get("HyperParameterTuningJobObjective") or definition.get("TuningObjective")
                    add_tuning_fields(definition, (objective or {}).get("MetricName", self.metric))
            job.hyper_parameter_tuning_end_time = None
            job.best_training_job = None
            job.OverallBestTrainingJob = None
            job.tags = job.tags or []  # moto's ListTags fails on None
            job.failure_reason = None
            job.tuning_job_completion_details = {"NumberOfTrainingJobsObjectiveNotImproving": 0}
            job.consumed_resources = {"RuntimeInSeconds": 0}
            self.refresh_counters()
        set_tuning_status(self.host, self.job, "InProgress")
        self.thread.start()

    def stop(self) -> None:
        with self.cond:
            if self.stop_requested or self.job.hyper_parameter_tuning_job_status != "InProgress":
                return
            self.stop_requested = True
            self.cond.notify_all()
        set_tuning_status(self.host, self.job, "Stopping")
        for run in list(self.runs):
            run.stop()

    # -- the tuner's thread -----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self.study = build_study(self.config, self.space, self.maximize, self.max_jobs)
            self._warm_start()
            reason = self._launch_loop()
            if reason in ("runtime",):
                for run in list(self.runs):
                    run.stop()
            for run in list(self.runs):
                run.thread.join()
            self._finalize()
        except Exception as error:  # a bad config must end the job Failed with a reason, not kill a thread
            for run in list(self.runs):
                run.stop()
            set_tuning_status(self.host, self.job, "Failed", f"ClientError: {error}")

    def _launch_loop(self) -> str:
        index = 0
        while True:
            with self.cond:
                while self._running() >= self.parallel and not self.stop_requested and not self._runtime_exceeded():
                    self.cond.wait(0.25)
                reason = self._done_reason(index)
            if reason:
                return reason
            index += 1
            self._launch(index)

    def _done_reason(self, launched: int) -> str | None:
        if self.stop_requested:
            return "stopped"
        if self._runtime_exceeded():
            return "runtime"
        if launched >= self.max_jobs:
            return "max-jobs"
        target = self.criteria.get("TargetObjectiveMetricValue")
        if target is not None and self.best is not None and self.best.objective_value is not None:
            value = self.best.objective_value
            if (value >= float(target)) if self.maximize else (value <= float(target)):
                return "target"
        patience = (self.criteria.get("BestObjectiveNotImproving") or {}).get("MaxNumberOfTrainingJobsNotImproving")
        if patience and self.not_improving >= int(patience):
            return "not-improving"
        if (self.criteria.get("ConvergenceDetected") or {}).get("CompleteOnConvergence") == "Enabled":
            history = self.best_history
            if len(history) >= CONVERGENCE_MIN_JOBS:
                old, new = history[-CONVERGENCE_WINDOW], history[-1]
                if abs(new - old) <= CONVERGENCE_TOLERANCE * max(abs(old), 1e-12):
                    self.converged_at = self.host.now()
                    return "converged"
        return None

    def _runtime_exceeded(self) -> bool:
        return self.max_runtime is not None and self._scaled_elapsed() >= float(self.max_runtime)

    def _scaled_elapsed(self) -> int:
        return round((time.monotonic() - self.started) * self.host.time_scale)

    def _running(self) -> int:
        return sum(1 for run in self.runs if run.thread.is_alive() or not run.thread.ident)

    def _launch(self, index: int) -> None:
        # Held throughout (nothing here blocks on I/O): stop() either sees this run or we see its flag.
        with self.cond:
            if self.stop_requested:
                return
            trial = self.study.ask(self.space.distributions)
            static = dict(self.definition.get("StaticHyperParameters") or {})
            hyperparameters = {**static, **self.space.to_hyperparameters(trial.params)}
            name = training_job_name(self.name, index)
            job = new_training_job(self.host, self.backend, name, self.definition, hyperparameters,
                                   tuning_job_arn=self.job.arn, tags=self.job.tags)
            use_pruner = prunes(self.config)

            def report(step: int, value: float) -> bool:
                if not use_pruner:
                    return False
                trial.report(value, step)
                return bool(trial.should_prune())

            run = TrainingJobRun(self.host, job, objective=self.metric, reporter=report,
                                 on_finished=self._finished)
            self.runs.append(run)
            self.trials[name] = trial
            self.host.register_training(run)
            with self.host.lock:
                self.refresh_counters()
            emit_training_created(self.host, job)
            run.start()

    def _finished(self, run: TrainingJobRun) -> None:
        trial = self.trials[run.name]
        value = run.objective_value
        if value is None or run.job.training_job_status == "Failed":
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        elif run.stop_reason == "EarlyStopped":
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            self.study.tell(trial, value)
        with self.cond:
            if value is not None and run.job.training_job_status in ("Completed", "Stopped"):
                if self.best is None or self._better(value, self.best.objective_value):
                    self.best = run
                    self.not_improving = 0
                else:
                    self.not_improving += 1
                assert self.best.objective_value is not None
                self.best_history.append(self.best.objective_value)
            with self.host.lock:
                self.refresh_counters()
            self.cond.notify_all()

    def _better(self, value: float, than: float | None) -> bool:
        if than is None:
            return True
        return value > than if self.maximize else value < than

    def refresh_counters(self) -> None:
        """Counters, best job and completion details from the runs (caller holds the host's lock)."""
        counts = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
        objectives = {"Succeeded": 0, "Pending": 0, "Failed": 0}
        for run in self.runs:
            status = run.job.training_job_status
            key = "NonRetryableError" if status == "Failed" else "InProgress" if status == "Stopping" else status
            counts[key] = counts.get(key, 0) + 1
            if status in ("InProgress", "Stopping"):
                objectives["Pending"] += 1
            elif run.objective_value is not None and status != "Failed":
                objectives["Succeeded"] += 1
            else:
                objectives["Failed"] += 1
        job = self.job
        job.training_job_status_counters = counts
        job.objective_status_counters = objectives
        job.best_training_job = self._summary(self.best) if self.best else None
        job.OverallBestTrainingJob = self._overall_best(job.best_training_job)
        details: dict[str, Any] = {"NumberOfTrainingJobsObjectiveNotImproving": self.not_improving}
        if self.converged_at:
            details["ConvergenceDetectedTime"] = self.converged_at
        job.tuning_job_completion_details = details
        job.consumed_resources = {"RuntimeInSeconds": self._scaled_elapsed()}
        job.last_modified_time = self.host.now()

    def _summary(self, run: TrainingJobRun) -> dict[str, Any]:
        job = run.job
        tuned = {k: v for k, v in (job.hyper_parameters or {}).items()
                 if k in {n.split("#")[0] for n in self.space.distributions}}
        summary: dict[str, Any] = {
            "TrainingJobName": job.training_job_name,
            "TrainingJobArn": job.arn,
            "TuningJobName": self.name,
            "CreationTime": job.creation_time,
            "TrainingStartTime": job.training_start_time,
            "TrainingEndTime": job.training_end_time,
            "TrainingJobStatus": job.training_job_status,
            "TunedHyperParameters": tuned,
        }
        if job.failure_reason:
            summary["FailureReason"] = job.failure_reason
        status = job.training_job_status
        if status in ("InProgress", "Stopping"):
            summary["ObjectiveStatus"] = "Pending"
        elif run.objective_value is not None and status != "Failed":
            summary["ObjectiveStatus"] = "Succeeded"
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": "Maximize" if self.maximize else "Minimize",
                "MetricName": self.metric,
                "Value": run.objective_value,
            }
        else:
            summary["ObjectiveStatus"] = "Failed"
        return {k: v for k, v in summary.items() if v is not None}

    def _overall_best(self, own: dict[str, Any] | None) -> dict[str, Any] | None:
        """A warm-start job's best across itself and its parents (AWS sets it on warm-start jobs only)."""
        parents = (self.job.warm_start_config or {}).get("ParentHyperParameterTuningJobs") or []
        if not parents:
            return None
        candidates = [own] if own else []
        for parent in parents:
            parent_job = self.backend.hyper_parameter_tuning_jobs.get(parent.get("HyperParameterTuningJobName"))
            if parent_job is not None:
                candidates.append(getattr(parent_job, "OverallBestTrainingJob", None) or parent_job.best_training_job)
        scored = [c for c in candidates if c and "FinalHyperParameterTuningJobObjectiveMetric" in c]
        if not scored:
            return None
        sign = 1 if self.maximize else -1
        return max(scored, key=lambda c: sign * float(c["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]))

    def _warm_start(self) -> None:
        parents = (self.job.warm_start_config or {}).get("ParentHyperParameterTuningJobs") or []
        for parent in parents:
            parent_job = self.backend.hyper_parameter_tuning_jobs.get(parent.get("HyperParameterTuningJobName"))
            if parent_job is None:
                continue
            for job in list(self.backend.training_jobs.values()):
                if getattr(job, "tuning_job_arn", None) != parent_job.arn or job.training_job_status != "Completed":
                    continue
                value = next((m["Value"] for m in job.final_metric_data_list if m["MetricName"] == self.metric), None)
                params = self.space.from_hyperparameters(dict(job.hyper_parameters or {}))
                if value is None or params is None:
                    continue
                self.study.add_trial(
                    optuna.trial.create_trial(params=params, distributions=self.space.distributions, value=value)
                )

    def _finalize(self) -> None:
        with self.host.lock:
            self.refresh_counters()
        if self.stop_requested:
            set_tuning_status(self.host, self.job, "Stopped")
            return
        if self.runs and all(run.job.training_job_status == "Failed" for run in self.runs):
            reasons = {run.job.failure_reason for run in self.runs if run.job.failure_reason}
            set_tuning_status(self.host, self.job, "Failed",
                              f"All training jobs failed. First reason: {sorted(reasons)[0] if reasons else 'unknown'}")
            return
        set_tuning_status(self.host, self.job, "Completed")

    def summaries(self) -> list[dict[str, Any]]:
        with self.cond:
            runs = list(self.runs)
        return [self._summary(run) for run in runs]
