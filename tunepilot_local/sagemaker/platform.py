"""The local SageMaker platform: `install()` it into a running moto server, `shutdown()` when done.

``time_scale`` multiplies measured time for everything SageMaker bills or limits: BillableTimeInSeconds
and TrainingTimeInSeconds, StoppingCondition.MaxRuntimeInSeconds and ResourceLimits.MaxRuntimeInSeconds
(e.g. 60 → a 2 s job bills 120 s, and a 60 s runtime limit fires after 1 s of wall time).
Parallelism is ``min(MaxParallelTrainingJobs, max_parallel or os.cpu_count())``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

from tunepilot_local.sagemaker import aws, patches
from tunepilot_local.sagemaker.endpoints import EndpointHost
from tunepilot_local.sagemaker.events import EventEmitter
from tunepilot_local.sagemaker.logs import FLUSH_SECONDS, LogStreamWriter, ensure_group
from tunepilot_local.sagemaker.state import emit_training_created, new_training_job
from tunepilot_local.sagemaker.training import TrainingJobRun
from tunepilot_local.sagemaker.tuner import TuningRun


class Platform:
    def __init__(
        self, *, endpoint_url: str, region: str, account: str, workdir: Path, max_parallel: int | None,
        time_scale: float,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account = account
        self.workdir = Path(workdir).resolve()  # children run elsewhere (cwd = their root): paths must be absolute
        self.jobs_dir = self.workdir / "jobs"  # one temporary /opt/ml-like root per running job
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.max_parallel = max(1, min(max_parallel or os.cpu_count() or 1, os.cpu_count() or 1))
        self.time_scale = float(time_scale)
        self.lock = threading.RLock()
        self.clients = aws.clients(endpoint_url, region)
        self.emitter = EventEmitter(self.clients.events)
        self.endpoints = EndpointHost(self)
        self.tunings: dict[str, TuningRun] = {}  # by tuning job ARN
        self.trainings: dict[str, TrainingJobRun] = {}  # by training job name
        self.processes: dict[int, str] = {}  # live training subprocess pid → job name
        self.log_writers: set[LogStreamWriter] = set()
        self.errors: list[str] = []
        self._closed = threading.Event()
        self._log_group_ready = False
        self._flusher = threading.Thread(target=self._flush_logs, name="sagemaker-logs", daemon=True)
        self._flusher.start()

    # -- called from the patched backend ----------------------------------------------------------
    def start_tuning(self, backend: Any, job: Any) -> None:
        self._ensure_log_group()
        run = TuningRun(self, backend, job)
        self.tunings[job.arn] = run
        run.start()

    def start_training(self, backend: Any, kwargs: dict[str, Any]) -> Any:
        """A standalone CreateTrainingJob: same runner, no tuner."""
        self._ensure_log_group()
        name = kwargs["training_job_name"]
        if name in backend.training_jobs:
            from moto.sagemaker.exceptions import ValidationError

            raise ValidationError(message=f"Training job {name} already exists")
        definition = {
            "AlgorithmSpecification": kwargs.get("algorithm_specification") or {},
            "RoleArn": kwargs.get("role_arn"),
            "InputDataConfig": kwargs.get("input_data_config") or [],
            "OutputDataConfig": kwargs.get("output_data_config") or {},
            "ResourceConfig": kwargs.get("resource_config") or {},
            "VpcConfig": kwargs.get("vpc_config") or {},
            "StoppingCondition": kwargs.get("stopping_condition") or {},
        }
        with self.lock:
            job = new_training_job(backend, name, definition, dict(kwargs.get("hyper_parameters") or {}),
                                   tags=kwargs.get("tags"))
        run = TrainingJobRun(self, job)
        self.trainings[name] = run
        emit_training_created(self, job)
        run.start()
        return job

    def stop_tuning(self, job: Any) -> None:
        run = self.tunings.get(job.arn)
        if run is not None:
            run.stop()

    def stop_training(self, name: str) -> None:
        run = self.trainings.get(name)
        if run is not None:
            run.stop()

    def training_summaries(self, job: Any) -> list[dict[str, Any]]:
        run = self.tunings.get(job.arn)
        return run.summaries() if run else []

    def notify_tuning(self, training_job: Any) -> None:
        run = self.tunings.get(getattr(training_job, "tuning_job_arn", None) or "")
        if run is not None:
            with self.lock:
                run._refresh_counters()

    # -- lifecycle --------------------------------------------------------------------------------
    def _threads(self) -> list[threading.Thread]:
        # list() first: other threads add entries while we look
        runs: list[TuningRun | TrainingJobRun] = [*list(self.tunings.values()), *list(self.trainings.values())]
        return [run.thread for run in runs] + list(self.endpoints.threads)

    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads()) or not self.emitter.idle() or bool(self.processes)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job, endpoint change or event is in flight; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.busy():
                for writer in list(self.log_writers):
                    writer.flush()
                return True
            time.sleep(0.1)
        return not self.busy()

    def shutdown(self) -> None:
        """Stop everything: kill training process groups, join threads. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        patches.deactivate(self)
        for tuning in list(self.tunings.values()):
            tuning.stop_requested = True
        for training in list(self.trainings.values()):
            training.stop()
        for pid in list(self.processes):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        for thread in self._threads():
            if thread.ident and thread is not threading.current_thread():
                thread.join(timeout=10)
        self.emitter.close(timeout=5)
        self._flusher.join(timeout=2)
        shutil.rmtree(self.jobs_dir, ignore_errors=True)

    def _ensure_log_group(self) -> None:
        if not self._log_group_ready:
            ensure_group(self.clients.logs)
            self._log_group_ready = True

    def _flush_logs(self) -> None:
        while not self._closed.wait(FLUSH_SECONDS):
            for writer in list(self.log_writers):
                try:
                    writer.flush()
                except Exception as error:  # the emulator may be going away; keep flushing others
                    self.errors.append(f"log flush: {error!r}")


def install(
    *,
    endpoint_url: str,
    region: str = "us-east-1",
    account: str = "123456789012",
    workdir: Path,
    max_parallel: int | None = None,
    time_scale: float = 1.0,
) -> Platform:
    """Patch the running moto server's SageMaker so it really trains; returns the platform."""
    previous = patches.active()
    if previous is not None:
        previous.shutdown()
    platform = Platform(endpoint_url=endpoint_url, region=region, account=account, workdir=Path(workdir),
                        max_parallel=max_parallel, time_scale=time_scale)
    patches.activate(platform)
    atexit.register(platform.shutdown)
    _chain_sigterm(platform)
    return platform


def _chain_sigterm(platform: Platform) -> None:
    """On SIGTERM, kill training process groups before the interpreter goes (Ctrl-C is atexit's job)."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum: int, frame: Any) -> None:
        platform.shutdown()
        if callable(previous):
            previous(signum, frame)
        else:
            raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
