"""PickBest: the best training job of the run's tuning job, with its model artifact."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import PickBestInput
from tunepilot.usecases.pick import pick_best

logger = Logger()


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(PickBestInput, event)
    return pick_best(request.run_id, request.tuning_job_name).wire()
