"""Who may deploy what, read from template.yaml's own policy documents.

Only Deploy writes endpoints: it may create one only with this stack's tag in the request, update one
only if it already carries that tag, and add tags only while creating. The bucket policy keeps specs/
to the named writers. The stack passes its name and allow-lists to the functions.
"""

from __future__ import annotations

import re

import pytest
from tunepilot.compile.request import STACK_TAG_KEY

from tests.conftest import ROOT
from tests.unit.test_contract import TEMPLATE, _statements

STACK = {"Ref": "AWS::StackName"}
ENDPOINT_WRITES = {
    "sagemaker:CreateEndpoint",
    "sagemaker:UpdateEndpoint",
    "sagemaker:UpdateEndpointWeightsAndCapacities",
    "sagemaker:DeleteEndpoint",
}
CREATE_ACTIONS = {"CreateModel", "CreateEndpointConfig", "CreateEndpoint"}


def _actions(statement: dict) -> set[str]:
    action = statement["Action"]
    return set(action if isinstance(action, list) else [action])


def _resources(statement: dict) -> list[str]:
    resource = statement["Resource"]
    items = resource if isinstance(resource, list) else [resource]
    return [r["Fn::Sub"] if isinstance(r, dict) and "Fn::Sub" in r else str(r) for r in items]


def _granting(logical_id: str, action: str) -> list[dict]:
    return [s for lid, s in _statements() if lid == logical_id and action in _actions(s)]


def test_only_deploy_may_write_endpoints():
    writers = {lid for lid, s in _statements() if _actions(s) & ENDPOINT_WRITES}
    assert writers == {"DeployFunction"}


def test_only_start_tuning_and_deploy_may_tag_and_start_tuning_only_its_jobs():
    taggers = {lid for lid, s in _statements() if "sagemaker:AddTags" in _actions(s)}
    assert taggers == {"StartTuningFunction", "DeployFunction"}
    for statement in _granting("StartTuningFunction", "sagemaker:AddTags"):
        assert all("hyper-parameter-tuning-job/tp-*" in r for r in _resources(statement))


def test_deploy_creates_endpoints_only_with_the_stack_tag_in_the_request():
    statements = _granting("DeployFunction", "sagemaker:CreateEndpoint")
    assert statements
    for statement in statements:
        condition = statement["Condition"]
        assert condition["StringEquals"][f"aws:RequestTag/{STACK_TAG_KEY}"] == STACK
        assert condition["ForAllValues:StringLike"]["aws:TagKeys"] == ["tunepilot:*"]


def test_deploy_updates_only_endpoints_that_already_carry_the_stack_tag():
    statements = _granting("DeployFunction", "sagemaker:UpdateEndpoint")
    assert statements
    for statement in statements:
        assert _actions(statement) == {"sagemaker:UpdateEndpoint"}
        assert statement["Condition"] == {"StringEquals": {f"aws:ResourceTag/{STACK_TAG_KEY}": STACK}}


def test_deploy_tags_only_while_creating_and_only_with_the_stack_tag():
    statements = _granting("DeployFunction", "sagemaker:AddTags")
    assert statements
    for statement in statements:
        equals = statement["Condition"]["StringEquals"]
        assert equals[f"aws:RequestTag/{STACK_TAG_KEY}"] == STACK
        assert set(equals["sagemaker:TaggingAction"]) <= CREATE_ACTIONS
        assert statement["Condition"]["ForAllValues:StringLike"]["aws:TagKeys"] == ["tunepilot:*"]


def test_every_deploy_write_on_any_endpoint_is_conditioned_on_the_stack_tag():
    writes = ENDPOINT_WRITES | {"sagemaker:AddTags", "sagemaker:CreateModel", "sagemaker:CreateEndpointConfig"}
    for logical_id, statement in _statements():
        if logical_id == "DeployFunction" and _actions(statement) & writes:
            tagged = {key for test in statement["Condition"].values() for key in test}
            assert tagged & {f"aws:RequestTag/{STACK_TAG_KEY}", f"aws:ResourceTag/{STACK_TAG_KEY}"}, statement


def test_deploy_is_not_granted_what_its_code_never_calls():
    code = (ROOT / "layers" / "tunepilot" / "tunepilot" / "usecases" / "deploy.py").read_text()
    assert "describe_training_job" not in code
    granted = {a for lid, s in _statements() if lid == "DeployFunction" for a in _actions(s)}
    assert "sagemaker:DescribeTrainingJob" not in granted


def test_validate_spec_may_only_look_endpoints_up():
    granted = [s for lid, s in _statements() if lid == "ValidateSpecFunction"]
    sagemaker = [s for s in granted if any(a.startswith("sagemaker:") for a in _actions(s))]
    assert len(sagemaker) == 1
    assert _actions(sagemaker[0]) == {"sagemaker:DescribeEndpoint", "sagemaker:ListTags"}
    assert [r.rsplit(":", 1)[-1] for r in _resources(sagemaker[0])] == ["endpoint/*"]


def test_bucket_policy_keeps_specs_to_the_named_writers_when_set():
    statements = TEMPLATE["Resources"]["SpecBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    guarded = [s["Fn::If"] for s in statements if isinstance(s, dict) and "Fn::If" in s]
    assert len(guarded) == 1
    condition, deny, otherwise = guarded[0]
    assert condition == "HasSpecWriters" and otherwise == {"Ref": "AWS::NoValue"}
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:PutObject"
    assert deny["Resource"] == {"Fn::Sub": "${SpecBucket.Arn}/specs/*"}
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": {"Ref": "SpecWriterPrincipals"}}}
    has_writers = TEMPLATE["Conditions"]["HasSpecWriters"]
    assert has_writers == {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "SpecWriterPrincipals"}]}, ""]}]}


PARAMETERS = {
    "AllowedEndpointNames": "*",
    "AllowedImageRegistries": "sagemaker,self",
    "SpecWriterPrincipals": "",
}


@pytest.mark.parametrize("name,default", PARAMETERS.items(), ids=PARAMETERS.keys())
def test_allow_list_parameters_and_their_defaults(name, default):
    parameter = TEMPLATE["Parameters"][name]
    assert parameter["Type"] == "CommaDelimitedList" and parameter["Default"] == default


ENVIRONMENT = {
    "STACK_NAME": STACK,
    "ACCOUNT_ID": {"Ref": "AWS::AccountId"},
    "ALLOWED_ENDPOINT_NAMES": {"Fn::Join": [",", {"Ref": "AllowedEndpointNames"}]},
    "ALLOWED_IMAGE_REGISTRIES": {"Fn::Join": [",", {"Ref": "AllowedImageRegistries"}]},
}


@pytest.mark.parametrize("variable,value", ENVIRONMENT.items(), ids=ENVIRONMENT.keys())
def test_every_function_learns_its_stack_and_allow_lists(variable, value):
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"][variable] == value


def test_the_stack_tag_key_is_the_one_the_code_writes():
    text = (ROOT / "template.yaml").read_text()
    assert set(re.findall(r"aws:(?:Request|Resource)Tag/([\w:]+)", text)) == {STACK_TAG_KEY}
