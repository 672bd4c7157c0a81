"""MetricWatch: a CloudWatch Logs subscription on the training logs feeds the metric-regex guard."""

import zlib

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from tunepilot.exceptions import BadEvent
from tunepilot.metrics.normalize import split_lines
from tunepilot.usecases.metric_guard import feed_log_lines

logger = Logger()


@event_source(data_class=CloudWatchLogsEvent)
@logger.inject_lambda_context
def lambda_handler(event: CloudWatchLogsEvent, context: LambdaContext) -> dict:
    try:  # base64 -> gzip -> JSON; any layer can be broken
        data = event.parse_logs_data()
        data.message_type  # noqa: B018 - the wrapper is lazy: touch it so a bad payload fails here
    except (ValueError, OSError, EOFError, KeyError, TypeError, zlib.error) as e:
        raise BadEvent(f"CloudWatch Logs payload cannot be decoded: {type(e).__name__}: {e}") from e
    if data.message_type == "CONTROL_MESSAGE":  # CloudWatch's reachability probe: nothing to read
        return {"ignored": "CONTROL_MESSAGE"}
    training_job = data.log_stream.split("/", 1)[0]
    lines = [line for log_event in data.log_events for line in split_lines(log_event.message)]
    state = feed_log_lines(training_job, lines)
    return {"job": training_job, "lines": len(lines), "tracked": state is not None}
