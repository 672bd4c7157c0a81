"""The built-in XGBoost algorithm, run inside a training job's subprocess.

Reads SageMaker's container contract under ``$SM_ROOT`` (an ``/opt/ml``-like tree): hyperparameters
as strings in ``input/config/hyperparameters.json``, CSV channels ``train`` and ``validation`` (label
in the first column, no header) in ``input/data/<channel>/``. Prints one line per round like the
container, ``[3]<TAB>train-auc:0.98<TAB>validation-auc:0.97``, and saves the booster to
``model/xgboost-model``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

# Typed like the container parses them; anything else passes through as the string SageMaker sent.
_INTS = {"max_depth", "num_class", "max_bin", "max_leaves", "seed", "verbosity", "nthread", "num_parallel_tree"}
_FLOATS = {
    "eta", "learning_rate", "gamma", "min_child_weight", "subsample", "colsample_bytree", "colsample_bylevel",
    "colsample_bynode", "alpha", "lambda", "max_delta_step", "scale_pos_weight", "base_score", "tweedie_variance_power",
}
_NOT_PARAMS = {
    "num_round", "early_stopping_rounds", "csv_weights", "_kfold", "_num_cv_round", "_tuning_objective_metric"}
# XGBoost's own evaluation metrics: a tuning objective naming one is evaluated even when eval_metric omits it,
# as the SageMaker container does with the `_tuning_objective_metric` that AMT adds.
_NATIVE_METRICS = {"auc", "aucpr", "error", "logloss", "rmse", "rmsle", "mae", "mape", "mlogloss", "merror", "map",
                   "ndcg", "poisson-nloglik", "gamma-nloglik", "gamma-deviance", "tweedie-nloglik"}


def booster_params(hyperparameters: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {"verbosity": 0, "nthread": 1}
    for name, raw in hyperparameters.items():
        if name in _NOT_PARAMS or name.startswith("sagemaker_"):
            continue
        value = raw.strip('"') if isinstance(raw, str) else raw
        if name in _INTS:
            params[name] = int(float(value))
        elif name in _FLOATS:
            params[name] = float(value)
        elif name == "eval_metric":
            params[name] = [m.strip() for m in str(value).split(",") if m.strip()]
        else:
            params[name] = value
    objective = str(hyperparameters.get("_tuning_objective_metric", "")).partition(":")[2]
    if objective in _NATIVE_METRICS and objective not in params.get("eval_metric", []):
        params["eval_metric"] = [*params.get("eval_metric", []), objective]
    return params


def _info(message: str) -> None:
    """A line in the container's own log format, e.g. ``[2024-01-31:12:00:00:INFO] ...``."""
    print(f"[{time.strftime('%Y-%m-%d:%H:%M:%S')}:INFO] {message}", flush=True)


def _load_csv(channel_dir: Path) -> Any:
    import numpy as np

    files = sorted(p for p in channel_dir.rglob("*") if p.is_file())
    if not files:
        raise SystemExit(f"ClientError: channel {channel_dir.name!r} has no files")
    arrays = [np.loadtxt(p, delimiter=",", ndmin=2) for p in files]
    data = np.vstack(arrays)
    return data[:, 1:], data[:, 0]


def main() -> int:
    root = Path(os.environ["SM_ROOT"])
    hyperparameters = json.loads((root / "input/config/hyperparameters.json").read_text())
    if "num_round" not in hyperparameters:
        print("ClientError: Missing required hyperparameter: num_round", file=sys.stderr)
        return 2
    for blocked in ("sklearn", "pandas"):  # xgboost imports them if present; not needed here, and slow
        sys.modules.setdefault(blocked, None)  # type: ignore[arg-type]
    import xgboost

    data_dir = root / "input/data"
    x_train, y_train = _load_csv(data_dir / "train")
    evals = [(xgboost.DMatrix(x_train, label=y_train), "train")]
    if (data_dir / "validation").is_dir():
        x_valid, y_valid = _load_csv(data_dir / "validation")
        evals.append((xgboost.DMatrix(x_valid, label=y_valid), "validation"))
    params = booster_params(hyperparameters)
    _info(f"Training with params {json.dumps(params, sort_keys=True)}")
    early = hyperparameters.get("early_stopping_rounds")
    booster = xgboost.train(
        params,
        evals[0][0],
        num_boost_round=int(float(hyperparameters["num_round"])),
        evals=evals,
        early_stopping_rounds=int(float(early)) if early and len(evals) > 1 else None,
        verbose_eval=True,
    )
    model_dir = root / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_dir / "xgboost-model.ubj"))
    (model_dir / "xgboost-model.ubj").rename(model_dir / "xgboost-model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
