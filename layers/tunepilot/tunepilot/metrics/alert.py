"""The SNS alert for a metric regex that does not read its metric."""

from __future__ import annotations

from tunepilot.messages.report import clean_subject
from tunepilot.metrics.diagnose import MetricReport
from tunepilot.metrics.lint import shorten

ALERT_EVIDENCE_LINES = 3


def yaml_single_quoted(regex: str) -> str:
    """The regex as it goes into the spec: YAML single quotes keep backslashes as they are."""
    return "'" + regex.replace("'", "''") + "'"


def format_alert(job_name: str, report: MetricReport) -> tuple[str, str]:
    """(subject, message) telling the user which regex missed, why, and what to paste instead."""
    problem = "misread" if report.matched else "never matched"
    subject = clean_subject(f"TunePilot: metric {report.name} {problem} in {job_name}")
    lines = [
        f"Training job: {job_name}",
        f"Metric: {report.name}",
        f"Regex: {report.regex}",
        f"Lines read by the regex: {report.match_count}"
        + (f" (last value {report.last_value})" if report.last_value is not None else ""),
        "",
        f"Diagnosis: {report.diagnosis or 'the regex matched every line that prints the metric.'}",
    ]
    if report.near_misses:
        lines += ["", "Log lines that print the metric but were not read correctly (as CloudWatch stores them):"]
        lines += [f"  {shorten(line, 200)}" for line in report.near_misses[:ALERT_EVIDENCE_LINES]]
    if report.suggested_regex:
        lines += [
            "",
            "Suggested regex (checked against every line above; paste it in the spec in single quotes,",
            "so YAML keeps its backslashes):",
            f"  Regex: {yaml_single_quoted(report.suggested_regex)}",
        ]
    else:
        lines += ["", "No regex could be proven against these lines; try `tunepilot diagnose-log` on the full log."]
    return subject, "\n".join(lines) + "\n"
