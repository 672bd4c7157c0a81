"""The metric-regex guard: lint regexes, read metrics from logs, explain why a regex misses.

Pure Python, no AWS calls: the runtime Lambda, the local SageMaker platform and the
``tunepilot diagnose-log`` command share it.
"""
