"""``tunepilot diagnose-log``: exit codes, JSON shape and human output, run through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunepilot_cli import main

LOGS = Path(__file__).resolve().parents[2] / "data" / "logs"
XGB_CW = str(LOGS / "xgboost-builtin.cloudwatch.log")
BUILTIN_AUC = r".*\[[0-9]+\].*#011validation-auc:([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
JSON_KEYS = ["name", "regex", "matched", "match_count", "last_value", "near_misses", "suggested_regex", "diagnosis"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["diagnose-log", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("log", "metrics", "code"),
    [
        (XGB_CW, [f"validation:auc={BUILTIN_AUC}"], 0),
        (str(LOGS / "xgboost-builtin.notebook.log"), [f"validation:auc={BUILTIN_AUC}"], 0),
        (XGB_CW, [r"validation:auc=\tvalidation-auc:([0-9.]+)"], 1),
        (XGB_CW, [f"validation:auc={BUILTIN_AUC}", r"validation:f1=f1: ([0-9.]+)"], 1),
        (str(LOGS / "cloudwatch-export.json"), [f"validation:auc={BUILTIN_AUC}"], 0),
        (str(LOGS / "noise.cloudwatch.log"), [r"loss=loss: ([0-9.]+)"], 1),
    ],
    ids=["builtin-regex-cloudwatch", "builtin-regex-notebook-tabs", "tab-regex", "one-of-two-unmatched",
         "cloudwatch-json-export", "noise-only"],
)
def test_exit_code_says_whether_every_metric_matched(capsys, log, metrics, code):
    argv = [log]
    for metric in metrics:
        argv += ["--metric", metric]
    assert run(capsys, *argv)[0] == code


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([str(LOGS / "missing.log"), "--metric", "a=a: (\\d+)"], "cannot read"),
        ([XGB_CW, "--metric", "no-equals-sign"], "--metric takes NAME=REGEX"),
        ([XGB_CW, "--metric", "=regex(x)"], "--metric takes NAME=REGEX"),
        ([XGB_CW, "--metric", "auc=auc: ([0-9.]+"], "does not compile: missing ), unterminated subpattern"),
        ([XGB_CW, "--metric", "auc=auc: [0-9.]+"], "no capture group"),
        ([XGB_CW], ""),
        ([XGB_CW, "--spec", "s.yaml", "--metric", "a=(x)"], ""),
    ],
    ids=["missing-file", "no-equals", "empty-name", "bad-regex", "no-group", "neither-spec-nor-metric",
         "both-spec-and-metric"],
)
def test_usage_errors_exit_2_without_traceback(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and "Traceback" not in err
    assert message in err


def test_json_shape(capsys):
    code, out, _ = run(
        capsys, XGB_CW, "--json", "--metric", f"validation:auc={BUILTIN_AUC}",
        "--metric", r"train:auc=\ttrain-auc:([0-9.]+)",
    )
    data = json.loads(out)
    assert code == 1 and list(data) == ["all_matched", "metrics"] and data["all_matched"] is False
    good, bad = data["metrics"]
    assert [list(m) for m in data["metrics"]] == [JSON_KEYS, JSON_KEYS]
    assert good == {
        "name": "validation:auc", "regex": BUILTIN_AUC, "matched": True, "match_count": 6, "last_value": 0.98173,
        "near_misses": [], "suggested_regex": None, "diagnosis": None,
    }
    assert bad["matched"] is False and bad["match_count"] == 0 and bad["last_value"] is None
    assert bad["near_misses"][0] == "[0]#011train-auc:0.96521#011validation-auc:0.95164"
    assert bad["suggested_regex"].startswith("#011train-auc:") and "#011" in bad["diagnosis"]


def test_json_has_no_nan_literal(capsys):
    log = LOGS / "huggingface-trainer.cloudwatch.log"
    _, out, _ = run(capsys, str(log), "--json", "--metric", r"loss='loss': ([-+]?[0-9.]+(?:e[-+]?[0-9]+)?|nan)")
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["metrics"][0]["last_value"] == "nan"  # the run diverged; JSON has no NaN, so it is text


def test_human_output_has_one_block_per_metric(capsys):
    log = LOGS / "keras-ansi.notebook.log"
    code, out, _ = run(capsys, str(log), "--metric", r"val_acc=val_acc: (\S+)", "--metric", r"loss=loss: ([0-9.]+)")
    blocks = out.strip().split("\n\n")
    assert code == 1 and len(blocks) == 2
    assert blocks[0].startswith("val_acc: NOT MATCHED") and "ANSI colour codes" in blocks[0]
    assert "suggested:  'val_acc: (?:#033" in blocks[0]
    assert blocks[1].startswith("loss: matched")


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize(
    ("spec", "names", "code"),
    [
        ("xgboost-breast-cancer.yaml", ["validation:auc"], 0),
        ("script-mode-pytorch.yaml", None, 1),
    ],
    ids=["builtin-checks-only-the-objective", "script-mode-checks-its-definitions"],
)
def test_spec_definitions(capsys, spec, names, code):
    got, out, _ = run(capsys, XGB_CW, "--spec", str(EXAMPLES / spec), "--json")
    metrics = [m["name"] for m in json.loads(out)["metrics"]]
    assert got == code
    assert metrics == names if names else metrics and metrics[0] == "validation:accuracy"


def test_invalid_spec_exits_2_with_its_errors(capsys, tmp_path):
    (tmp_path / "spec.yaml").write_text("{}\n")
    code, _, err = run(capsys, XGB_CW, "--spec", str(tmp_path / "spec.yaml"))
    assert code == 2 and "objective" in err
