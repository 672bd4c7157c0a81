"""Configuration in one place, read from the environment once at cold start."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    bucket: str = ""
    runs_table: str = ""
    topic_arn: str = ""
    allowed_role_arns: tuple[str, ...] = field(default_factory=tuple)
    max_spec_bytes: int = 256 * 1024
    # A run whose job is terminal but whose event never came is resumed after this long.
    reconcile_after_seconds: int = 300
    region: str = "us-east-1"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            bucket=env.get("BUCKET_NAME", ""),
            runs_table=env.get("RUNS_TABLE", ""),
            topic_arn=env.get("ALERTS_TOPIC_ARN", ""),
            allowed_role_arns=_csv(env.get("ALLOWED_ROLE_ARNS", "")),
            max_spec_bytes=int(env.get("MAX_SPEC_BYTES", str(256 * 1024))),
            reconcile_after_seconds=int(env.get("RECONCILE_AFTER_SECONDS", "300")),
            region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1")),
        )
