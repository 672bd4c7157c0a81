"""Built-in SageMaker algorithms TunePilot knows: image URIs and metric definitions.

The user of a built-in algorithm writes no regex: SageMaker knows the metrics the
container prints, and so do we. The regexes below match the container's log lines as
CloudWatch stores them, where a tab is escaped as ``#011``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# A number as Python's float() reads it: sign, decimals, exponent, nan/inf.
NUMBER = r"([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|nan|inf))"

# ECR registry accounts of the XGBoost container, per region (from the SageMaker docs).
_XGBOOST_ACCOUNTS = {
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-central-1": "492215442770",
    "ap-northeast-1": "354813040037",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-south-1": "720646828776",
    "ca-central-1": "341280168497",
}

_XGBOOST_METRICS = (
    "accuracy", "auc", "aucpr", "error", "f1", "logloss", "mae", "map", "merror",
    "mlogloss", "mse", "ndcg", "rmse", "rmsle", "mape", "cox-nloglik", "gamma-deviance",
    "gamma-nloglik", "poisson-nloglik", "tweedie-nloglik",
)


@dataclass(frozen=True)
class BuiltinAlgorithm:
    name: str
    repository: str
    versions: tuple[str, ...]
    accounts: dict[str, str]
    metric_definitions: tuple[dict[str, str], ...]
    # A line the container prints, used to lint user regexes against its format.
    sample_log_line: str

    def image_uri(self, region: str, version: str) -> str:
        account = self.accounts.get(region, self.accounts["us-east-1"])
        return f"{account}.dkr.ecr.{region}.amazonaws.com/{self.repository}:{version}"

    def metric_names(self) -> tuple[str, ...]:
        return tuple(d["Name"] for d in self.metric_definitions)

    def regex_for(self, metric: str) -> str | None:
        return next((d["Regex"] for d in self.metric_definitions if d["Name"] == metric), None)

    def with_user_metrics(self, user: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
        """Every metric a job of this algorithm reports, ``[{"Name", "Regex"}]``: the built-in
        definitions, then the user's; a user definition replaces the built-in one of its name."""
        extra = [dict(d) for d in user]
        names = {d["Name"] for d in extra}
        return [dict(d) for d in self.metric_definitions if d["Name"] not in names] + extra


def _xgboost_metric(channel: str, metric: str) -> dict[str, str]:
    return {"Name": f"{channel}:{metric}", "Regex": rf".*\[[0-9]+\].*#011{channel}-{metric}:{NUMBER}"}


XGBOOST = BuiltinAlgorithm(
    name="xgboost",
    repository="sagemaker-xgboost",
    versions=("1.7-1", "1.5-1", "1.3-1", "1.2-2", "1.0-1"),
    accounts=_XGBOOST_ACCOUNTS,
    metric_definitions=tuple(
        _xgboost_metric(channel, metric) for channel in ("train", "validation") for metric in _XGBOOST_METRICS
    ),
    sample_log_line="[12]#011train-auc:0.99417#011validation-auc:0.98173",
)

BUILTIN_ALGORITHMS: dict[str, BuiltinAlgorithm] = {XGBOOST.name: XGBOOST}


def builtin_for_image(image_uri: str) -> BuiltinAlgorithm | None:
    """The built-in algorithm an image URI belongs to, if any (used by the local platform)."""
    repository = image_uri.rsplit("/", 1)[-1].split(":", 1)[0]
    return next((a for a in BUILTIN_ALGORITHMS.values() if a.repository == repository), None)
