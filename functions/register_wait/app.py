"""RegisterWait: store the task token of a waiting execution, then check the job once."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import RegisterWaitInput
from tunepilot.usecases.waits import register

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(RegisterWaitInput, event)
    return register(request.kind, request.name, request.run_id, request.token)
