"""Deploy: create the model and a new endpoint config, then create or update the endpoint."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import BestJobInput
from tunepilot.usecases.deploy import deploy

logger = Logger()


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(BestJobInput, event)
    return deploy(request.run_id, request.best).wire()
