"""Least privilege: each function is granted exactly the AWS calls its code makes, no more, no fewer.

``CALLS`` is the table of what each handler's code calls, as IAM actions (DynamoDB transactions are
authorised per item: PutItem, UpdateItem, ConditionCheckItem). This test holds the template to it;
``tests/integration/test_recorded_calls.py`` holds the code to it, by recording every boto3 call each
handler makes under moto.
"""

from __future__ import annotations

import pytest

from tests.unit.test_contract import TEMPLATE

_TUNING = {"sagemaker:DescribeHyperParameterTuningJob"}
_TOKENS = {"states:SendTaskSuccess", "states:SendTaskFailure"}
_EVIDENCE = {"logs:DescribeLogStreams", "logs:GetLogEvents"}
# Handing a slot on (admission control): the queue, the slots item, the next run's token and position.
_HAND_OVER = {"dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
              "s3:GetObject", "s3:PutObject", "states:SendTaskSuccess"}

CALLS: dict[str, set[str]] = {
    "ValidateSpecFunction": {
        "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "sagemaker:DescribeEndpoint", "sagemaker:ListTags",  # is deploy.endpoint_name this stack's?
    },
    "AdmitFunction": _HAND_OVER,
    "StartTuningFunction": {
        "s3:GetObject", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "sagemaker:CreateHyperParameterTuningJob", *_TUNING, "sagemaker:AddTags", "sagemaker:ListTags",
        "iam:PassRole",
    },
    "RegisterWaitFunction": _HAND_OVER | {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        *_TUNING, "sagemaker:DescribeEndpoint", *_TOKENS,
    },
    "ResumeWaitFunction": _HAND_OVER | {
        "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        *_TUNING, "sagemaker:DescribeEndpoint", *_TOKENS,
    },
    "ReconcileFunction": _HAND_OVER | {
        "dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem", "sns:Publish",
        *_TUNING, "sagemaker:StopHyperParameterTuningJob", "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeTrainingJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob", *_EVIDENCE, *_TOKENS,
    },
    "OnTrainingJobEventFunction": {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem",
        "sns:Publish", "sagemaker:DescribeTrainingJob", *_TUNING, "sagemaker:StopHyperParameterTuningJob",
        *_EVIDENCE,
    },
    "MetricWatchFunction": {"dynamodb:GetItem", "dynamodb:PutItem"},
    "PickBestFunction": {
        "dynamodb:UpdateItem", *_TUNING, "sagemaker:DescribeTrainingJob",
        "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
    },
    "CheckImprovementFunction": {
        "dynamodb:UpdateItem", "s3:GetObject", "sagemaker:DescribeTrainingJob", "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig", "sagemaker:ListTags",
    },
    "DeployFunction": {
        "dynamodb:GetItem", "dynamodb:UpdateItem", "s3:GetObject",
        "sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:AddTags", "sagemaker:ListTags",
        "iam:PassRole",
    },
    "AnalyzeResultsFunction": {
        "s3:GetObject", "s3:PutObject", "dynamodb:GetItem", *_TUNING,
        "sagemaker:ListTrainingJobsForHyperParameterTuningJob", "sagemaker:DescribeTrainingJob",
        "sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:ListTags", *_EVIDENCE,
    },
    "NotifyFunction": _HAND_OVER | {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "s3:PutObject", "sns:Publish",
        *_TUNING, "sagemaker:StopHyperParameterTuningJob",
    },
}

FUNCTIONS = sorted(k for k, v in TEMPLATE["Resources"].items() if v["Type"] == "AWS::Serverless::Function")


def _actions(statement) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def granted(function: str) -> list[tuple[str, dict]]:
    """(action, statement) for every action of the function's own Policies."""
    out = []
    for policy in TEMPLATE["Resources"][function]["Properties"].get("Policies") or []:
        assert isinstance(policy, dict) and set(policy) == {"Statement"}, (
            f"{function}: {policy} is a SAM policy template; they grant more than the code calls"
        )
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            out += [(action, statement) for action in _actions(statement)]
    return out


def test_the_table_covers_every_function():
    assert sorted(CALLS) == FUNCTIONS


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_is_granted_exactly_what_its_code_calls(function):
    actions = [action for action, _ in granted(function)]
    assert len(actions) == len(set(actions)), f"{function} grants an action twice"
    assert set(actions) == CALLS[function]


def _resources(statement) -> list:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


# Actions that take no resource-level permission: "*" is the only resource IAM accepts for them.
NO_RESOURCE_LEVEL = {"states:SendTaskSuccess", "states:SendTaskFailure"}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_resources_are_scoped(function):
    for action, statement in granted(function):
        resources = [str(r) for r in _resources(statement)]
        if action in NO_RESOURCE_LEVEL:
            assert resources == ["*"]
            continue
        assert "*" not in resources, f"{function}: {action} on every resource"
        if action.startswith("dynamodb:"):
            assert statement["Resource"] == {"Fn::GetAtt": ["RunsTable", "Arn"]}
        if action == "s3:PutObject":  # only runs/ is written; specs/ is the user's
            assert statement["Resource"] == {"Fn::Sub": "${SpecBucket.Arn}/runs/*"}
        if action in {"sagemaker:StopHyperParameterTuningJob", "sagemaker:CreateHyperParameterTuningJob",
                      "sagemaker:ListTrainingJobsForHyperParameterTuningJob"}:
            assert all("hyper-parameter-tuning-job/tp-*" in r for r in resources), f"{function}: {action}"
