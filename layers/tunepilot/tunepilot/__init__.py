"""TunePilot: an event-driven controller for SageMaker hyperparameter tuning."""

__version__ = "0.1.0"
