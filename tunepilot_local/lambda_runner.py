"""Run the real handler code of moto's Lambda functions in warm worker subprocesses.

moto routes every invoke (direct, Step Functions task, EventBridge, SNS, Logs subscription) through
``LambdaFunction._invoke_lambda``; :func:`install` replaces it. Each function gets its own pool of
workers with the function's own environment, like Lambda containers: a busy pool spawns another
worker instead of queueing, because handlers call back into the same server (nested invokes).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunepilot_local.patching import ActivePatch
from tunepilot_local.server import ACCOUNT, REGION, aws_environment

WORKER_SCRIPT = Path(__file__).with_name("lambda_worker.py")
# Keep the environment a Lambda would have; nothing from the caller's shell leaks in except these.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class FunctionImage:
    """Everything needed to start a worker for one version of one function."""

    name: str
    arn: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    environment: tuple[tuple[str, str], ...]
    timeout: float
    memory_mb: int

    def python_path(self) -> list[str]:
        # Lambda's Python runtime: the function's code, then /opt/python and its site-packages per layer.
        paths = [str(self.code_dir)]
        for layer in self.layer_dirs:
            paths += [str(layer / "python"), str(layer / "python/lib/python3.11/site-packages"), str(layer)]
        return paths


class Worker:
    def __init__(self, image: FunctionImage, endpoint_url: str, log_path: Path) -> None:
        env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
        env.update(aws_environment(endpoint_url))
        env.update(dict(image.environment))
        env.update({
            "_HANDLER": image.handler,
            "AWS_LAMBDA_FUNCTION_NAME": image.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(image.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(image.timeout)),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "LAMBDA_TASK_ROOT": str(image.code_dir),
            "TUNEPILOT_LOCAL_FUNCTION_ARN": image.arn,
            "PYTHONPATH": os.pathsep.join(image.python_path()),
            "PYTHONUNBUFFERED": "1",
        })
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(log_path, "ab")  # noqa: SIM115 - lives as long as the worker
        self.process = subprocess.Popen(
            [sys.executable, "-s", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env, cwd=image.code_dir,
            start_new_session=True,
        )

    def call(self, event: Any, timeout: float, faults: dict[str, Any] | None = None) -> dict[str, Any]:
        """One invocation; raises TimeoutError (after killing the worker) when the handler overruns.
        ``faults`` (tests) are injected inside the worker for this invocation: see lambda_worker."""
        request_id = str(uuid.uuid4())
        deadline = time.time() + timeout
        line = json.dumps({"event": event, "request_id": request_id, "deadline_ms": int(deadline * 1000),
                           "faults": faults or {}})
        assert self.process.stdin and self.process.stdout
        try:
            self.process.stdin.write(line.encode() + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError as exc:
            raise ChildProcessError("worker exited") from exc
        ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, deadline - time.time()))
        if not ready:
            self.kill()
            raise TimeoutError
        reply = self.process.stdout.readline()
        if not reply:
            self.kill()
            raise ChildProcessError(f"worker exited with {self.process.wait()}")
        return dict(json.loads(reply))

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, 9)
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout, self.log):
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[union-attr]


@dataclass
class _Pool:
    image: FunctionImage
    idle: list[Worker] = field(default_factory=list)
    all: list[Worker] = field(default_factory=list)


class LambdaRunner:
    """Worker pools per function image, invocation counters, and the moto hook."""

    def __init__(self, endpoint_url: str, workdir: Path, log_dir: Path | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.workdir = Path(workdir)  # unpacked code and layers
        self.log_dir = Path(log_dir) if log_dir else self.workdir / "logs"  # one stderr log per function
        self.invocations: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.busy_seconds = 0.0  # summed wall time of all invocations (the controller's Lambda time)
        self._pools: dict[FunctionImage, _Pool] = {}
        self._images: dict[tuple[Any, ...], FunctionImage] = {}
        self._lock = threading.Lock()  # guards the pools only, never held during an invocation
        self._closed = False
        # Fault injection for tests: function name (or "*") -> faults sent with each invocation.
        self.faults: dict[str, dict[str, Any]] = {}
        # Like Lambda's concurrency limit, but queueing instead of throttling: at most this many workers
        # per function (a burst of 100 uploads must not start 100 Python processes on a laptop).
        limit = int(os.environ.get("TUNEPILOT_LOCAL_LAMBDA_CONCURRENCY", "0") or 0)
        self._concurrency: dict[str, threading.BoundedSemaphore] = {}
        self._limit = limit if limit > 0 else None

    # -- images from moto's models ----------------------------------------------------------------
    def image_for(self, fn: Any) -> FunctionImage:
        env = tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items()))
        key = (fn.function_arn, fn.code_sha_256, tuple(layer["Arn"] for layer in fn.layers), env, fn.handler,
               fn.timeout, fn.memory_size)
        image = self._images.get(key)
        if image is None:
            image = self._images[key] = self._build_image(fn, env)
        return image

    def _build_image(self, fn: Any, env: tuple[tuple[str, str], ...]) -> FunctionImage:
        code_dir = self._unzip(fn.code_bytes, f"functions/{fn.function_name}")
        layer_dirs = tuple(self._layer_dir(layer["Arn"], fn) for layer in fn.layers)
        return FunctionImage(
            name=fn.function_name, arn=fn.function_arn, handler=fn.handler, code_dir=code_dir,
            layer_dirs=layer_dirs, environment=env, timeout=float(fn.timeout or 3),
            memory_mb=int(fn.memory_size or 128),
        )

    def _layer_dir(self, arn: str, fn: Any) -> Path:
        from moto.awslambda.models import lambda_backends

        layer = lambda_backends[fn.account_id][fn.region].layers_versions_by_arn(arn)
        if layer is None:
            raise ChildProcessError(f"layer {arn} does not exist")
        name = arn.split(":layer:", 1)[-1].replace(":", "-")
        return self._unzip(layer.code_bytes, f"layers/{name}")

    def _unzip(self, code: bytes, where: str) -> Path:
        digest = hashlib.sha256(code).hexdigest()[:16]
        target = self.workdir / f"{where}-{digest}"
        if not target.exists():  # content-addressed: a new deployment of the same code reuses it
            staging = target.with_name(target.name + f".tmp{uuid.uuid4().hex[:6]}")
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(staging)  # our own build output
            with contextlib.suppress(OSError):
                staging.rename(target)
        return target

    # -- invocation ---------------------------------------------------------------------------------
    def invoke(self, image: FunctionImage, event: Any) -> tuple[dict[str, Any] | Any, bool]:
        """Run one event; returns (payload, is_error) with Lambda's error shape on failure."""
        gate = self._gate(image.name)
        if gate is not None:
            gate.acquire()
        try:
            return self._invoke(image, event)
        finally:
            if gate is not None:
                gate.release()

    def _gate(self, name: str) -> threading.BoundedSemaphore | None:
        if self._limit is None:
            return None
        with self._lock:
            return self._concurrency.setdefault(name, threading.BoundedSemaphore(self._limit))

    def _invoke(self, image: FunctionImage, event: Any) -> tuple[dict[str, Any] | Any, bool]:
        worker = self._acquire(image)
        started = time.monotonic()
        self.invocations[image.name] += 1
        key = image.name if image.name in self.faults else "*"
        faults = self.faults.get(key)
        try:
            reply = worker.call(event, image.timeout, faults)
        except TimeoutError:
            self.errors[image.name] += 1
            return {"errorMessage": f"Task timed out after {image.timeout:.2f} seconds",
                    "errorType": "Sandbox.Timedout", "stackTrace": []}, True
        except ChildProcessError as exc:
            if faults and faults.get("once"):  # a fault that killed its worker once lets the retries through
                self.faults.pop(key, None)
            self.errors[image.name] += 1
            return {"errorMessage": str(exc), "errorType": "Runtime.ExitError", "stackTrace": []}, True
        finally:
            self.busy_seconds += time.monotonic() - started
            self._release(image, worker)
        if reply["ok"]:
            return reply["result"], False
        self.errors[image.name] += 1
        return reply["error"], True

    def _acquire(self, image: FunctionImage) -> Worker:
        with self._lock:
            if self._closed:
                raise ChildProcessError("local cloud is shutting down")
            pool = self._pools.setdefault(image, _Pool(image))
            while pool.idle:
                worker = pool.idle.pop()
                if worker.alive():
                    return worker
                pool.all.remove(worker)
            log = self.log_dir / f"{image.name}.log"
            worker = Worker(image, self.endpoint_url, log)
            pool.all.append(worker)
            return worker

    def _release(self, image: FunctionImage, worker: Worker) -> None:
        with self._lock:
            pool = self._pools.get(image)
            if pool is not None and worker.alive() and not self._closed:
                pool.idle.append(worker)
                return
            if pool is not None and worker in pool.all:
                pool.all.remove(worker)
        worker.kill()

    def worker_count(self) -> int:
        with self._lock:
            return sum(len(p.all) for p in self._pools.values())

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            workers = [w for p in self._pools.values() for w in p.all]
            self._pools.clear()
        for worker in workers:
            worker.kill()


_patch: ActivePatch[LambdaRunner] = ActivePatch()


def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    runner = _patch.active
    if runner is None:  # not installed: moto's own (Docker) behaviour
        return _patch.originals["_invoke_lambda"](self, event)  # type: ignore[no-any-return]
    if isinstance(event, str | bytes):
        event = json.loads(event or "{}")
    image = runner.image_for(self)
    payload, is_error = runner.invoke(image, {} if event is None else event)
    return json.dumps(payload), is_error, ""


def install(runner: LambdaRunner) -> None:
    """Make every moto Lambda invoke run the real handler through ``runner``."""
    from moto.awslambda.models import LambdaFunction

    _patch.serve(runner, LambdaFunction, "_invoke_lambda", _invoke_lambda)


def uninstall(runner: LambdaRunner) -> None:
    _patch.deactivate(runner)


__all__ = ["ACCOUNT", "REGION", "FunctionImage", "LambdaRunner", "install", "uninstall"]
