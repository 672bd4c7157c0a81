"""One training job: an /opt/ml-like tree, a subprocess in its own process group, logs, metrics, model.

Statuses move like SageMaker's: InProgress (Starting → Downloading → Training → Uploading) then
Completed, Failed, or Stopping → Stopped (SecondaryStatus ``Stopped`` or ``MaxRuntimeExceeded``).
Billing: ``BillableTimeInSeconds = max(1, round(elapsed * time_scale))`` from process start to end;
``StoppingCondition.MaxRuntimeInSeconds`` is compared with that scaled time.
Early stopping: the tuner's reporter sees each objective value as it is logged; when it says stop,
the process group is killed and log lines after that point are dropped (training on small data can
finish before the parent reads its output, so the cut is made where the decision was made).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunepilot.spec.builtins import builtin_for_image

from tunepilot_local.sagemaker import aws
from tunepilot_local.sagemaker.logs import LogStreamWriter, escape_line
from tunepilot_local.sagemaker.metrics import MetricParser
from tunepilot_local.sagemaker.state import set_training_status

if TYPE_CHECKING:
    from tunepilot_local.sagemaker.host import Host

BUILTIN_RUNNER = Path(__file__).parent / "runner" / "xgboost_builtin.py"
# Where SageMaker publishes the values its metric definitions read from the logs (one dimension).
METRICS_NAMESPACE = "/aws/sagemaker/TrainingJobs"
METRICS_PER_CALL = 500  # PutMetricData takes at most 1,000 values a call
KILL_GRACE_SECONDS = 2.0
# A reporter gets (step, objective value) and answers "stop this job now?".
Reporter = Callable[[int, float], bool]


def _unquote(value: str) -> str:
    """The SageMaker SDK JSON-encodes script-mode hyperparameters (``'"train.py"'``)."""
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        return value
    return decoded if isinstance(decoded, str) else value


def _decoded(value: str) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


class TrainingJobRun:
    def __init__(
        self,
        host: Host,
        job: Any,
        *,
        objective: str | None = None,
        reporter: Reporter | None = None,
        on_finished: Callable[[TrainingJobRun], None] | None = None,
    ) -> None:
        self.host = host
        self.job = job
        self.objective = objective
        self.reporter = reporter
        self.on_finished = on_finished
        spec = job.algorithm_specification
        self.builtin = builtin_for_image(spec.get("TrainingImage", ""))
        definitions = list(spec.get("MetricDefinitions") or [])
        self.parser = MetricParser(self.builtin.with_user_metrics(definitions) if self.builtin else definitions)
        self.metrics: dict[str, float] = {}
        self.datapoints: list[tuple[datetime, str, float]] = []  # every value read, for CloudWatch
        self.objective_values: list[float] = []
        self.stop_reason: str | None = None
        self.process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"train-{job.training_job_name}", daemon=True)

    @property
    def name(self) -> str:
        return str(self.job.training_job_name)

    @property
    def objective_value(self) -> float | None:
        return self.objective_values[-1] if self.objective_values else None

    def start(self) -> None:
        self.thread.start()

    def stop(self, reason: str = "Stopped") -> None:
        """Stop the job: Stopping now, Stopped once the process is gone. Idempotent."""
        with self._lock:
            if self.stop_reason or self.job.training_job_status not in ("InProgress",):
                return
            self.stop_reason = reason
            process = self.process
        set_training_status(self.host, self.job, "Stopping", "Stopping", "Stopping the training job")
        if process is not None:
            self._kill(process)

    def _kill(self, process: subprocess.Popen[str]) -> None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return

        def hard_kill() -> None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(KILL_GRACE_SECONDS, hard_kill)
        timer.daemon = True
        timer.start()

    # -- the job's thread -------------------------------------------------------------------------
    def _run(self) -> None:
        root = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=self.host.jobs_dir))
        started = time.monotonic()
        writer: LogStreamWriter | None = None
        failure: str | None = None
        try:
            writer = LogStreamWriter(self.host.clients.logs, self.name)
            self.host.register_log_writer(writer)
            set_training_status(self.host, self.job, "InProgress", "Downloading", "Downloading input data")
            command, cwd, env = self._prepare(root)
            if self.stop_reason is None:
                set_training_status(self.host, self.job, "InProgress", "Training", "Training in progress")
                self.job.training_start_time = self.host.now()
                started = time.monotonic()
                failure = self._train(command, cwd, env, writer)
            if failure is None:  # a stopped job keeps what it saved so far, as on SageMaker
                set_training_status(self.host, self.job, self.job.training_job_status, "Uploading",
                                    "Uploading generated training model")
                self._upload_model(root / "model")
        except Exception as error:  # bad input data, S3 errors...: the job fails with a reason, never a traceback
            failure = failure or f"ClientError: {error}"
        finally:
            elapsed = time.monotonic() - started
            if writer is not None:
                writer.flush()
                self.host.unregister_log_writer(writer)
            shutil.rmtree(root, ignore_errors=True)
            self._finish(elapsed, failure)

    def _prepare(self, root: Path) -> tuple[list[str], Path, dict[str, str]]:
        config = root / "input" / "config"
        config.mkdir(parents=True)
        (root / "model").mkdir()
        (root / "output" / "data").mkdir(parents=True)
        hyperparameters = dict(self.job.hyper_parameters or {})
        (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
        channels: dict[str, Any] = {}
        for channel in self.job.input_data_config or []:
            name = channel["ChannelName"]
            source = channel.get("DataSource", {}).get("S3DataSource", {})
            channels[name] = {
                "ContentType": channel.get("ContentType", ""),
                "TrainingInputMode": channel.get("InputMode", "File"),
                "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
                "RecordWrapperType": channel.get("RecordWrapperType", "None"),
            }
            if source.get("S3Uri"):
                aws.download_prefix(self.host.clients.s3, source["S3Uri"], root / "input" / "data" / name)
        (config / "inputdataconfig.json").write_text(json.dumps(channels))
        (config / "resourceconfig.json").write_text(
            json.dumps({"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"})
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        env.update(
            SM_ROOT=str(root),
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
            SM_MODEL_DIR=str(root / "model"),
            SM_OUTPUT_DIR=str(root / "output"),
            SM_OUTPUT_DATA_DIR=str(root / "output" / "data"),
            SM_INPUT_DIR=str(root / "input"),
            SM_INPUT_CONFIG_DIR=str(config),
            SM_CHANNELS=json.dumps(sorted(channels)),
            SM_CURRENT_HOST="algo-1",
            SM_HOSTS=json.dumps(["algo-1"]),
            SM_NUM_CPUS=str(os.cpu_count() or 1),
            SM_NUM_GPUS="0",
            SM_HPS=json.dumps({k: _decoded(v) for k, v in hyperparameters.items() if not k.startswith("sagemaker_")}),
            SM_TRAINING_ENV=json.dumps({"job_name": self.name, "hosts": ["algo-1"], "current_host": "algo-1"}),
        )
        for name in channels:
            env[f"SM_CHANNEL_{name.upper()}"] = str(root / "input" / "data" / name)
        for key, value in hyperparameters.items():
            if not key.startswith("sagemaker_"):
                decoded = _decoded(value)
                env[f"SM_HP_{key.upper()}"] = decoded if isinstance(decoded, str) else json.dumps(decoded)
        if self.builtin is not None:
            return [sys.executable, "-u", str(BUILTIN_RUNNER)], root, env
        program = _unquote(hyperparameters.get("sagemaker_program", ""))
        submit = _unquote(hyperparameters.get("sagemaker_submit_directory", ""))
        if not program or not submit:
            raise ValueError(
                "image is not a built-in algorithm and hyperparameters lack sagemaker_program / "
                "sagemaker_submit_directory (script mode)"
            )
        code = root / "code"
        aws.safe_extract(aws.download_bytes(self.host.clients.s3, submit), code)
        env["SM_MODULE_DIR"] = submit
        env["SM_USER_ENTRY_POINT"] = program
        return [sys.executable, "-u", program], code, env

    def _train(self, command: list[str], cwd: Path, env: dict[str, str], writer: LogStreamWriter) -> str | None:
        limit = (self.job.stopping_condition or {}).get("MaxRuntimeInSeconds")
        timer = None
        if limit:
            timer = threading.Timer(float(limit) / self.host.time_scale, self.stop, args=("MaxRuntimeExceeded",))
            timer.daemon = True
        with self._lock:
            if self.stop_reason:
                return None
            self.process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                errors="replace", start_new_session=True,  # own process group: one killpg stops it all
            )
        process = self.process
        self.host.register_process(process.pid, self.name)
        if timer:
            timer.start()
        tail: list[str] = []
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                if self.stop_reason:
                    break  # stopped: what the job printed after the stop is not part of its record
                escaped = escape_line(raw.rstrip("\n"))
                writer.write(escaped)
                tail = ([*tail, escaped])[-5:]
                self._observe(escaped)
        finally:
            if self.stop_reason and process.poll() is None:
                self._kill(process)
            process.wait()
            if process.stdout:
                process.stdout.close()
            self.host.unregister_process(process.pid)
            if timer:
                timer.cancel()
        if self.stop_reason is None and process.returncode != 0:
            return f"AlgorithmError: exit code {process.returncode}; last output: {' | '.join(tail)[-800:]}"
        return None

    def _observe(self, escaped: str) -> None:
        found = self.parser.parse(escaped)
        if not found:
            return
        self.metrics.update(found)
        stamp = self.host.now()
        self.datapoints += [(stamp, name, value) for name, value in found.items()]
        if self.objective and self.objective in found:
            self.objective_values.append(found[self.objective])
            step = len(self.objective_values) - 1
            if self.reporter and self.reporter(step, found[self.objective]):
                self.stop("EarlyStopped")

    def _upload_model(self, model_dir: Path) -> None:
        if not model_dir.is_dir():
            return
        uri = self.job.model_artifacts["S3ModelArtifacts"]
        bucket, key = aws.split_s3_uri(uri)
        self.host.clients.s3.put_object(Bucket=bucket, Key=key, Body=aws.tar_directory(model_dir))

    def _publish_metrics(self) -> None:
        """Every value the metric definitions read, as CloudWatch metrics (what TrainingJobAnalytics reads)."""
        data = [
            {"MetricName": name, "Value": value, "Timestamp": stamp,
             "Dimensions": [{"Name": "TrainingJobName", "Value": self.name}]}
            for stamp, name, value in self.datapoints
        ]
        try:
            for start in range(0, len(data), METRICS_PER_CALL):
                self.host.clients.cloudwatch.put_metric_data(
                    Namespace=METRICS_NAMESPACE, MetricData=data[start : start + METRICS_PER_CALL])
        except Exception as error:  # the emulator may be going away; the job's own record stands
            self.host.record_error(f"{self.name}: put_metric_data: {error!r}")

    def _finish(self, elapsed: float, failure: str | None) -> None:
        job = self.job
        seconds = max(1, round(elapsed * self.host.time_scale))
        job.billable_time_in_seconds = seconds
        job.training_time_in_seconds = seconds
        job.training_end_time = self.host.now()
        if job.training_start_time is None:
            job.training_start_time = job.training_end_time
        stamp = self.host.now()
        job.final_metric_data_list = [
            {"MetricName": name, "Value": value, "Timestamp": stamp} for name, value in sorted(self.metrics.items())
        ]
        self._publish_metrics()
        if failure and not self.stop_reason:
            job.failure_reason = failure
            set_training_status(self.host, job, "Failed", "Failed", failure)
        elif self.stop_reason:
            secondary = "MaxRuntimeExceeded" if self.stop_reason == "MaxRuntimeExceeded" else "Stopped"
            message = {
                "MaxRuntimeExceeded": "Training job runtime exceeded MaxRuntimeInSeconds provided",
                "EarlyStopped": "Training job stopped early by the hyperparameter tuning job",
            }.get(self.stop_reason, "Training job stopped")
            set_training_status(self.host, job, "Stopped", secondary, message)
        else:
            set_training_status(self.host, job, "Completed", "Completed", "Training job completed")
        if self.on_finished:
            try:
                self.on_finished(self)
            except Exception as error:
                self.host.record_error(f"{self.name}: on_finished: {error!r}")
