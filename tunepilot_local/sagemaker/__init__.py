"""A local SageMaker that really trains: plugs into moto's in-process SageMaker backend.

`platform.install()` patches moto 5.2.5's SageMaker and SageMaker Runtime backends of a running
moto server so that tuning jobs run real training subprocesses (XGBoost built-in or script mode),
stream logs to CloudWatch Logs, emit `aws.sagemaker` EventBridge events and serve real predictions.
"""
