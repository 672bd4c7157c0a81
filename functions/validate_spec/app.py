"""ValidateSpec: S3 "Object Created" (via the state machine) -> a validated, recorded run."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import ValidateSpecInput
from tunepilot.usecases.validate import SpecObject, validate_spec

logger = Logger()


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(ValidateSpecInput, event)
    obj = request.detail.object
    spec = SpecObject(request.detail.bucket.name, obj.key, obj.version_id, obj.etag)
    return validate_spec(spec, request.execution_arn).wire()
