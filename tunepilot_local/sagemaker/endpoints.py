"""Endpoints that really load their model and serve predictions.

Create: Creating → InService once the model loads, Failed otherwise. Update: Updating → InService on
the new config, or back to InService on the OLD config with a FailureReason when the new model does
not load (SageMaker's rollback). The model is the ``model.tar.gz`` at the endpoint config's first
variant's model ``PrimaryContainer.ModelDataUrl``; inside it, an XGBoost booster file named
``xgboost-model`` (what the built-in runner saves), ``model.xgb``, ``model.json`` or ``model.ubj``
(the convention for script-mode jobs: save your booster under one of these names).
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moto.sagemaker.exceptions import ValidationError

from tunepilot_local.sagemaker import aws
from tunepilot_local.sagemaker.state import set_endpoint_status

if TYPE_CHECKING:
    from tunepilot_local.sagemaker.host import Host

MODEL_FILES = ("xgboost-model", "model.xgb", "model.json", "model.ubj")


class ModelLoadError(Exception):
    pass


class EndpointHost:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.boosters: dict[str, Any] = {}  # endpoint name → the booster it serves
        self.threads: list[threading.Thread] = []

    def created(self, backend: Any, endpoint: Any) -> None:
        set_endpoint_status(self.host, endpoint, "Creating")
        self._spawn(self._create, backend, endpoint)

    def update(self, backend: Any, endpoint: Any, config_name: str) -> None:
        if endpoint.endpoint_status != "InService":  # a Failed endpoint can only be deleted, as on AWS
            raise ValidationError(
                message=f"Cannot update in-progress endpoint \"{endpoint.arn}\"."
            )
        if config_name not in backend.endpoint_configs:
            raise ValidationError(message=f"Could not find endpoint configuration \"{config_name}\".")
        set_endpoint_status(self.host, endpoint, "Updating")
        self._spawn(self._update, backend, endpoint, config_name)

    def predict(self, endpoint_name: str, body: bytes, backend: Any) -> str:
        endpoint = backend.endpoints.get(endpoint_name)
        booster = self.boosters.get(endpoint_name)
        if endpoint is None or booster is None or endpoint.endpoint_status not in ("InService", "Updating"):
            raise ValidationError(message=f"Endpoint {endpoint_name} of account {backend.account_id} not found.")
        import numpy as np
        import xgboost

        rows = [line for line in body.decode("utf-8").splitlines() if line.strip()]
        try:
            features = np.array([[float(v) for v in row.split(",")] for row in rows], dtype=float)
        except ValueError as error:
            raise ValidationError(message=f"Unable to parse text/csv payload: {error}") from error
        predictions = booster.predict(xgboost.DMatrix(features))
        if predictions.ndim == 1:
            return "\n".join(repr(float(p)) for p in predictions)
        return "\n".join(",".join(repr(float(v)) for v in row) for row in predictions)

    # -- background work ----------------------------------------------------------------------------
    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=f"endpoint-{args[1].endpoint_name}")
        self.threads.append(thread)
        thread.start()

    def _create(self, backend: Any, endpoint: Any) -> None:
        try:
            self.boosters[endpoint.endpoint_name] = self._load(backend, endpoint.endpoint_config_name)
        except Exception as error:
            set_endpoint_status(self.host, endpoint, "Failed", f"Failed to load the model: {error}")
            return
        set_endpoint_status(self.host, endpoint, "InService")

    def _update(self, backend: Any, endpoint: Any, config_name: str) -> None:
        try:
            booster = self._load(backend, config_name)
        except Exception as error:  # roll back: the old config keeps serving
            set_endpoint_status(self.host, endpoint, "InService",
                                f"Update to endpoint config {config_name} failed; rolled back: {error}")
            return
        with self.host.lock:
            self.boosters[endpoint.endpoint_name] = booster
            endpoint.endpoint_config_name = config_name
            endpoint.production_variants = endpoint._process_production_variants(
                backend.endpoint_configs[config_name].production_variants
            )
        set_endpoint_status(self.host, endpoint, "InService")

    def _load(self, backend: Any, config_name: str) -> Any:
        config = backend.endpoint_configs.get(config_name)
        if config is None or not config.production_variants:
            raise ModelLoadError(f"endpoint config {config_name!r} has no production variant")
        model_name = config.production_variants[0].get("ModelName")
        model = backend._models.get(model_name)
        if model is None:
            raise ModelLoadError(f"model {model_name!r} not found")
        container = model.primary_container or (model.containers[0] if model.containers else {})
        url = (container or {}).get("ModelDataUrl")
        if not url:
            raise ModelLoadError(f"model {model_name!r} has no ModelDataUrl")
        try:
            archive = aws.download_bytes(self.host.clients.s3, url)
        except Exception as error:
            raise ModelLoadError(f"cannot download {url}: {error}") from error
        with tempfile.TemporaryDirectory(dir=self.host.workdir) as tmp:
            try:
                aws.safe_extract(archive, Path(tmp))
            except Exception as error:
                raise ModelLoadError(f"{url} is not a readable tar.gz: {error}") from error
            path = next((Path(tmp) / n for n in MODEL_FILES if (Path(tmp) / n).is_file()), None)
            if path is None:
                raise ModelLoadError(f"{url} holds none of {', '.join(MODEL_FILES)}")
            import xgboost

            booster = xgboost.Booster()
            try:
                booster.load_model(bytearray(path.read_bytes()))
            except xgboost.core.XGBoostError as error:
                raise ModelLoadError(f"{path.name} is not an XGBoost model: {str(error).splitlines()[0]}") from error
        return booster
