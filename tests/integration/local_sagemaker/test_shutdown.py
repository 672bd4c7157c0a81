"""Shutting the platform down leaves no training process behind (runs last: it ends this module's platform)."""

from __future__ import annotations

import os

import pytest

from tests.integration.local_sagemaker.helpers import script_definition, wait_for


def test_shutdown_kills_running_jobs_and_is_idempotent(aws, dataset, platform, script_source):
    sm = aws("sagemaker")
    definition = script_definition(script_source, {"epochs": "300", "sleep": "0.1"})
    sm.create_training_job(TrainingJobName="left-running", HyperParameters=definition["StaticHyperParameters"],
                           AlgorithmSpecification=definition["AlgorithmSpecification"], RoleArn=definition["RoleArn"],
                           InputDataConfig=definition["InputDataConfig"],
                           OutputDataConfig=definition["OutputDataConfig"],
                           ResourceConfig=definition["ResourceConfig"],
                           StoppingCondition=definition["StoppingCondition"])
    wait_for(lambda: {"running": bool(platform.processes)}, "running", {True}, timeout=30)
    pids = list(dict(platform.processes))
    platform.shutdown()
    platform.shutdown()
    assert platform.processes == {}
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert sm.describe_training_job(TrainingJobName="left-running")["TrainingJobStatus"] == "Stopped"
