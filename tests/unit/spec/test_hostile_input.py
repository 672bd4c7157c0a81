"""Hostile or broken files: a clear problem, bounded time and memory, never a traceback."""

from __future__ import annotations

import time

import pytest
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
