"""The CLI's run-page flags: parsed as documented, bad ports refused as usage errors."""

from __future__ import annotations

import pytest

try:  # the CLI is moving out of the layer into its own client-side package
    from tunepilot_cli import build_parser
except ImportError:
    from tunepilot.cli import build_parser


@pytest.mark.parametrize(("argv", "expected"), [
    (["local", "run", "s.yaml"], {"port": 0, "keep": False}),
    (["local", "run", "s.yaml", "--keep", "--port", "8765"], {"port": 8765, "keep": True}),
    (["local", "up", "--port", "8766"], {"port": 8766}),
    (["ui", "--stack", "tunepilot"], {"stack": "tunepilot", "port": 0, "allow_invoke": False}),
    (["ui", "--stack", "tunepilot", "--port", "9000", "--allow-invoke"],
     {"stack": "tunepilot", "port": 9000, "allow_invoke": True}),
], ids=["run-defaults", "run-keep-port", "up-port", "ui-defaults", "ui-allow-invoke"])
def test_flags(argv, expected):
    args = vars(build_parser().parse_args(argv))
    assert {k: args[k] for k in expected} == expected


@pytest.mark.parametrize("argv", [
    ["local", "run", "s.yaml", "--port", "70000"], ["ui", "--stack", "s", "--port", "-1"], ["ui"],
    ["ui", "--stack", "s", "--port", "http"],
], ids=["port-too-big", "negative-port", "no-stack", "port-not-a-number"])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2 and "error:" in capsys.readouterr().err
