"""CheckImprovement: compare the best job with the baseline and decide whether to deploy."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import BestJobInput
from tunepilot.usecases.improvement import check_improvement

logger = Logger()


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(BestJobInput, event)
    return check_improvement(request.run_id, request.best).wire()
