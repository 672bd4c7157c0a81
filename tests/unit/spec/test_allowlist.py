"""What a stack allows a spec to choose: image registries and endpoint names."""

from __future__ import annotations

import pytest
from tunepilot.settings import Settings
from tunepilot.spec.allowlist import AllowList, endpoint_name_problem, image_problem

from tests.unit.spec.helpers import DELETE, ROLE, demo, edited, validate_dict

OWN = "123456789012"
STACK_DEFAULT = AllowList(image_registries=("sagemaker", "self"), account_id=OWN)

IMAGE_CASES = [
    # (allowed registries, image URI, allowed?)
    (("sagemaker", "self"), "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", True),
    (("sagemaker", "self"), "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1", True),
    (("sagemaker", "self"), "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310", True),
    (("sagemaker", "self"), "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1", True),
    (("sagemaker", "self"), f"{OWN}.dkr.ecr.eu-west-1.amazonaws.com/my-trainer:1.4", True),
    (("sagemaker", "self"), f"{OWN}.dkr.ecr-fips.us-east-1.amazonaws.com/my-trainer:1.4", True),
    (("sagemaker", "self"), "999999999999.dkr.ecr.us-east-1.amazonaws.com/miner:latest", False),
    (("sagemaker", "self"), "docker.io/library/python:3.11", False),
    (("sagemaker", "self"), f"{OWN}.dkr.ecr.us-east-1.amazonaws.com.evil.io/x:1", False),
    (("sagemaker", "self"), f"evil.io/{OWN}.dkr.ecr.us-east-1.amazonaws.com/x:1", False),
    (("sagemaker",), f"{OWN}.dkr.ecr.us-east-1.amazonaws.com/my-trainer:1", False),
    (("222233334444",), "222233334444.dkr.ecr.ap-south-1.amazonaws.com/team/trainer@sha256:" + "a" * 64, True),
    (("222233334444",), "999999999999.dkr.ecr.ap-south-1.amazonaws.com/team/trainer:1", False),
    (("ghcr.io",), "ghcr.io/acme/trainer:1", True),
    (("ghcr.io",), "GHCR.IO/acme/trainer:1", True),
    (("ghcr.io",), "ghcr.io.evil.io/acme/trainer:1", False),
    (("222233334444.dkr.ecr.us-east-1.amazonaws.com",), "222233334444.dkr.ecr.us-east-1.amazonaws.com/t:1", True),
    (("222233334444.dkr.ecr.us-east-1.amazonaws.com",), "222233334444.dkr.ecr.us-west-2.amazonaws.com/t:1", False),
    (("*",), "docker.io/library/python:3.11", True),
    ((), "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", False),
]


def _image_id(case: tuple) -> str:
    registries, uri, allowed = case
    return f"{'+'.join(registries) or 'nothing'}:{uri.split('/')[0]}:{'ok' if allowed else 'refused'}"


@pytest.mark.parametrize("registries,uri,allowed", IMAGE_CASES, ids=[_image_id(c) for c in IMAGE_CASES])
def test_image_registries(registries, uri, allowed):
    problem = image_problem(uri, AllowList(image_registries=registries, account_id=OWN))
    assert (problem is None) is allowed, problem
    if not allowed:
        assert "not allowed by this stack" in problem and uri.split("/")[0].lower() in problem


def test_self_without_a_known_account_allows_nothing():
    assert image_problem(f"{OWN}.dkr.ecr.us-east-1.amazonaws.com/x:1", AllowList(image_registries=("self",)))


NAME_CASES = [
    # (patterns, endpoint name, allowed?)
    (("*",), "prod-fraud", True),
    (("tp-*",), "tp-churn", True),
    (("tp-*",), "prod-fraud", False),
    (("tp-*",), "TP-churn", False),  # endpoint names are matched case-sensitively
    (("tp-*", "churn-?"), "churn-7", True),
    (("tp-*", "churn-?"), "churn-77", False),
    (("exact-name",), "exact-name", True),
    (("exact-name",), "exact-name-2", False),
    ((), "anything", False),
]


@pytest.mark.parametrize("patterns,name,allowed", NAME_CASES,
                         ids=[f"{'+'.join(p) or 'nothing'}:{n}:{'ok' if a else 'refused'}" for p, n, a in NAME_CASES])
