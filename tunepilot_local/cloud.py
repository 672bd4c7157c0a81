"""The local cloud as one object: server, Lambda runner, EventBridge fixes, the deployed stack, SageMaker.

    with LocalCloud() as cloud:            # cold start: server + sam build (cached) + deploy
        summary = cloud.run_spec("examples/xgboost-breast-cancer.yaml")

Everything it starts is stopped by ``close()`` (also on exceptions and at interpreter exit): the
server, every Lambda worker, the schedule ticker and the SageMaker platform's training processes.

This module is the lifecycle; a run's other steps live beside it: seeding its data (``seed.py``),
following the execution (``tunepilot_cli/watch.py``) and mapping what was seen onto the summary
(``summary.py``). SNS alerts are read back through an SQS queue (``alerts.py``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tunepilot_cli.watch import TERMINAL, RunWatcher
from tunepilot_local import deploy, hooks, lambda_runner, seed, server
from tunepilot_local.alerts import drain_queue, sns_alert, subscribe_queue
from tunepilot_local.summary import RunSummary, fill_summary

REPO_ROOT = Path(__file__).resolve().parent.parent
SAGEMAKER_ROLE = "TunePilotSageMakerRole"
SAGEMAKER_ROLE_ARN = f"arn:aws:iam::{server.ACCOUNT}:role/{SAGEMAKER_ROLE}"
# Values for the template's parameters that suit a laptop; only those the template declares are passed.
LOCAL_PARAMETERS = {
    "AllowedSageMakerRoleArns": SAGEMAKER_ROLE_ARN,
    "ReconcileSchedule": "rate(1 minute)",  # the ticker fires it every schedule_seconds anyway
    "ReconcileAfterSeconds": "10",
    "CreateTrainingLogGroup": "true",
}


class LocalCloudError(RuntimeError):
    pass


class LocalCloud:
    def __init__(
        self,
        template: Path | str | None = None,
        *,
        workdir: Path | str | None = None,
        stack_name: str = "tunepilot",
        schedule_seconds: float = 5.0,
        with_platform: bool = True,
        max_parallel: int | None = None,
        time_scale: float = 1.0,
        parameters: dict[str, str] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.template = Path(template) if template else REPO_ROOT / "template.yaml"
        self.workdir = Path(workdir) if workdir else self.template.parent / ".tunepilot" / "local"
        self.stack_name = stack_name
        self.schedule_seconds = schedule_seconds
        self.with_platform = with_platform
        self.max_parallel = max_parallel
        self.time_scale = time_scale
        self.extra_parameters = dict(parameters or {})
        self.say = progress or (lambda line: None)
        self.platform: Any = None
        self.deployment: deploy.Deployment | None = None
        self.cold_start_seconds = 0.0
        self._server: server.RunningServer | None = None
        self._runner: lambda_runner.LambdaRunner | None = None
        self._delivery: hooks.EventDelivery | None = None
        self._ticker: hooks.ScheduleTicker | None = None
        self._scratch: Path | None = None
        self._alerts: list[dict[str, str]] = []
        self._alerts_queue_url = ""
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self._closed = False

    # -- lifecycle --------------------------------------------------------------------------------
    def __enter__(self) -> LocalCloud:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> LocalCloud:
        started = time.monotonic()
        atexit.register(self.close)
        self._server = server.start_server()
        self.say(f"moto server on {self._server.endpoint_url}")
        self._scratch = Path(tempfile.mkdtemp(prefix="tunepilot-lambda-"))
        # Code is unpacked to a temp dir (removed on close); handler logs are kept for the summary.
        self._runner = lambda_runner.LambdaRunner(self._server.endpoint_url, self._scratch,
                                                  log_dir=self.workdir / "lambda-logs")
        lambda_runner.install(self._runner)
        self._delivery = hooks.EventDelivery(self._server.endpoint_url, server.REGION)
        hooks.install(self._delivery)
        self.client("iam").create_role(
            RoleName=SAGEMAKER_ROLE, AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                               "Action": "sts:AssumeRole"}]}))
        self.say("building and deploying the template (sam build is cached)")
        self.deployment = deploy.deploy(
            self.template, self.client, stack_name=self.stack_name, parameters=self._parameters(),
            cache_dir=self.workdir / "sam")
        self._subscribe_alerts()
        if self.with_platform:
            self._install_platform()
        self._ticker = hooks.ScheduleTicker(self._delivery, server.ACCOUNT, server.REGION, self.schedule_seconds)
        self._ticker.start()
        self.cold_start_seconds = time.monotonic() - started
        self.say(f"local cloud ready in {self.cold_start_seconds:.1f}s")
        return self

    def _parameters(self) -> dict[str, str]:
        from samcli.yamlhelper import yaml_parse

        declared = (yaml_parse(self.template.read_text()) or {}).get("Parameters") or {}
        chosen = {k: v for k, v in LOCAL_PARAMETERS.items() if k in declared}
        chosen.update(self.extra_parameters)
        return chosen

    def _install_platform(self) -> None:
        try:
            from tunepilot_local.sagemaker.platform import install
        except ImportError as error:  # the deployment still runs up to StartTuning without it
            self.say(f"SageMaker platform unavailable ({error}); tuning jobs will not train")
            return
        self.platform = install(
            endpoint_url=self.endpoint_url, region=server.REGION, account=server.ACCOUNT,
            workdir=self.workdir / "sagemaker", max_parallel=self.max_parallel, time_scale=self.time_scale)

    def _subscribe_alerts(self) -> None:
        if not self.deployment or "AlertsTopicArn" not in self.deployment.outputs:
            return  # a template without the alerts topic (test fixtures)
        self._alerts_queue_url = subscribe_queue(
            self.client("sqs"), self.client("sns"), self.topic_arn, f"{self.stack_name}-alerts-local")

    def close(self) -> None:
        """Stop everything this cloud started. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._ticker:
            self._ticker.stop()
        if self.platform is not None:
            with contextlib.suppress(Exception):
                self.platform.shutdown()
        if self._delivery:
            hooks.uninstall(self._delivery)
            self._delivery.close()
        if self._runner:
            lambda_runner.uninstall(self._runner)
            self._runner.shutdown()
        if self._server:
            with contextlib.suppress(Exception):
                self._server.stop()
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)

    # -- what tests and the CLI read --------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        if not self._server:
            raise LocalCloudError("the local cloud is not started")
        return self._server.endpoint_url

    def _output(self, name: str) -> str:
        if not self.deployment:
            raise LocalCloudError("the stack is not deployed")
        return self.deployment.outputs[name]

    @property
    def bucket(self) -> str:
        return self._output("BucketName")

    @property
    def state_machine_arn(self) -> str:
        return self._output("StateMachineArn")

    @property
    def topic_arn(self) -> str:
        return self._output("AlertsTopicArn")

    @property
    def table(self) -> str:
        return self._output("RunsTableName")

    @property
    def lambda_invocations(self) -> dict[str, int]:
        return dict(self._runner.invocations) if self._runner else {}

    @property
    def lambda_seconds(self) -> float:
        return self._runner.busy_seconds if self._runner else 0.0

    @property
    def delivery(self) -> hooks.EventDelivery:
        assert self._delivery
        return self._delivery

    @property
    def ticker(self) -> hooks.ScheduleTicker:
        assert self._ticker
        return self._ticker

    @property
    def lambda_runner(self) -> lambda_runner.LambdaRunner:
        """The Lambda runner (tests inject faults through ``lambda_runner.faults``)."""
        if self._runner is None:
            raise LocalCloudError("the local cloud is not running")
        return self._runner

    def client(self, name: str) -> Any:
        with self._clients_lock:
            if name not in self._clients:
                self._clients[name] = boto3.session.Session().client(  # type: ignore[call-overload]
                    name, endpoint_url=self.endpoint_url, region_name=server.REGION,
                    config=Config(retries={"max_attempts": 2}, read_timeout=300))
            return self._clients[name]

    def alerts(self) -> list[dict[str, str]]:
        """Every SNS message published to the alerts topic so far: [{subject, message}]."""
        if not self._alerts_queue_url:
            return []
        self._alerts += [sns_alert(body) for body in drain_queue(self.client("sqs"), self._alerts_queue_url)]
        return list(self._alerts)

    # -- running a spec ---------------------------------------------------------------------------
    def run_spec(
        self, spec: Path | str | bytes, key: str | None = None, *, timeout: float = 600.0,
        progress: Callable[[str], None] | None = None, seed_data: bool = True,
    ) -> RunSummary:
        """Upload the spec to specs/<name>, let the chain run, and summarise the execution."""
        say = progress or self.say
        if isinstance(spec, bytes):
            body, key = spec, key or f"specs/spec-{int(time.time() * 1000)}.yaml"
        else:
            path = Path(spec)
            body, key = path.read_bytes(), key or f"specs/{path.name}"
        document = seed.seed_run(body, self.client("s3"), REPO_ROOT / "examples" / "scripts", say, seed_data)
        alerts_before = len(self.alerts())
        lambda_before = self.lambda_seconds
        invocations_before = self.lambda_invocations
        started = time.monotonic()
        put = self.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)
        watcher = RunWatcher(self, key, put.get("VersionId"), say)
        say(f"uploaded s3://{self.bucket}/{key} (run {watcher.run_id})")
        summary = RunSummary(status="FAILED", run_id=watcher.run_id, spec_uri=f"s3://{self.bucket}/{key}")
        status = watcher.follow(started, timeout, 0.5, on_execution=lambda arn: say(f"execution {arn}"))
        summary.wall_seconds = round(time.monotonic() - started, 3)
        summary.execution_arn = watcher.execution_arn
        if status not in TERMINAL:
            where = "no execution started" if watcher.execution_arn is None else f"execution still {status}"
            failures = self.delivery.failures[-3:]
            summary.error = f"timed out after {timeout:.0f}s ({where}); recent delivery failures: {failures}"
        else:
            summary.status = "SUCCEEDED" if status == "SUCCEEDED" else "FAILED"
            if status != "SUCCEEDED":
                summary.error = watcher.failure_cause() or status
        fill_summary(self, summary, watcher, document)
        summary.alerts = self.alerts()[alerts_before:]
        summary.lambda_seconds = round(self.lambda_seconds - lambda_before, 3)
        summary.lambda_invocations = {
            name: count - invocations_before.get(name, 0) for name, count in self.lambda_invocations.items()
            if count - invocations_before.get(name, 0)}
        summary.controller_seconds = round(max(0.0, summary.wall_seconds - summary.training_seconds), 3)
        return summary
