"""What a stack lets a spec choose: image registries and endpoint names (pure checks, no AWS calls).

``AllowedImageRegistries`` entries are 12-digit account ids (their ECR registry in any region),
registry hosts (``ghcr.io``, ``123456789012.dkr.ecr.eu-west-1.amazonaws.com``), ``sagemaker`` (the
AWS-owned accounts that host SageMaker's built-in algorithm and framework images), ``self`` (the
stack's own account) or ``*`` (any registry). ``AllowedEndpointNames`` entries are fnmatch patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from tunepilot.spec.builtins import BUILTIN_ALGORITHMS

ANY = "*"
SAGEMAKER = "sagemaker"
SELF = "self"

# AWS-owned ECR accounts that host SageMaker images:
# - the built-in algorithms TunePilot knows (XGBoost, and scikit-learn, which shares its accounts),
_BUILTIN_ACCOUNTS = {account for algorithm in BUILTIN_ALGORITHMS.values() for account in algorithm.accounts.values()}
# - the older built-in algorithms (linear-learner, k-means, ...), per region,
_LEGACY_ALGORITHM_ACCOUNTS = {
    "382416733822",  # us-east-1
    "404615174143",  # us-east-2
    "632365934929",  # us-west-1
    "174872318107",  # us-west-2
    "438346466558",  # eu-west-1
    "644912444149",  # eu-west-2
    "664544806723",  # eu-central-1
    "351501993468",  # ap-northeast-1
    "475088953585",  # ap-southeast-1
    "712309505854",  # ap-southeast-2
    "991648021394",  # ap-south-1
    "469771592824",  # ca-central-1
}
# - the Deep Learning Containers (PyTorch, TensorFlow, Hugging Face framework images).
_FRAMEWORK_ACCOUNTS = {
    "763104351884",  # every commercial region but the opt-in ones below
    "626614931356",  # af-south-1
    "871362719292",  # ap-east-1
    "692866216735",  # eu-south-1
    "217643126080",  # me-south-1
}
SAGEMAKER_ACCOUNTS: frozenset[str] = frozenset(_BUILTIN_ACCOUNTS | _LEGACY_ALGORITHM_ACCOUNTS | _FRAMEWORK_ACCOUNTS)

_ACCOUNT_ID = re.compile(r"\d{12}")
_ECR_HOST = re.compile(r"(?P<account>\d{12})\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")


@dataclass(frozen=True)
class AllowList:
    """The stack's allow-lists; the defaults restrict nothing (``tunepilot validate`` without a stack)."""

    image_registries: tuple[str, ...] = (ANY,)
    endpoint_names: tuple[str, ...] = (ANY,)
    account_id: str = ""  # what ``self`` means


def registry_of(image_uri: str) -> str:
    """The registry host of an image URI (``host[:port]/repository[:tag|@digest]``)."""
    return image_uri.split("/", 1)[0].lower()


def ecr_account_of(registry: str) -> str | None:
    match = _ECR_HOST.fullmatch(registry)
    return match.group("account") if match else None


def _registry_allowed(registry: str, entry: str, account_id: str) -> bool:
    entry = entry.strip().lower()
    account = ecr_account_of(registry)
    if entry == ANY:
        return True
    if entry == SAGEMAKER:
        return account in SAGEMAKER_ACCOUNTS
    if entry == SELF:
        return bool(account_id) and account == account_id
    if _ACCOUNT_ID.fullmatch(entry):
        return account == entry
    return registry == entry


def image_problem(image_uri: str, allow: AllowList) -> str | None:
    """Why the stack refuses this image, or None."""
    registry = registry_of(image_uri)
    if any(_registry_allowed(registry, entry, allow.account_id) for entry in allow.image_registries):
        return None
    allowed = ", ".join(allow.image_registries) or "none (AllowedImageRegistries is empty)"
    return f"registry {registry} is not allowed by this stack; AllowedImageRegistries: {allowed}"


def endpoint_name_problem(name: str, allow: AllowList) -> str | None:
    """Why the stack refuses to deploy to this endpoint name, or None."""
    if any(fnmatchcase(name, pattern.strip()) for pattern in allow.endpoint_names):
        return None
    allowed = ", ".join(allow.endpoint_names) or "none (AllowedEndpointNames is empty)"
    return f"endpoint {name} is not allowed by this stack; AllowedEndpointNames: {allowed}"