def test_endpoint_name_patterns(patterns, name, allowed):
    problem = endpoint_name_problem(name, AllowList(endpoint_names=patterns))
    assert (problem is None) is allowed, problem


SCRIPT = {
    "framework_image": "999999999999.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310",
    "entry_point": "train.py",
    "source_dir": "s3://tunepilot-demo-data/sources/train.tar.gz",
    "metric_definitions": [{"name": "validation:auc", "regex": "auc=([0-9.]+)"}],
}
RULE_CASES = [
    ("custom-image-foreign", {"algorithm": {"image": {
        "uri": "999999999999.dkr.ecr.us-east-1.amazonaws.com/x:1",
        "metric_definitions": [{"name": "validation:auc", "regex": "auc=([0-9.]+)"}]}}},
     STACK_DEFAULT, "algorithm.image.uri"),
    ("script-framework-foreign", {"algorithm": {"script": SCRIPT}, "hyperparameters.static": {}},
     STACK_DEFAULT, "algorithm.script.framework_image"),
    ("endpoint-outside-patterns", {}, AllowList(endpoint_names=("tp-*",)), "deploy.endpoint_name"),
]


@pytest.mark.parametrize("edits,allow,path", [c[1:] for c in RULE_CASES], ids=[c[0] for c in RULE_CASES])
def test_a_refused_choice_is_a_problem_at_its_field_with_its_line(edits, allow, path):
    result = validate_dict(edited(demo(), edits), allowed_roles=(ROLE,), allow=allow)
    problems = [p for p in result.errors if p.path == path]
    assert not result.valid and problems, result.errors
    assert "not allowed by this stack" in problems[0].message and problems[0].line


ALLOWED_CASES = [
    ("builtin-resolves-to-sagemaker", {}, STACK_DEFAULT),
    ("own-account-image", {"algorithm": {"image": {
        "uri": f"{OWN}.dkr.ecr.us-east-1.amazonaws.com/x:1",
        "metric_definitions": [{"name": "validation:auc", "regex": "auc=([0-9.]+)"}]}}}, STACK_DEFAULT),
    ("endpoint-in-patterns", {"deploy.endpoint_name": "tp-breast-cancer"}, AllowList(endpoint_names=("tp-*",))),
    ("deploy-disabled-name-unchecked", {"deploy.enabled": False}, AllowList(endpoint_names=("tp-*",))),
    ("no-deploy-section", {"deploy": DELETE, "baseline": DELETE}, AllowList(endpoint_names=())),
    ("no-stack-restricts-nothing", {"algorithm": {"image": {
        "uri": "docker.io/acme/x:1",
        "metric_definitions": [{"name": "validation:auc", "regex": "auc=([0-9.]+)"}]}}}, None),
]


@pytest.mark.parametrize("edits,allow", [c[1:] for c in ALLOWED_CASES], ids=[c[0] for c in ALLOWED_CASES])
def test_allowed_choices_validate(edits, allow):
    result = validate_dict(edited(demo(), edits), allowed_roles=(ROLE,), allow=allow)
    assert result.valid, result.errors


ENV_CASES = [
    ("outside-a-stack", {}, AllowList()),
    ("stack-defaults", {"ALLOWED_IMAGE_REGISTRIES": "sagemaker,self", "ALLOWED_ENDPOINT_NAMES": "*",
                        "ACCOUNT_ID": OWN}, AllowList(("sagemaker", "self"), ("*",), OWN)),
    ("spaces-and-empties", {"ALLOWED_IMAGE_REGISTRIES": " sagemaker , ,ghcr.io", "ALLOWED_ENDPOINT_NAMES": "tp-*"},
     AllowList(("sagemaker", "ghcr.io"), ("tp-*",), "")),
    ("set-but-empty-allows-nothing", {"ALLOWED_IMAGE_REGISTRIES": "", "ALLOWED_ENDPOINT_NAMES": ""},
     AllowList((), (), "")),
]


@pytest.mark.parametrize("env,expected", [c[1:] for c in ENV_CASES], ids=[c[0] for c in ENV_CASES])
def test_settings_read_the_allow_lists_from_the_environment(env, expected):
    assert Settings.from_env(env).allow_list == expected
