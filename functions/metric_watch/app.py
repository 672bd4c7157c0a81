"""MetricWatch: a CloudWatch Logs subscription on the training logs feeds the metric-regex guard."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.metrics.normalize import split_lines
from tunepilot.usecases.metric_guard import feed_log_lines

logger = Logger()


@event_source(data_class=CloudWatchLogsEvent)
@logger.inject_lambda_context
def lambda_handler(event: CloudWatchLogsEvent, context: LambdaContext) -> dict:
    data = event.parse_logs_data()
    if data.message_type == "CONTROL_MESSAGE":  # CloudWatch's reachability probe: nothing to read
        return {"ignored": "CONTROL_MESSAGE"}
    training_job = data.log_stream.split("/", 1)[0]
    lines = [line for log_event in data.log_events for line in split_lines(log_event.message)]
    state = feed_log_lines(training_job, lines)
    return {"job": training_job, "lines": len(lines), "tracked": state is not None}
