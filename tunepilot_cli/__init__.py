"""The ``tunepilot`` command line.

Each command group lives in its own module with ``register(subparsers)``; the handler it
sets as ``func`` returns the process exit code. Exit codes: 0 ok, 1 a negative answer
(invalid spec, unmatched metric, failed run), 2 usage or I/O errors.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules are imported lazily by name so `tunepilot validate` never pays for the local cloud.
_COMMAND_MODULES = ("spec_cmds", "diagnose", "runs", "local", "ui", "analyze", "importing")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tunepilot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tunepilot compile spec.yaml | head`: the reader left, not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
