"""`tunepilot validate` and friends never pay for the local cloud: building the parser imports no moto."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import tunepilot_cli
tunepilot_cli.build_parser()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"tunepilot_local", "moto", "samcli", "xgboost"})))
"""


def test_registering_every_command_imports_no_local_cloud() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(done.stdout) == []
