"""The one way the local cloud patches moto: a class-level replacement that serves one active object.

The Lambda runner, the EventBridge delivery and the SageMaker platform each replace moto methods on
the class, once per process, and the replacement asks its ``ActivePatch`` which object to serve. With
none active (after ``close()``, or in a test that never installed one) it falls back to moto's own method.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ActivePatch(Generic[T]):
    def __init__(self) -> None:
        self.active: T | None = None
        self.originals: dict[str, Any] = {}  # moto's methods, by name, as they were before the patch

    def replace(self, owner: type, name: str, replacement: Any) -> None:
        """Put ``replacement`` in place of ``owner.<name>``, once per process; moto's stays in ``originals``."""
        if name not in self.originals:
            self.originals[name] = getattr(owner, name)
            setattr(owner, name, replacement)

    def activate(self, value: T) -> None:
        self.active = value

    def serve(self, value: T, owner: type, name: str, replacement: Any) -> None:
        """Patch ``owner.<name>`` (if not yet) and make ``value`` the object it serves."""
        self.replace(owner, name, replacement)
        self.activate(value)

    def deactivate(self, value: T) -> None:
        """Stop serving ``value``; a newer active object (installed since) is left alone."""
        if self.active is value:
            self.active = None
