"""StartTuning: create the SageMaker tuning job for a validated run (idempotent)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import RunInput
from tunepilot.usecases.start import start_tuning

logger = Logger()


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return start_tuning(parse(RunInput, event).run_id).wire()
