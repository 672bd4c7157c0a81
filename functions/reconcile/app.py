"""Reconcile (scheduled): resume runs whose completion event was lost; enforce running limits."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.usecases.reconcile import reconcile

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return reconcile()
