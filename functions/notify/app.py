"""Notify: one SNS message and runs/<run-id>/result.json for the run's outcome."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import NotifyInput
from tunepilot.usecases.notify import notify_failure, notify_success

logger = Logger()


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(NotifyInput, event)
    notify = notify_success if request.outcome == "success" else notify_failure
    return notify(request.execution_arn, request.state).wire()
