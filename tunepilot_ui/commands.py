"""What the CLI calls: ``tunepilot ui``, and the run page and live display of ``local run|up``, ``watch``, ``submit``.

    tunepilot ui --stack NAME [--port N] [--allow-invoke]   the run page of a stack deployed on AWS (read-only)
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI builds its parser from register(); the page's modules load only when used
    from tunepilot_ui.server import RunPageServer
    from tunepilot_ui.source import RunSource


def add_port_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=_port, default=0,
                        help="serve the run page on this port of 127.0.0.1 (default: a free one)")


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port")
    return port


def register(subparsers: Any) -> None:
    ui = subparsers.add_parser("ui", help="serve the run page of a deployed stack on 127.0.0.1 (read-only)",
                               description="Serve the run page of a TunePilot stack deployed on AWS on 127.0.0.1, "
                                           "with your credentials and read-only calls.")
    ui.add_argument("--stack", required=True, help="the CloudFormation stack name of TunePilot")
    add_port_argument(ui)
    ui.add_argument("--allow-invoke", action="store_true",
                    help="let the page's prediction form call InvokeEndpoint on the run's endpoint (off by default)")
    ui.set_defaults(func=cmd_ui)


def serve(source: RunSource, port: int, say: Callable[[str], None] = print) -> RunPageServer:
    """Start the run page and print its URL; OSError when the port is taken."""
    from tunepilot_ui.server import RunPageServer

    server = RunPageServer(source, port).start()
    say(f"run page   {server.url}  ({source.label})")
    return server


def serve_local(cloud: Any, port: int, say: Callable[[str], None] = print) -> RunPageServer:
    from tunepilot_ui.source import LocalCloudSource

    return serve(LocalCloudSource(cloud), port, say)


def cmd_ui(args: argparse.Namespace) -> int:
    from tunepilot_ui.source import SourceError, StackSource

    try:
        source = StackSource(args.stack, allow_invoke=args.allow_invoke)
        source.definition()  # fail now, with the reason, rather than on the first page load
    except SourceError as error:
        print(f"tunepilot: {error}", file=sys.stderr)
        return 2
    try:
        server = serve(source, args.port)
    except OSError as error:
        print(f"tunepilot: cannot serve on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 2
    with server:
        print("read-only: the page changes nothing" + (
            "; the prediction form may invoke endpoints" if args.allow_invoke else " (prediction form off)"))
        wait_until_interrupted()
    return 0


def wait_until_interrupted(message: str = "Ctrl-C to stop") -> None:
    """Block until Ctrl-C or SIGTERM (a shell may have started us with SIGINT ignored)."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(message, flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("stopping", flush=True)


@contextmanager
def live_display(source: RunSource, *, key: str, version_id: str | None = None,
                 interval: float = 1.0) -> Iterator[Callable[[str], None]]:
    """On a TTY, a live panel following the run of the spec at ``key``, yielding the function for other lines;
    otherwise plain ``print``, exactly as without it."""
    from tunepilot_ui import live
    from tunepilot_ui.api import RunPageApi

    if not live.wanted():
        yield _say
        return
    display = live.LiveRunDisplay(RunPageApi(source), key=key, version_id=version_id, interval=interval)
    with display:
        yield display.log


def _say(line: str) -> None:
    print(line, flush=True)
