"""``tunepilot ui --stack NAME [--port N] [--allow-invoke]``: the run page of a deployed stack (client side)."""

from __future__ import annotations

from typing import Any


def register(subparsers: Any) -> None:
    from tunepilot_ui.commands import register as register_ui

    register_ui(subparsers)
