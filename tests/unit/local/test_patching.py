"""ActivePatch: one class-level replacement per process, serving the newest active object."""

from __future__ import annotations

from typing import Any

import pytest

from tunepilot_local.patching import ActivePatch


def _make() -> tuple[type, ActivePatch[str]]:
    class Backend:
        def greet(self) -> str:
            return "moto"

    patch: ActivePatch[str] = ActivePatch()

    def greet(self: Any) -> str:
        return f"served by {patch.active}" if patch.active else patch.originals["greet"](self)

    patch.replace(Backend, "greet", greet)
    return Backend, patch


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([], "moto"),
        ([("serve", "a")], "served by a"),
        ([("serve", "a"), ("stop", "a")], "moto"),
        ([("serve", "a"), ("serve", "b"), ("stop", "a")], "served by b"),
        ([("serve", "a"), ("serve", "b"), ("stop", "b")], "moto"),
    ],
    ids=["nothing-active-falls-back", "active-served", "stopped-falls-back", "older-stop-keeps-newer",
         "newest-stopped"],
)
def test_the_replacement_serves_the_active_object(steps: list[tuple[str, str]], expected: str) -> None:
    backend, patch = _make()
    for action, value in steps:
        if action == "serve":
            patch.serve(value, backend, "greet", lambda self: "a second replacement must not win")
        else:
            patch.deactivate(value)
    assert backend().greet() == expected


def test_patching_twice_keeps_the_first_original() -> None:
    backend, patch = _make()
    patch.replace(backend, "greet", lambda self: "again")
    assert patch.originals["greet"](backend()) == "moto"
