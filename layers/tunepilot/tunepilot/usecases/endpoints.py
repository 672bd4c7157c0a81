"""Which endpoints this stack may deploy to: those it created, which carry its tunepilot:stack tag."""

from __future__ import annotations

from tunepilot.aws import sagemaker
from tunepilot.compile.request import STACK_TAG_KEY
from tunepilot.usecases.context import settings


def stack_tags() -> dict[str, str]:
    """The tag every resource TunePilot creates carries (IAM lets Deploy touch only endpoints with it)."""
    return {STACK_TAG_KEY: settings.stack_name} if settings.stack_name else {}


def foreign_endpoint_problem(endpoint_name: str) -> str | None:
    """Why this stack must leave an existing endpoint alone, or None (no such endpoint, or ours)."""
    tags = sagemaker.endpoint_tags(endpoint_name)
    if tags is None:
        return None
    owner = tags.get(STACK_TAG_KEY)
    if owner and owner == settings.stack_name:
        return None
    whose = f"TunePilot stack {owner}" if owner else "no TunePilot stack"
    return (
        f"endpoint {endpoint_name} exists and belongs to {whose}; stack {settings.stack_name or '?'} deploys only "
        f"to endpoints it created (tag {STACK_TAG_KEY}={settings.stack_name or '?'}): choose another endpoint_name"
    )
