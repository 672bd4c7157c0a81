"""Named errors. Their class names are the state machine's contract.

A Lambda's exception class name becomes the Step Functions error name, so the ASL in
``statemachine/tuning.asl.json`` retries the names in ``TRANSIENT`` and catches every
other name into the notify-and-fail path. Keep the two in sync (a unit test checks it).
"""

from __future__ import annotations


class TunePilotError(Exception):
    """Base class for every error TunePilot raises on purpose."""


# --- transient: the ASL retries these with backoff -------------------------------------
class Throttled(TunePilotError):
    """AWS throttled the call (ThrottlingException and friends)."""


class QuotaExceeded(TunePilotError):
    """SageMaker ResourceLimitExceeded: too many concurrent jobs or instances right now."""


class AwsUnavailable(TunePilotError):
    """AWS answered with a 5xx or an internal failure."""


# --- terminal: caught into NotifyFailure -------------------------------------------------
class SpecInvalid(TunePilotError):
    """The tuning spec is unreadable or breaks a rule; ``validation.json`` lists every problem."""


class TuningJobConflict(TunePilotError):
    """A tuning job with our name exists but does not carry our run tag."""


class TuningJobFailed(TunePilotError):
    """The tuning job ended Failed."""


class NoSuccessfulTrainingJobs(TunePilotError):
    """No training job of the tuning job completed with its objective metric."""


class BaselineUnavailable(TunePilotError):
    """The spec names a baseline that cannot be read (missing job, metric or endpoint tags)."""


class DeployFailed(TunePilotError):
    """Creating or updating the endpoint failed; an existing endpoint keeps its old config."""


class EndpointNotManaged(TunePilotError):
    """The endpoint exists but does not carry this stack's tunepilot:stack tag; TunePilot leaves it alone."""


class AnalysisFailed(TunePilotError):
    """AnalyzeResults could not analyse the trials; the run goes on to PickBest and reports a warning."""


class AwsCallFailed(TunePilotError):
    """A non-transient AWS error that has no more specific name."""


TRANSIENT: tuple[type[TunePilotError], ...] = (Throttled, QuotaExceeded, AwsUnavailable)


class BadEvent(TunePilotError):
    """A Lambda received an event it cannot read (wrong shape); the message names the field."""


ALL_ERRORS: tuple[type[TunePilotError], ...] = (
    *TRANSIENT,
    SpecInvalid,
    TuningJobConflict,
    TuningJobFailed,
    NoSuccessfulTrainingJobs,
    BaselineUnavailable,
    DeployFailed,
    EndpointNotManaged,
    AnalysisFailed,
    AwsCallFailed,
    BadEvent,
)
