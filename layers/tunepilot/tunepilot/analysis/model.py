"""``analysis.json``: the issue's field names, plus what the report and the next spec need."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tunepilot.analysis.trials import ObjectiveSpec

VERDICT_CONVERGED = "converged"
VERDICT_IMPROVING = "still improving: more jobs would likely help"
VERDICT_FLAT = "flat from the start: check that these hyperparameters matter"
VERDICT_NONE = "no scored job: nothing to judge"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobCounts(_Out):
    total: int = 0
    completed: int = 0
    failed: int = 0
    stopped: int = 0
    no_objective: int = 0
    in_progress: int = 0
    scored: int = 0


class Best(_Out):
    training_job: str
    value: float
    hyperparameters: dict[str, str]
    job_index: int
    seconds_from_start: float | None
    spend_until_best_usd: float | None


class BaselineComparison(_Out):
    source: str | None
    value: float
    improvement_abs: float
    improvement_rel: float | None


class Comparison(_Out):
    """The best against a reference job value (median or first job)."""

    value: float
    improvement_abs: float
    improvement_rel: float | None


class ImportanceValue(_Out):
    name: str
    importance: float


class Importance(_Out):
    method: str
    meaningful: bool
    values: list[ImportanceValue] = Field(default_factory=list)
    note: str | None = None


class Boundary(_Out):
    name: str
    side: Literal["min", "max"]
    best_value: float
    range: list[float]
    suggested_range: list[float]
    scaling: str = "Linear"
    position: float = Field(description="where the best value sits in the range, 0..1 in the range's scaling")
    at_domain_limit: bool = False
    likely_chance: bool = Field(default=False, description="it barely mattered: a best value at its edge is chance")


class CategoryStat(_Out):
    value: str
    jobs: int
    scored: int
    best: float | None
    median: float | None


class Categorical(_Out):
    name: str
    winner: str
    values: list[CategoryStat]


class Convergence(_Out):
    verdict: str
    converged: bool
    jobs_since_last_improvement: int
    best_so_far: list[list[float]] = Field(default_factory=list, description="[[job_index, best value], ...]")
    best_so_far_by_time: list[list[float]] = Field(default_factory=list,
                                                   description="[[seconds from the first start, best value], ...]")
    last_third_improvement: float | None = None
    tolerance: float | None = None


class CheapJob(_Out):
    training_job: str
    value: float
    cost_usd: float | None


class Cost(_Out):
    total_usd: float
    until_best_usd: float | None
    to_99pct_gain_usd: float | None
    gain_per_usd: float | None
    cheapest_near_best: CheapJob | None
    budget_usd: float | None = None
    ledger_spend_usd: float | None = None
    unpriced_jobs: int = 0
    estimated_jobs: int = 0


class Failure(_Out):
    status: str
    reason: str
    count: int


class NoObjective(_Out):
    jobs: list[str]
    metric: str
    diagnosis: str
    suggested_regex: str | None = None


class Artifacts(_Out):
    trials_csv: str | None = None
    report_html: str | None = None
    next_spec: str | None = None


class RunFacts(_Out):
    """What the run knew besides the trials: the gate's decision, the budget, the stop reason."""

    run_id: str | None = None
    decision: dict[str, Any] | None = None
    max_cost_usd: float | None = None
    ledger_spend_usd: float | None = None
    stop_reason: str | None = None
    tuning_status: str | None = None


class Analysis(_Out):
    tuning_job_name: str
    objective: ObjectiveSpec
    jobs: JobCounts
    best: Best | None
    baseline: BaselineComparison | None
    vs_median: Comparison | None = None
    vs_first: Comparison | None = None
    importance: Importance
    boundaries: list[Boundary]
    categoricals: list[Categorical] = Field(default_factory=list)
    convergence: Convergence
    cost: Cost
    failures: list[Failure]
    no_objective: NoObjective | None = None
    recommendations: list[str]
    findings: list[str] = Field(default_factory=list, description="the three most useful findings, one line each")
    run: RunFacts = Field(default_factory=RunFacts)
    notes: list[str] = Field(default_factory=list)
    artifacts: Artifacts = Field(default_factory=Artifacts)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
