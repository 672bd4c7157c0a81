"""The local cloud passes every template parameter default explicitly.

moto's CloudFormation does not split a CommaDelimitedList *default*: ``Fn::Join`` then joins
"sagemaker,self" letter by letter ("s,a,g,e,..."). A passed value is split as AWS does.
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from tests.unit.test_contract import TEMPLATE
from tunepilot_local.cloud import LOCAL_PARAMETERS
from tunepilot_local.deploy import with_defaults

LISTS = [name for name, p in TEMPLATE["Parameters"].items() if p["Type"] == "CommaDelimitedList" and "Default" in p]


def test_every_default_is_passed_and_chosen_values_win():
    passed = with_defaults(TEMPLATE, LOCAL_PARAMETERS)
    defaulted = {name for name, p in TEMPLATE["Parameters"].items() if "Default" in p}
    assert defaulted <= set(passed)
    assert passed["AllowedImageRegistries"] == "sagemaker,self" and passed["SpecWriterPrincipals"] == ""
    assert passed["MaxSpecBytes"] == str(TEMPLATE["Parameters"]["MaxSpecBytes"]["Default"])
    assert passed["ReconcileAfterSeconds"] == LOCAL_PARAMETERS["ReconcileAfterSeconds"]


def _stack_joining(parameters: dict[str, str]) -> dict[str, str]:
    """Deploy the template's list parameters into moto and read back what Fn::Join makes of them."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {name: TEMPLATE["Parameters"][name] for name in LISTS},
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {name: {"Value": {"Fn::Join": [",", {"Ref": name}]}} for name in LISTS},
    }
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        cfn.create_stack(StackName="params", TemplateBody=json.dumps(template),
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
        outputs = cfn.describe_stacks(StackName="params")["Stacks"][0].get("Outputs", [])
    return {o["OutputKey"]: o.get("OutputValue", "") for o in outputs}


@pytest.mark.parametrize("name", LISTS, ids=LISTS)
def test_list_defaults_reach_the_functions_whole_in_moto(name):
    explicit = {k: v for k, v in with_defaults(TEMPLATE, {}).items() if k in LISTS}
    assert _stack_joining(explicit).get(name, "") == TEMPLATE["Parameters"][name]["Default"]
