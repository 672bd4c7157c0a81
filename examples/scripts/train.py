"""A small script-mode training entry point: a scikit-learn MLP trained epoch by epoch.

It follows SageMaker's script-mode conventions, so it runs the same in a SageMaker framework
container (PyTorch or scikit-learn images ship numpy and scikit-learn) and in TunePilot's local cloud:

- hyperparameters come from SM_HP_<NAME> variables, else /opt/ml/input/config/hyperparameters.json
  (where the SageMaker SDK JSON-encodes every value);
- data comes from SM_CHANNEL_TRAIN and SM_CHANNEL_VALIDATION: CSV files, label first, no header;
- the model goes to SM_MODEL_DIR;
- one metrics line per epoch, which the spec's metric_definitions read:
  ``epoch=3 train_loss=0.2121 validation_loss=0.1934 validation_accuracy=0.9561``
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

DEFAULTS: dict[str, Any] = {
    "epochs": 20,
    "learning_rate": 0.001,
    "alpha": 0.0001,
    "hidden_units": 32,
    "batch_size": 32,
    "seed": 0,
}


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def hyperparameters() -> dict[str, Any]:
    config_dir = Path(os.environ.get("SM_INPUT_CONFIG_DIR", "/opt/ml/input/config"))
    found: dict[str, Any] = dict(DEFAULTS)
    config = config_dir / "hyperparameters.json"
    if config.is_file():
        found.update({k: _decode(v) for k, v in json.loads(config.read_text()).items()})
    for name in DEFAULTS:
        env = os.environ.get(f"SM_HP_{name.upper()}")
        if env is not None:
            found[name] = _decode(env)
    return found


def read_channel(name: str) -> tuple[np.ndarray, np.ndarray]:
    folder = Path(os.environ.get(f"SM_CHANNEL_{name.upper()}", f"/opt/ml/input/data/{name}"))
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        sys.exit(f"channel {name}: no files in {folder}")
    rows = np.vstack([np.loadtxt(p, delimiter=",", ndmin=2) for p in files])
    return rows[:, 1:], rows[:, 0].astype(int)


def train(hp: dict[str, Any]) -> MLPClassifier:
    x_train, y_train = read_channel("train")
    x_valid, y_valid = read_channel("validation")
    scaler = StandardScaler().fit(x_train)
    x_train, x_valid = scaler.transform(x_train), scaler.transform(x_valid)
    model = MLPClassifier(
        hidden_layer_sizes=(int(hp["hidden_units"]),),
        learning_rate_init=float(hp["learning_rate"]),
        alpha=float(hp["alpha"]),
        batch_size=int(hp["batch_size"]),
        max_iter=1,  # one pass per fit call: we drive the epochs to report each one
        warm_start=True,
        random_state=int(hp["seed"]),
    )
    classes = np.unique(y_train)
    for epoch in range(1, int(hp["epochs"]) + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_train, y_train)
        train_loss = log_loss(y_train, model.predict_proba(x_train), labels=classes)
        valid_proba = model.predict_proba(x_valid)
        valid_loss = log_loss(y_valid, valid_proba, labels=classes)
        valid_acc = accuracy_score(y_valid, classes[valid_proba.argmax(axis=1)])
        print(
            f"epoch={epoch} train_loss={train_loss:.4f} validation_loss={valid_loss:.4f} "
            f"validation_accuracy={valid_acc:.4f}",
            flush=True,
        )
    model.scaler_ = scaler  # keep preprocessing with the model
    return model


def main() -> None:
    hp = hyperparameters()
    print(f"hyperparameters: {json.dumps(hp, sort_keys=True)}", flush=True)
    model = train(hp)
    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    model_dir.mkdir(parents=True, exist_ok=True)
    with (model_dir / "model.pkl").open("wb") as f:
        pickle.dump(model, f)


if __name__ == "__main__":
    main()
