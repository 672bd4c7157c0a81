"""A script-mode training program: one XGBoost round per "epoch", logged like a framework script.

Reads SageMaker's env conventions (SM_HPS, SM_CHANNEL_*, SM_MODEL_DIR) and saves ``model.xgb``.
"""

import json
import os
import time

import numpy as np
import xgboost as xgb

hps = json.loads(os.environ["SM_HPS"])
train = np.loadtxt(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"), delimiter=",", ndmin=2)
valid = np.loadtxt(os.path.join(os.environ["SM_CHANNEL_VALIDATION"], "validation.csv"), delimiter=",", ndmin=2)
dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0])
dvalid = xgb.DMatrix(valid[:, 1:], label=valid[:, 0])
params = {"objective": "binary:logistic", "eval_metric": "logloss", "eta": float(hps.get("eta", 0.3)), "nthread": 1}
print(f"host={os.environ['SM_CURRENT_HOST']} hps={json.dumps(hps, sort_keys=True)}", flush=True)
booster = None
for epoch in range(int(hps.get("epochs", 5))):
    booster = xgb.train(params, dtrain, 1, xgb_model=booster)
    loss = float(booster.eval(dvalid).split(":")[-1])
    print(f"epoch={epoch}\tvalidation_loss={loss:.5f}", flush=True)
    time.sleep(float(hps.get("sleep", 0)))
booster.save_model(os.path.join(os.environ["SM_MODEL_DIR"], "model.xgb"))
