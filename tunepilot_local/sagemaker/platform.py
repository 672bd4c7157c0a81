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
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tunepilot_local.sagemaker import aws, patches
from tunepilot_local.sagemaker.endpoints import EndpointHost
from tunepilot_local.sagemaker.events import EventEmitter
from tunepilot_local.sagemaker.host import utc_now
from tunepilot_local.sagemaker.logs import FLUSH_SECONDS, LogStreamWriter, ensure_group
from tunepilot_local.sagemaker.quotas import Quotas
from tunepilot_local.sagemaker.state import emit_training_created, new_training_job
from tunepilot_local.sagemaker.training import TrainingJobRun
from tunepilot_local.sagemaker.tuner import TuningRun


class Platform:
    """The hub: owns the registries and implements the `Host` seam its tuners, jobs and endpoints use."""

    def __init__(
        self, *, endpoint_url: str, region: str, account: str, workdir: Path, max_parallel: int | None,
        time_scale: float, clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account = account
        self._workdir = Path(workdir).resolve()  # children run elsewhere (cwd = their root): paths must be absolute
        self._jobs_dir = self._workdir / "jobs"
        self._jobs_dir.mkdir(parents=True, exist_ok=True)
        self._max_parallel = max(1, min(max_parallel or os.cpu_count() or 1, os.cpu_count() or 1))
        self._time_scale = float(time_scale)
        self._clock = clock
        self._lock = threading.RLock()
        self._clients = aws.clients(endpoint_url, region)
        self._emitter = EventEmitter(self._clients.events)
        self.endpoints = EndpointHost(self)
        self.quotas = Quotas()  # account quotas (off unless set): ResourceLimitExceeded past them
        self._tunings: dict[str, TuningRun] = {}  # by tuning job ARN
        self._trainings: dict[str, TrainingJobRun] = {}  # by training job name
        self._processes: dict[int, str] = {}  # live training subprocess pid → job name
        self._log_writers: set[LogStreamWriter] = set()
        self._errors: list[str] = []
        self._closed = threading.Event()
        self._log_group_ready = False
        self._flusher = threading.Thread(target=self._flush_logs, name="sagemaker-logs", daemon=True)
        self._flusher.start()

    # -- the Host seam ------------------------------------------------------------------------------
    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def clients(self) -> aws.Clients:
        return self._clients

    @property
    def emitter(self) -> EventEmitter:
        return self._emitter

    @property
    def jobs_dir(self) -> Path:
        return self._jobs_dir

    @property
    def workdir(self) -> Path:
        return self._workdir

    @property
    def time_scale(self) -> float:
        return self._time_scale

    @property
    def max_parallel(self) -> int:
        return self._max_parallel

    def now(self) -> datetime:
        return self._clock()

    def register_training(self, run: TrainingJobRun) -> None:
        self._trainings[run.name] = run

    def register_process(self, pid: int, job_name: str) -> None:
        self._processes[pid] = job_name

    def unregister_process(self, pid: int) -> None:
        self._processes.pop(pid, None)

    def register_log_writer(self, writer: LogStreamWriter) -> None:
        self._log_writers.add(writer)

    def unregister_log_writer(self, writer: LogStreamWriter) -> None:
        self._log_writers.discard(writer)

    def record_error(self, message: str) -> None:
        self._errors.append(message)

    def training_changed(self, job: Any) -> None:
        run = self._tunings.get(getattr(job, "tuning_job_arn", None) or "")
        if run is not None:
            with self._lock:
                run.refresh_counters()

    # -- read-only views for callers outside the seam (tests, the local cloud) -------------------
    @property
    def tunings(self) -> Mapping[str, TuningRun]:
        return MappingProxyType(self._tunings)

    @property
    def trainings(self) -> Mapping[str, TrainingJobRun]:
        return MappingProxyType(self._trainings)

    @property
    def processes(self) -> Mapping[int, str]:
        return MappingProxyType(self._processes)

    @property
    def errors(self) -> list[str]:
        return list(self._errors)

    # -- called from the patched backend ----------------------------------------------------------
    def start_tuning(self, backend: Any, job: Any) -> None:
        self._ensure_log_group()
        run = TuningRun(self, backend, job)
        self._tunings[job.arn] = run
        run.start()

    def start_training(self, backend: Any, kwargs: dict[str, Any]) -> Any:
        """A standalone CreateTrainingJob: same runner, no tuner."""
        self._ensure_log_group()
        name = kwargs["training_job_name"]
        if name in backend.training_jobs:
            from moto.sagemaker.exceptions import ValidationError

            raise ValidationError(message=f"Training job {name} already exists")
        definition = {  # CreateTrainingJob's request in a training job definition's keys
            "AlgorithmSpecification": kwargs.get("algorithm_specification") or {},
            "RoleArn": kwargs.get("role_arn"),
            "InputDataConfig": kwargs.get("input_data_config") or [],
            "OutputDataConfig": kwargs.get("output_data_config") or {},
            "ResourceConfig": kwargs.get("resource_config") or {},
            "VpcConfig": kwargs.get("vpc_config"),
            "StoppingCondition": kwargs.get("stopping_condition") or {},
            "CheckpointConfig": kwargs.get("checkpoint_config"),
            "EnableNetworkIsolation": bool(kwargs.get("enable_network_isolation")),
            "EnableInterContainerTrafficEncryption": bool(kwargs.get("enable_inter_container_traffic_encryption")),
            "EnableManagedSpotTraining": bool(kwargs.get("enable_managed_spot_training")),
        }
        job = new_training_job(self, backend, name, definition, dict(kwargs.get("hyper_parameters") or {}),
                               tags=kwargs.get("tags"))
        run = TrainingJobRun(self, job)
        self.register_training(run)
        emit_training_created(self, job)
        run.start()
        return job

    def stop_tuning(self, job: Any) -> None:
        run = self._tunings.get(job.arn)
        if run is not None:
            run.stop()

    def stop_training(self, name: str) -> None:
        run = self._trainings.get(name)
        if run is not None:
            run.stop()

    def training_summaries(self, job: Any) -> list[dict[str, Any]]:
        run = self._tunings.get(job.arn)
        return run.summaries() if run else []

    # -- lifecycle --------------------------------------------------------------------------------
    def _threads(self) -> list[threading.Thread]:
        # list() first: other threads add entries while we look
        runs: list[TuningRun | TrainingJobRun] = [*list(self._tunings.values()), *list(self._trainings.values())]
        return [run.thread for run in runs] + list(self.endpoints.threads)

    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads()) or not self._emitter.idle() or bool(self._processes)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job, endpoint change or event is in flight; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.busy():
                for writer in list(self._log_writers):
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
        for tuning in list(self._tunings.values()):
            tuning.stop_requested = True
        for training in list(self._trainings.values()):
            training.stop()
        for pid in list(self._processes):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        for thread in self._threads():
            if thread.ident and thread is not threading.current_thread():
                thread.join(timeout=10)
        self._emitter.close(timeout=5)
        self._flusher.join(timeout=2)
        shutil.rmtree(self._jobs_dir, ignore_errors=True)

    def _ensure_log_group(self) -> None:
        if not self._log_group_ready:
            ensure_group(self._clients.logs)
            self._log_group_ready = True

    def _flush_logs(self) -> None:
        while not self._closed.wait(FLUSH_SECONDS):
            for writer in list(self._log_writers):
                try:
                    writer.flush()
                except Exception as error:  # the emulator may be going away; keep flushing others
                    self._errors.append(f"log flush: {error!r}")


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
