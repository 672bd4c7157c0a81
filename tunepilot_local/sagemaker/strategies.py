"""AMT strategies as optuna studies.

Bayesian → TPESampler (seeded by RandomSeed, constant liar for parallel jobs); Random → RandomSampler;
Grid → GridSampler over the categorical ranges (all combinations, capped by MaxNumberOfTrainingJobs);
Hyperband → TPESampler with HyperbandPruner(MinResource, MaxResource), the resource being the count of
objective values a job has logged (its epochs/rounds). Early stopping ``Auto`` → MedianPruner: a job
stops when its objective at step *n* is worse than the median of finished jobs at step *n*.
"""

from __future__ import annotations

import warnings
from typing import Any

import optuna
from tunepilot.spec import models as spec_models

from tunepilot_local.sagemaker.search_space import SearchSpace

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

# The median rule waits for a few finished jobs and a few steps, as AMT does before it stops anything.
MEDIAN_STARTUP_JOBS = 3
MEDIAN_WARMUP_STEPS = 3


def build_study(config: dict[str, Any], space: SearchSpace, maximize: bool, max_jobs: int) -> optuna.Study:
    strategy = config.get("Strategy", "Bayesian")
    seed = config.get("RandomSeed")
    sampler: optuna.samplers.BaseSampler
    pruner: optuna.pruners.BasePruner = optuna.pruners.NopPruner()
    if strategy == "Random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    elif strategy == "Grid":
        sampler = optuna.samplers.GridSampler(space.categorical_grid(), seed=seed)
    else:
        startup = max(2, min(10, max_jobs // 3))
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)
    if strategy == "Hyperband":
        hyperband = (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig") or {}
        pruner = optuna.pruners.HyperbandPruner(
            min_resource=int(hyperband.get("MinResource", 1)),
            max_resource=int(hyperband.get("MaxResource", "auto")) if "MaxResource" in hyperband else "auto",
            reduction_factor=3,
        )
    elif config.get("TrainingJobEarlyStoppingType") == "Auto":
        pruner = optuna.pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_JOBS, n_warmup_steps=MEDIAN_WARMUP_STEPS)
    return optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler, pruner=pruner)


def grid_size(space: SearchSpace) -> int:
    return spec_models.grid_size(space.categorical_grid().values())


def prunes(config: dict[str, Any]) -> bool:
    return config.get("Strategy") == "Hyperband" or config.get("TrainingJobEarlyStoppingType") == "Auto"
