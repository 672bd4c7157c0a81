"""Admit (WaitForSlot): queue the run for one of MaxConcurrentTuningJobs slots; resume it when it has one."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import WaitForSlotInput
from tunepilot.usecases.admission import wait_for_slot

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(WaitForSlotInput, event)
    return wait_for_slot(request.run_id, request.token, request.uploaded_at)
