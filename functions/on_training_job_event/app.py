"""OnTrainingJobEvent: settle the job's cost, enforce the budget, alert on a missing objective metric."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import SageMakerEvent
from tunepilot.usecases.training_events import on_training_job_event

logger = Logger()


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return on_training_job_event(parse(SageMakerEvent, event).detail)
