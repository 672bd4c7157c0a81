"""Property-based tests of ``validate_bytes`` over arbitrary documents, raw YAML and mutated real specs.

Whatever the bytes:
- validation never raises;
- a file that parsed to a mapping but is invalid names at least one field path;
- a valid spec compiles to a request botocore accepts (its own parameter validation) and that meets
  every pattern, enum, length and count of SageMaker's service model (checked here by walking the
  request, independently of the validator's own per-field table).

The default profile is derandomized and small so ``make test`` stays fast and stable; set
``HYPOTHESIS_PROFILE=explore`` (and ``HYPOTHESIS_EXAMPLES=N``) to search much longer.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import regex
import yaml
from botocore.validate import validate_parameters
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tunepilot.compile.request import compile_request
from tunepilot.runid import run_id_for, tuning_job_name
from tunepilot.spec.load import ValidationResult, validate_bytes

REPO = Path(__file__).resolve().parents[3]
SPEC_FILES = sorted([*REPO.glob("examples/*.yaml"), *REPO.glob("tests/data/specs/*/*.yaml"),
                     *REPO.glob("tests/data/specs/*/*.json")])
SPEC_TEXTS = [p.read_text() for p in SPEC_FILES]

settings.register_profile("tunepilot", max_examples=50, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("explore", max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "3000")),
                          deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "tunepilot"))
# The near-miss test finds most valid specs, so it gets more of the examples.
LEAF_PROFILE = settings(PROFILE, max_examples=PROFILE.max_examples * 4)

# --- the oracle ----------------------------------------------------------------------------


@cache
def _model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def _shape_problems(value: Any, shape: Any, where: str) -> list[str]:
    """Every constraint of ``shape`` that ``value`` breaks: full-match patterns, enums, lengths, counts, ranges."""
    meta, kind = shape.metadata, shape.type_name
    found: list[str] = []
    if kind == "structure":
        for name, member in shape.members.items():
            if name in value:
                found += _shape_problems(value[name], member, f"{where}.{name}")
        return found
    if kind in ("list", "map", "string"):
        size = len(value)
        if size > meta.get("max", size) or size < meta.get("min", size):
            found.append(f"{where}: size {size} outside {meta.get('min')}..{meta.get('max')}")
    if kind == "list":
        for i, item in enumerate(value):
            found += _shape_problems(item, shape.member, f"{where}[{i}]")
    elif kind == "map":
        for key, item in value.items():
            found += _shape_problems(key, shape.key, f"{where} key {key!r}")
            found += _shape_problems(item, shape.value, f"{where}[{key!r}]")
    elif kind == "string":
        if getattr(shape, "enum", None) and value not in shape.enum:
            found.append(f"{where}: {value!r} not in enum")
        if "pattern" in meta and not regex.compile(meta["pattern"]).fullmatch(value, timeout=1.0):
            found.append(f"{where}: {value!r} does not fully match {meta['pattern']}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            found.append(f"{where}: {value!r} cannot be encoded")
    elif kind in ("integer", "long", "float", "double") and (
            value > meta.get("max", value) or value < meta.get("min", value)):
        found.append(f"{where}: {value} outside {meta.get('min')}..{meta.get('max')}")
    return found


def _request_problems(request: dict[str, Any], operation: str) -> list[str]:
    return _shape_problems(request, _model().operation_model(operation).input_shape, operation)


def _loads_to_mapping(data: bytes, filename: str | None) -> bool:
    """True when the file is a mapping to the standard loaders (json.loads, yaml.safe_load) read as UTF-8."""
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        loaded = json.loads(text) if filename and filename.endswith(".json") else yaml.safe_load(text)
    except Exception:  # any refusal of theirs: not a mapping
        return False
    return isinstance(loaded, dict)


def check(data: bytes, filename: str | None = None) -> ValidationResult:
    result = validate_bytes(data, filename=filename)  # must not raise, whatever the bytes
    mapping = _loads_to_mapping(data, filename)
    event("valid" if result.valid else "invalid mapping" if mapping else "not a mapping")
    if not result.valid and mapping:
        assert any(p.path for p in result.errors), [str(p) for p in result.errors]
    for problem in [*result.errors, *result.warnings]:
        str(problem).encode("utf-8")
    json.dumps(result.to_json(), ensure_ascii=False).encode("utf-8")
    if result.valid:
        spec = result.spec
        assert spec is not None
        run_id = run_id_for("bucket", "specs/fuzz.yaml", hashlib.sha256(data).hexdigest())
        request = compile_request(spec, tuning_job_name=tuning_job_name(run_id), run_id=run_id)
        operation = _model().operation_model("CreateHyperParameterTuningJob")
        validate_parameters(request, operation.input_shape)  # raises ParamValidationError
        problems = _request_problems(request, "CreateHyperParameterTuningJob")
        if spec.deploy is not None and spec.deploy.endpoint_name and spec.deploy.instance_type:
            problems += _request_problems({"EndpointName": spec.deploy.endpoint_name}, "CreateEndpoint")
            variant = {"InstanceType": spec.deploy.instance_type, "InitialInstanceCount": spec.deploy.instance_count}
            problems += _request_problems({"ProductionVariants": [variant]}, "CreateEndpointConfig")
        assert not problems, problems
    return result


# --- strategies ----------------------------------------------------------------------------

TOP_KEYS = ["name", "objective", "algorithm", "hyperparameters", "strategy", "early_stopping", "limits",
            "completion_criteria", "random_seed", "warm_start", "resources", "role_arn", "budget", "baseline",
            "deploy", "on_metric_mismatch"]
# Values aimed at what SageMaker refuses and YAML's sharp edges.
NASTY_TEXT = ["xgb-breast-cancer\n", "ml.m5.largee", "ml.m7i-flex.large", "ml.zz9.large", "demo! (v2)", "équipe",
              "\ud800", "\ud83d\ude00", "\x00", "a\tb", "", " ", "-", "x" * 300, "s3://b/k", "s3://", "(a|a)+b",
              "auc=([0-9.]+)", "(auc)=(x)", "60d", "31d", "30d23h", "10m", "1e9", "-1", "nan", "Off", "yes"]
YAML_VALUES = ["!!float x", "!!int 0x", "!!int " + "9" * 5000, "!!bool maybe", "!!timestamp 2020-13-45",
               "!!binary ===", "!!set {a, b}", "!!omap [a: 1]", "!!python/name:os.system", "!foo bar", "!!str 1",
               "!!null x", "&a [1, 2]", "*a", "*undefined", '"\\ud800"', '"\\ud83d\\ude00"', '"\\U0010ffff"',
               ".nan", "-.inf", "|\n  text", "|-\n  text", ">\n  folded", "{", "[", "? [a]", "<<: *a", "~",
               "0o17", "1_000", "2001-12-14t21:59:43.10-05:00", "'quoted''s'", '"\\t"', "[1, [2, [3]]]", "{a: {b: c}}"]


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8", "surrogatepass")
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


ENCODINGS = st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-bom", "utf-16", "utf-32", "latin-1"])
LEAVES = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True)
          | st.sampled_from(NASTY_TEXT) | st.text(max_size=12))
DOCUMENTS = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.sampled_from(TOP_KEYS) | st.text(max_size=8), inner, max_size=5),
                         max_leaves=25)


def _dump(document: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(document, ensure_ascii=False)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@PROFILE
@given(document=DOCUMENTS, as_json=st.booleans())
def test_arbitrary_documents(document, as_json):
    check(_dump(document, as_json).encode("utf-8", "surrogatepass"), "spec.json" if as_json else None)


@PROFILE
@given(lines=st.lists(st.tuples(st.sampled_from([*TOP_KEYS, "a", "<<", "? x"]), st.sampled_from(YAML_VALUES)),
                      min_size=1, max_size=8),
       encoding=ENCODINGS)
def test_raw_yaml(lines, encoding):
    text = "".join(f"{key}: {value}\n" for key, value in lines)
    check(_encode(text, encoding))


def _leaf_paths(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [path] + [p for k, v in node.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(node, list):
        return [path] + [p for i, v in enumerate(node) for p in _leaf_paths(v, (*path, i))]
    return [path]


def _set(document: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return document


@PROFILE
@given(data=st.data(), index=st.integers(0, len(SPEC_TEXTS) - 1), as_json=st.booleans())
def test_mutated_real_specs_by_value(data, index, as_json):
    document = yaml.safe_load(SPEC_TEXTS[index])
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _leaf_paths(document)
        path = data.draw(st.sampled_from(paths[1:] or paths))
        document = _set(document, path, data.draw(LEAVES | DOCUMENTS))
    check(_dump(document, as_json).encode("utf-8", "surrogatepass"), "spec.json" if as_json else None)


@PROFILE
@given(data=st.data(), index=st.integers(0, len(SPEC_TEXTS) - 1), encoding=ENCODINGS)
def test_mutated_real_specs_by_text(data, index, encoding):
    lines = SPEC_TEXTS[index].splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        action = data.draw(st.sampled_from(["value", "delete", "duplicate", "insert"]))
        if action == "value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[at] = f"{key}: {data.draw(st.sampled_from(YAML_VALUES + NASTY_TEXT))}"
        elif action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, line)
        else:
            indent = " " * data.draw(st.sampled_from([0, 2, 4]))
            key = data.draw(st.sampled_from([*TOP_KEYS, "extra", "tags", "environment"]))
            lines.insert(at, f"{indent}{key}: {data.draw(st.sampled_from(YAML_VALUES))}")
        if not lines:
            break
    check(_encode("\n".join(lines) + "\n", encoding))


def _variants(text: str) -> st.SearchStrategy[str]:
    """Near misses of a real value: what a typo, a YAML block or a paste does to it."""
    return st.sampled_from([text + "\n", text + "!", text + " ", " " + text, text.upper(), text[:-1], text + text,
                            text.replace("-", "_"), text.replace(".", ""), text + "\ud800", text + "é", text * 20])


@LEAF_PROFILE
@given(data=st.data(), index=st.integers(0, len(SPEC_TEXTS) - 1))
def test_mutated_real_specs_by_text_leaf(data, index):
    """One text or number changed to a near miss: most such specs stay well-formed, so the valid ones are many."""
    document = yaml.safe_load(SPEC_TEXTS[index])
    leaves = [p for p in _leaf_paths(document) if p and isinstance(_get(document, p), str | int | float)]
    path = data.draw(st.sampled_from(leaves))
    old = _get(document, path)
    if isinstance(old, str):
        new: Any = data.draw(_variants(old) | st.sampled_from(NASTY_TEXT) | st.text(max_size=20))
    else:
        new = data.draw(st.sampled_from([0, -1, 1, 2, 3, 29, 31, 48, 49, 100, 101, 120, 2**31, 2**63, 0.5, 1e308])
                        | st.integers() | st.floats(allow_nan=False))
    check(_dump(_set(document, path, new), as_json=False).encode("utf-8", "surrogatepass"))


def _get(document: Any, path: tuple) -> Any:
    for part in path:
        document = document[part]
    return document
