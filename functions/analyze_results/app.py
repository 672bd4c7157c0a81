"""AnalyzeResults: trials.csv, analysis.json, report.html and next-spec.yaml for the run's tuning job."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.edge import parse
from tunepilot.events import AnalyzeResultsInput
from tunepilot.usecases.analyze import analyze_results

logger = Logger()


@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = parse(AnalyzeResultsInput, event)
    return analyze_results(request.run_id, request.tuning_job_name, context.get_remaining_time_in_millis)
