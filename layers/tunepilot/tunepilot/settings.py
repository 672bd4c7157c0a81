"""Configuration in one place, read from the environment once at cold start."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tunepilot.spec.allowlist import ANY, AllowList
from tunepilot.spec.parse import MAX_SPEC_BYTES


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    bucket: str = ""
    runs_table: str = ""
    topic_arn: str = ""
    allowed_role_arns: tuple[str, ...] = field(default_factory=tuple)
    max_spec_bytes: int = MAX_SPEC_BYTES
    # A run whose job is terminal but whose event never came is resumed after this long.
    reconcile_after_seconds: int = 300
    region: str = "us-east-1"
    # Who may deploy what: everything TunePilot creates carries the tag tunepilot:stack=<stack_name>.
    stack_name: str = ""
    account_id: str = ""
    allowed_image_registries: tuple[str, ...] = (ANY,)
    allowed_endpoint_names: tuple[str, ...] = (ANY,)

    @property
    def allow_list(self) -> AllowList:
        return AllowList(self.allowed_image_registries, self.allowed_endpoint_names, self.account_id)

    # Admission control: at most this many tuning jobs of this stack run at once; the rest queue.
    max_concurrent_tuning_jobs: int = 10

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            bucket=env.get("BUCKET_NAME", ""),
            runs_table=env.get("RUNS_TABLE", ""),
            topic_arn=env.get("ALERTS_TOPIC_ARN", ""),
            allowed_role_arns=_csv(env.get("ALLOWED_ROLE_ARNS", "")),
            max_spec_bytes=int(env.get("MAX_SPEC_BYTES", str(MAX_SPEC_BYTES))),
            reconcile_after_seconds=int(env.get("RECONCILE_AFTER_SECONDS", "300")),
            region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1")),
            stack_name=env.get("STACK_NAME", ""),
            account_id=env.get("ACCOUNT_ID", ""),
            # Unset (outside a stack) restricts nothing; set but empty allows nothing.
            allowed_image_registries=_csv(env.get("ALLOWED_IMAGE_REGISTRIES", ANY)),
            allowed_endpoint_names=_csv(env.get("ALLOWED_ENDPOINT_NAMES", ANY)),
            max_concurrent_tuning_jobs=int(env.get("MAX_CONCURRENT_TUNING_JOBS", "10")),
        )
