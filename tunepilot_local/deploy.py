"""Deploy a SAM template (the project's real template.yaml) into the local moto server.

``sam build`` (no Docker; cached by a hash of the template and code folders), zip every build output
into a local artifacts bucket, translate with samtranslator, ``create_stack``, then repair what moto's
CloudFormation silently drops. Every repair is derived from the translated template — never from a
second list of resources:

* the state machine lands in the non-executing backend, and ``DefinitionSubstitutions`` is ignored →
  recreated with the same name (so the same ARN) in the executing backend, its ``${Name}`` placeholders
  replaced by the resolved substitution values (not Fn::Sub: moto's Fn::Sub turns ASL's ``$$`` into ``$``);
* ``Function.Layers`` dropped → ``update_function_configuration(Layers=...)``;
* the bucket's ``EventBridgeConfiguration`` dropped → ``put_bucket_notification_configuration``
  (and ``VersioningConfiguration``, if dropped, → ``put_bucket_versioning``);
* ``AWS::Logs::SubscriptionFilter`` unsupported → log group ensured and the filter created.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunepilot_local.server import ACCOUNT, REGION

# moto's CloudFormation announces every resource type it skips; the ones TunePilot needs are
# repaired below, so the warnings are noise in the demo's output.
warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
logging.getLogger("moto.cloudformation.parsing").setLevel(logging.ERROR)

ARTIFACTS_BUCKET = "tunepilot-local-artifacts"
_CODE_PROPERTIES = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


class DeployError(RuntimeError):
    """The template could not be built, translated or deployed locally."""


@dataclass
class Deployment:
    stack_name: str
    outputs: dict[str, str]
    physical_ids: dict[str, str]  # logical id → physical id
    template: dict[str, Any]  # the translated CloudFormation template
    repairs: list[str] = field(default_factory=list)  # what was fixed after create_stack, for the curious

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v.get("Type") == resource_type}


# ------------------------------------------------------------------------------------------------ build
def _parse_yaml(path: Path) -> dict[str, Any]:
    from samcli.yamlhelper import yaml_parse  # understands !Ref/!GetAtt/!Sub short forms

    return dict(yaml_parse(path.read_text()))


def _source_digest(template: Path) -> str:
    """Hash of the template and every local code folder it names: a changed file means a new build."""
    digest = hashlib.sha256(template.read_bytes())
    resources = _parse_yaml(template).get("Resources", {})
    for resource in resources.values():
        prop = _CODE_PROPERTIES.get(resource.get("Type", ""))
        uri = (resource.get("Properties") or {}).get(prop) if prop else None
        if isinstance(uri, str) and not uri.startswith("s3://"):
            root = template.parent / uri
            for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                digest.update(str(path.relative_to(template.parent)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def sam_build(template: Path, cache_dir: Path) -> Path:
    """Run ``sam build`` unless the same sources were built before; returns the built template path."""
    template = template.resolve()
    build_dir = cache_dir / "build"
    stamp = cache_dir / "build.sha256"
    digest = _source_digest(template)
    built = build_dir / "template.yaml"
    if built.exists() and stamp.exists() and stamp.read_text() == digest:
        return built
    sam = Path(sys.executable).with_name("sam")
    command = [str(sam if sam.exists() else "sam"), "build", "--template", str(template), "--build-dir",
               str(build_dir), "--cache-dir", str(cache_dir / "sam-cache"), "--cached"]
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": REGION}
    done = subprocess.run(command, cwd=template.parent, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DeployError(f"sam build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    stamp.write_text(digest)
    return built


# ------------------------------------------------------------------------------------------------ package
def _zip_dir(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def package(built_template: Path, s3: Any, bucket: str = ARTIFACTS_BUCKET) -> dict[str, Any]:
    """Upload code folders as zips and inline state machine definitions; returns the SAM template."""
    template = _parse_yaml(built_template)
    base = built_template.parent
    s3.create_bucket(Bucket=bucket)
    for resource in template.get("Resources", {}).values():
        props = resource.setdefault("Properties", {})
        prop = _CODE_PROPERTIES.get(resource.get("Type", ""))
        if prop and isinstance(props.get(prop), str) and not props[prop].startswith("s3://"):
            body = _zip_dir(base / props[prop])
            key = f"{hashlib.sha256(body).hexdigest()}.zip"
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            props[prop] = f"s3://{bucket}/{key}"
        if resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = json.loads((base / props.pop("DefinitionUri")).read_text())
    return template


# ------------------------------------------------------------------------------------------------ translate
class _OfflinePolicyLoader:
    """samtranslator asks IAM for managed policy ARNs by name; locally they are derived instead."""

    def load(self) -> dict[str, str]:
        return {}


def translate(sam_template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    try:
        translated = transform(copy.deepcopy(sam_template), dict(parameters), _OfflinePolicyLoader())  # type: ignore[arg-type]
    except InvalidDocumentException as error:
        raise DeployError("; ".join(str(cause) for cause in error.causes)) from error
    return dict(translated)


# ------------------------------------------------------------------------------------------------ deploy
def with_defaults(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, str]:
    """Every parameter with a default, passed explicitly: moto's CloudFormation does not split a
    CommaDelimitedList *default* ("sagemaker,self" stays one string, which Fn::Join then joins letter by
    letter), while a passed value is split as AWS does."""
    declared = template.get("Parameters") or {}
    defaults = {name: _parameter_text(p["Default"]) for name, p in declared.items() if "Default" in p}
    return {**defaults, **parameters}


def _parameter_text(value: Any) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def deploy(
    template: Path, clients: Any, *, stack_name: str, parameters: dict[str, str], cache_dir: Path,
) -> Deployment:
    """Build, package, translate and create the stack, then repair moto's gaps. ``clients(name)`` → boto3."""
    built = sam_build(template, cache_dir)
    sam_template = package(built, clients("s3"))
    parameters = with_defaults(sam_template, parameters)
    cfn_template = translate(sam_template, parameters)
    cfn = clients("cloudformation")
    cfn.create_stack(
        StackName=stack_name, TemplateBody=json.dumps(cfn_template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise DeployError(f"stack {stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    }
    _fill_layer_version_ids(stack_name, cfn_template, physical, clients("lambda"))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    deployment = Deployment(stack_name, outputs, physical, cfn_template)
    repair(deployment, clients)
    return deployment


def _fill_layer_version_ids(stack_name: str, template: dict[str, Any], physical: dict[str, str], lam: Any) -> None:
    """moto's LayerVersion has no physical id (Ref yields ""); it is published as <stack>-<logical>-<suffix>."""
    layers = lam.list_layers()["Layers"]
    for logical, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::Lambda::LayerVersion" and not physical.get(logical):
            for layer in layers:
                if layer["LayerName"].startswith(f"{stack_name}-{logical}-"):
                    physical[logical] = layer["LatestMatchingVersion"]["LayerVersionArn"]


def repair(deployment: Deployment, clients: Any) -> None:
    _repair_state_machines(deployment, clients("stepfunctions"))
    _repair_layers(deployment, clients("lambda"))
    _repair_bucket_notifications(deployment, clients("s3"))
    _repair_subscription_filters(deployment, clients("logs"), clients("lambda"))


def _repair_state_machines(deployment: Deployment, sfn: Any) -> None:
    from moto.stepfunctions.models import stepfunctions_backends

    static = stepfunctions_backends[ACCOUNT][REGION]
    for logical, resource in deployment.resources_of_type("AWS::StepFunctions::StateMachine").items():
        arn = deployment.physical_ids[logical]
        machine = static.describe_state_machine(arn)  # where moto's CloudFormation put it
        substitutions = resource.get("Properties", {}).get("DefinitionSubstitutions") or {}
        values = {name: _resolve(value, deployment) for name, value in substitutions.items()}
        definition = substitute(machine.definition, values)
        sfn.create_state_machine(name=machine.name, definition=definition, roleArn=machine.roleArn,
                                 type=getattr(machine, "type", "STANDARD") or "STANDARD")
        deployment.repairs.append(
            f"state machine {machine.name} recreated in the executing backend ({len(values)} substitutions)")


def substitute(definition: str, values: dict[str, str]) -> str:
    """Step Functions' DefinitionSubstitutions: replace ``${Name}`` for the given names only."""
    return re.sub(r"\$\{([A-Za-z0-9_.:-]+)\}", lambda m: values.get(m.group(1), m.group(0)), definition)


def _repair_layers(deployment: Deployment, lam: Any) -> None:
    for logical, resource in deployment.resources_of_type("AWS::Lambda::Function").items():
        layers = resource.get("Properties", {}).get("Layers") or []
        arns = [_resolve(value, deployment) for value in layers]
        if arns:
            lam.update_function_configuration(FunctionName=deployment.physical_ids[logical], Layers=arns)
            deployment.repairs.append(f"layers set on {logical}")


def _repair_bucket_notifications(deployment: Deployment, s3: Any) -> None:
    for logical, resource in deployment.resources_of_type("AWS::S3::Bucket").items():
        notification = resource.get("Properties", {}).get("NotificationConfiguration") or {}
        if (notification.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled") in (True, "true"):
            s3.put_bucket_notification_configuration(
                Bucket=deployment.physical_ids[logical],
                NotificationConfiguration={"EventBridgeConfiguration": {}},
            )
            deployment.repairs.append(f"EventBridge notifications on for {logical}")
        versioning = resource.get("Properties", {}).get("VersioningConfiguration") or {}
        if versioning.get("Status") == "Enabled":
            bucket = deployment.physical_ids[logical]
            if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
                deployment.repairs.append(f"versioning on for {logical}")


def _repair_subscription_filters(deployment: Deployment, logs: Any, lam: Any) -> None:
    for logical, resource in deployment.resources_of_type("AWS::Logs::SubscriptionFilter").items():
        props = resource["Properties"]
        group = _resolve(props["LogGroupName"], deployment)
        if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
            logs.create_log_group(logGroupName=group)
        existing = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
        if existing:
            continue
        logs.put_subscription_filter(
            logGroupName=group, filterName=props.get("FilterName") or f"{deployment.stack_name}-{logical}",
            filterPattern=_resolve(props.get("FilterPattern", ""), deployment),
            destinationArn=_resolve(props["DestinationArn"], deployment),
        )
        deployment.repairs.append(f"subscription filter {logical} on {group}")


def _resolve(value: Any, deployment: Deployment) -> str:
    """Ref, Fn::GetAtt Arn/Name and pseudo parameters: enough for the properties the repairs read."""
    if isinstance(value, str | int | float):
        return str(value)
    if "Ref" in value:
        name = value["Ref"]
        if name in _PSEUDO:
            return _PSEUDO[name]
        if name in deployment.physical_ids:
            return deployment.physical_ids[name]
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        logical, attribute = target.split(".", 1) if isinstance(target, str) else target
        physical = deployment.physical_ids[logical]
        resource_type = deployment.template["Resources"][logical]["Type"]
        arn_formats = {
            "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{physical}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical.rsplit('/', 1)[-1]}",
        }
        if attribute == "Arn" and resource_type in arn_formats:
            return arn_formats[resource_type]
        if attribute in ("Arn", "TopicArn") and physical.startswith("arn:"):
            return physical
        if attribute in ("TopicName", "Name") and physical.startswith("arn:"):
            return physical.rsplit(":", 1)[-1]
    raise DeployError(f"cannot resolve {value!r} locally")


_PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com"}
