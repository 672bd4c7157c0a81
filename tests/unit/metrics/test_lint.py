from __future__ import annotations

import pytest
from tunepilot.metrics.lint import LintResult, lint_metric_definition
from tunepilot.spec.builtins import XGBOOST

NUMBER = XGBOOST.regex_for("validation:auc").split(":", 1)[1]  # the built-in full-number capture
SAMPLE = XGBOOST.sample_log_line


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"loss: ([0-9.]+", "does not compile: missing ), unterminated subpattern at position 6"),
        (r"loss: [0-9.]+", "has 0 capture groups"),
        (r"(loss|acc): ([0-9.]+)", "has 2 capture groups"),
        (r"(?P<name>loss): (?P<value>[0-9.]+)", "has 2 capture groups"),
    ],
    ids=["unbalanced-paren", "no-group", "two-groups", "named-groups-count"],
)
def test_structural_errors(regex, expected):
    result = lint_metric_definition("loss", regex)
    assert len(result.errors) == 1 and expected in result.errors[0]
    assert not result.ok


@pytest.mark.parametrize(
    "regex",
    [r"loss: ([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|nan)", r"(?:val_)?loss: (?P<v>[-+]?[0-9.]+(?:e[-+]?\d+)?|nan)"],
    ids=["full-number", "named-group-and-non-capturing"],
)
def test_a_full_number_capture_is_clean(regex):
    assert lint_metric_definition("loss", regex, examples=["loss: -3.27e-06"]) == LintResult([], [])


@pytest.mark.parametrize(
    ("regex", "fragment"),
    [
        (r"loss: ([0-9.]+)", "cannot read a sign: it captures 0.5 from -0.5"),
        (r"loss: ([0-9.]+)", "cannot read an exponent: it captures 3.27 from 3.27e-06"),
        (r"loss: ([0-9.]+)", "cannot read nan (e.g. nan)"),
        (r"loss: ([0-9]+)", "cannot read a decimal point: it captures 0 from 0.93"),
        (r"loss: (\S+)", "also takes what follows the number, e.g. '0.93,' or '0.93#033[0m'"),
        (r"loss: (.+)$", "also takes what follows the number"),
        (r"F1=(.*?)", "can match an empty string"),
    ],
    ids=["sign", "exponent", "nan", "decimals", "greedy-S", "greedy-dot", "lazy-empty"],
)
def test_capture_warnings(regex, fragment):
    result = lint_metric_definition("loss", regex)
    assert result.errors == []
    assert any(fragment in w for w in result.warnings), result.warnings


def test_greedy_capture_bounded_by_what_follows_is_not_flagged():
    result = lint_metric_definition("tr_loss", r"Train_loss=(\S+);")
    assert not any("what follows" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("examples", "fragment"),
    [
        (["mse: 0.25", "MSE = 0.25"], "does not match the example line 'MSE = 0.25'"),
        (["[3]\tmse: 0.25"], None),
        (["mse: 0.25,"], None),
    ],
    ids=["unmatched-example-quoted", "tab-in-example-is-stored-as-011", "matching-example"],
)
def test_examples(examples, fragment):
    result = lint_metric_definition("mse", r"mse: ([0-9\.]+)", examples=examples)
    if fragment is None:
        assert result.errors == []
    else:
        assert len(result.errors) == 1 and fragment in result.errors[0]


def test_example_with_a_tab_the_regex_expects_as_a_real_tab_fails_and_says_why():
    result = lint_metric_definition(
        "validation:auc", r"\tvalidation-auc:([0-9.]+)", examples=["[1]\tvalidation-auc:0.9"]
    )
    assert result.errors == [
        "regex for validation:auc does not match the example line '[1]#011validation-auc:0.9' "
        "(CloudWatch stores its tab as #011)"
    ]


def test_example_whose_capture_is_no_number_is_an_error():
    result = lint_metric_definition("acc", r"acc: (\S+)", examples=["acc: 0.93, loss: 0.2"])
    assert result.errors == [
        "regex for acc captures '0.93,' from the example line 'acc: 0.93, loss: 0.2', which is not a number"
    ]


def test_long_example_is_shortened_in_the_message():
    result = lint_metric_definition("acc", r"acc: ([0-9.]+)", examples=["x" * 300])
    assert len(result.errors[0]) < 160 and "…" in result.errors[0]


@pytest.mark.parametrize(
    ("regex", "fragments"),
    [
        (rf"\tvalidation-auc:{NUMBER}", ["expects a tab, but CloudWatch stores tabs as #011"]),
        (f"\tvalidation-auc:{NUMBER}", ["expects a tab"]),
        (rf".*#011validation:auc:{NUMBER}", ["expects 'validation:auc', but the container writes 'validation-auc'"]),
        (XGBOOST.regex_for("validation:auc"), []),
    ],
    ids=["escaped-tab", "literal-tab", "colon-for-dash", "builtin-regex-is-clean"],
)
def test_builtin_format_warnings(regex, fragments):
    warnings = lint_metric_definition("validation:auc", regex, builtin_sample=SAMPLE).warnings
    for fragment in fragments:
        assert any(fragment in w for w in warnings), warnings
    if not fragments:
        assert warnings == []
