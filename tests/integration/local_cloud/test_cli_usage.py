"""`tunepilot local run` refuses bad input with exit 2 before starting anything."""

import pytest

from tunepilot_cli import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["local", "run", "does-not-exist.yaml"], "no spec at does-not-exist.yaml"),
        (["local", "run", "examples/xgboost-breast-cancer.yaml", "--timeout", "soon"], "--timeout"),
    ],
    ids=["missing-spec", "bad-timeout"],
)
def test_usage_errors_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    assert expected in capsys.readouterr().err


def test_local_without_subcommand_is_a_usage_error():
    assert main(["local"]) == 2
