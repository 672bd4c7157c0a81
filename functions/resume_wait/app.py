"""ResumeWait: a tuning job or endpoint changed state; resume its waiting execution if it is done."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import SageMakerEvent
from tunepilot.usecases.waits import resume_on_event

logger = Logger()

# detail-type -> (wait kind, field holding the job's name)
_KINDS = {
    "SageMaker HyperParameter Tuning Job State Change": ("tuning", "HyperParameterTuningJobName"),
    "SageMaker Endpoint State Change": ("endpoint", "EndpointName"),
}


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    change = parse(SageMakerEvent, event)
    kind, field = _KINDS.get(change.detail_type, (None, ""))
    name = change.detail.get(field)
    if kind is None or not name:
        logger.warning("ignored event", extra={"detail_type": change.detail_type})
        return {"ignored": change.detail_type}
    # The event only says "look now": the job's current status decides (events may be stale).
    return resume_on_event(kind, name)
