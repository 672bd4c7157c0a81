"""Hostile or broken files: a clear problem, bounded time and memory, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from tunepilot.spec.load import validate_bytes

from tests.unit.spec.helpers import DEMO

ALIAS_BOMB = b"""a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
DEMO_TEXT = DEMO.read_text()

CASES = [
    ("alias-bomb", ALIAS_BOMB, None, "more than 20,000 values"),
    ("recursive-alias", b"a: &a\n  b: *a\n", None, "alias refers to a node that contains it"),
    ("ten-megabytes", b"name: x\n" + b"#" * (10 * 1024 * 1024), None, "at most 262,144 bytes"),
    ("deep-flow-nesting", b"a: " + b"[" * 100_000 + b"]" * 100_000, None, "nests more than 32 levels"),
    ("deep-block-nesting", "".join(f"{'  ' * i}k{i}:\n" for i in range(200)).encode(), None,
     "nests more than 32 levels"),
    ("deep-json-nesting", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", None, "nests more than 32 levels"),
    ("binary-garbage", bytes(range(256)) * 4, None, "NUL bytes"),
    ("utf16-with-bom", DEMO_TEXT.encode("utf-16"), None, "UTF-16; save it as UTF-8"),
    ("utf16-without-bom", DEMO_TEXT.encode("utf-16-le"), None, "UTF-16; save it as UTF-8"),
    ("latin1-bytes", "name: caf\u00e9\n".encode("latin-1"), None, "not UTF-8"),
    ("top-level-list", b"- name: x\n- name: y\n", None, "holds a list"),
    ("top-level-scalar", b"just some words\n", None, "holds a single value"),
    ("empty-file", b"", None, "file is empty"),
    ("only-comments", b"# nothing here\n", None, "no content"),
    ("two-documents", DEMO_TEXT.encode() + b"\n---\nname: y\n", None, "single document"),
    ("yaml-syntax-error", b"name: [unclosed\n", None, "not valid YAML"),
    ("json-syntax-error", b'{"name": "x",}', "spec.json", "not valid JSON"),
    ("json-nan", b'{"name": "x", "random_seed": NaN}', "spec.json", "NaN is not allowed"),
]


@pytest.mark.parametrize(
    ("text", "path", "needle"),
    [('{"name": "x",\n "random_seed": NaN}', "random_seed", "NaN is not allowed"),
     ('{"name": "x",\n "budget": {"max_cost_usd": -Infinity}}', "budget.max_cost_usd", "Infinity is not allowed"),
     ('{"name": "x",\n "random_seed": 1' + "0" * 5000 + "}", "random_seed", "5,001 digits is too large")],
    ids=["json-nan-field", "json-infinity-field", "json-5000-digit-integer"],
)
def test_json_non_numbers_are_problems_at_their_field(text, path, needle):
    result = validate_bytes(text.encode(), filename="spec.json")
    problems = [p for p in result.errors if p.path == path]
    assert problems and problems[0].line == 2 and needle in problems[0].message, [str(p) for p in result.errors]
    assert any(p.path == "role_arn" for p in result.errors)  # the rest of the file is still validated


@pytest.mark.parametrize(("data", "filename", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_input_is_refused_quickly(data, filename, needle):
    started = time.monotonic()
    result = validate_bytes(data, filename=filename)
    elapsed = time.monotonic() - started
    assert not result.valid
    assert any(needle in p.message for p in result.errors), [str(p) for p in result.errors]
    assert elapsed < 2.0, f"took {elapsed:.2f}s"


@pytest.mark.parametrize(
    ("text", "path", "line"),
    [
        (DEMO_TEXT.replace("random_seed: 7", "random_seed: .nan"), "random_seed", 30),
        (DEMO_TEXT.replace("  max_cost_usd: 2.00", "  max_cost_usd: .inf"), "budget.max_cost_usd", 43),
        (DEMO_TEXT.replace("    num_round: 40", "    num_round: .nan"), "hyperparameters.static.num_round", 20),
    ],
    ids=["yaml-nan-seed", "yaml-inf-budget", "yaml-nan-static"],
)
def test_nan_and_infinity_are_errors_with_lines(text, path, line):
    result = validate_bytes(text.encode())
    problems = [p for p in result.errors if p.path == path]
    assert problems and problems[0].line == line, [str(p) for p in result.errors]
    assert "finite number" in problems[0].message


def test_duplicate_key_is_an_error_with_its_line():
    text = DEMO_TEXT.replace("random_seed: 7", "random_seed: 7\nrandom_seed: 8")
    result = validate_bytes(text.encode())
    [problem] = [p for p in result.errors if p.path == "random_seed"]
    assert problem.line == 31
    assert "duplicate key 'random_seed' (first at line 30)" in problem.message


def test_duplicate_key_in_json_is_an_error():
    result = validate_bytes(b'{"name": "a",\n "name": "b"}', filename="x.json")
    assert any(p.path == "name" and "duplicate" in p.message for p in result.errors)


def test_utf8_bom_is_fine():
    result = validate_bytes(b"\xef\xbb\xbf" + DEMO_TEXT.encode())
    assert result.valid, [str(p) for p in result.errors]


def test_yaml_merge_keys_work():
    text = DEMO_TEXT.replace("    train:      {s3_uri", "    train: &csv {s3_uri").replace(
        "    validation: {s3_uri: \"s3://tunepilot-demo-data/breast-cancer/validation/\", content_type: text/csv}",
        "    validation: {<<: *csv, s3_uri: \"s3://tunepilot-demo-data/breast-cancer/validation/\"}",
    )
    result = validate_bytes(text.encode())
    assert result.valid, [str(p) for p in result.errors]
    assert result.spec is not None
    channel = result.spec.resources.channels["validation"]
    assert (channel.content_type, channel.s3_uri) == ("text/csv", "s3://tunepilot-demo-data/breast-cancer/validation/")


def test_flow_style_yaml_is_not_mistaken_for_json():
    result = validate_bytes(b"{name: x, objective: {metric: m, type: Maximize}}", filename="spec.yaml")
    assert not any("JSON" in p.message for p in result.errors)
    assert any(p.path == "role_arn" for p in result.errors)


# Typed YAML tags whose constructor fails (PyYAML raises ValueError, KeyError, AttributeError...).
TAG_CASES = [
    ("float-tag", "random_seed: 7", "random_seed: !!float x", "random_seed", 30, "!!float"),
    ("int-tag", "random_seed: 7", "random_seed: !!int x", "random_seed", 30, "!!int"),
    ("bool-tag", "random_seed: 7", "random_seed: !!bool x", "random_seed", 30, "!!bool"),
    ("timestamp-tag", "random_seed: 7", "random_seed: !!timestamp x", "random_seed", 30, "!!timestamp"),
    ("int-tag-too-many-digits", "random_seed: 7", "random_seed: !!int " + "9" * 5000, "random_seed", 30, "!!int"),
    ("set-tag-on-a-mapping", "    num_round: 40", "    num_round: !!set {a, b}", "hyperparameters.static.num_round",
     20, "!!set"),
    ("float-tag-in-a-list", "  max_jobs: 12", "  max_jobs: [!!float x]", "limits.max_jobs[0]", 25, "!!float"),
    ("python-tag", "random_seed: 7", "random_seed: !!python/object/apply:os.system [echo]", "random_seed", 30,
     "!!python/object/apply:os.system is not supported"),
]


@pytest.mark.parametrize(("old", "new", "path", "line", "needle"), [c[1:] for c in TAG_CASES],
                         ids=[c[0] for c in TAG_CASES])
def test_typed_tags_that_fail_are_problems_at_their_field(old, new, path, line, needle):
    result = validate_bytes(DEMO_TEXT.replace(old, new).encode())
    assert not result.valid
    problems = [p for p in result.errors if p.path == path]
    assert problems and problems[0].line == line, [str(p) for p in result.errors]
    assert needle in problems[0].message


SURROGATE_CASES = [
    ("value", "project: tunepilot-demo", 'project: "\\ud800"', "resources.tags.project", 40),
    ("value-in-json", None, '"\\ud800"', "name", 2),
    ("key", "project: tunepilot-demo", '"bad\\udfffkey": x', "resources.tags.bad\\udfffkey", 40),
    ("key-in-json", None, None, "\\ud800", 2),
]


def _surrogate_spec(old: str | None, new: str | None) -> tuple[bytes, str | None]:
    if old is not None:  # plus another mistake, which the bad text must not hide
        return DEMO_TEXT.replace(old, new).replace("random_seed: 7", "random_seed: -1").encode(), None
    data = yaml.safe_load(DEMO_TEXT)
    data["random_seed"] = -1
    text = json.dumps(data, indent=1)
    text = text.replace('"xgb-breast-cancer"', new, 1) if new else text.replace('"name"', '"\\ud800"', 1)
    return text.encode(), "spec.json"


@pytest.mark.parametrize(("old", "new", "path", "line"), [c[1:] for c in SURROGATE_CASES],
                         ids=[c[0] for c in SURROGATE_CASES])
def test_lone_surrogates_are_problems_at_their_path_and_encode(old, new, path, line):
    data, filename = _surrogate_spec(old, new)
    result = validate_bytes(data, filename=filename)
    paths = {p.path: p for p in result.errors}
    assert path in paths and paths[path].line == line, [str(p) for p in result.errors]
    assert "surrogate" in paths[path].message
    assert "random_seed" in paths  # the other problem is still reported
    for problem in result.errors:
        str(problem).encode("utf-8")  # text-mode validate prints these
    json.dumps(result.to_json(), ensure_ascii=False).encode("utf-8")  # validation.json


def test_text_mode_validate_prints_a_surrogate_problem(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(DEMO_TEXT.replace("project: tunepilot-demo", 'project: "\\ud800"'))
    cli = Path(sys.executable).parent / "tunepilot"
    done = subprocess.run([str(cli), "validate", str(spec)], capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 1, done.stderr.decode()
    assert "resources.tags.project: holds a lone surrogate escape (\\ud800)" in done.stdout.decode()
    assert b"Traceback" not in done.stderr


def test_sns_alert_with_a_lone_surrogate_is_sent_escaped():
    from moto import mock_aws
    from tunepilot.aws import sns
    from tunepilot.aws.clients import clients

    with mock_aws():
        clients.reset()
        topic = clients.sns.create_topic(Name="alerts")["TopicArn"]
        queue = clients.get("sqs").create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = clients.get("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        clients.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"],
                              Attributes={"RawMessageDelivery": "true"})
        sns.publish(topic, "TunePilot: bad \ud800 spec", "problem: \ud800 here")
        [message] = clients.get("sqs").receive_message(QueueUrl=queue)["Messages"]
        clients.reset()
    assert message["Body"] == "problem: \\ud800 here"
