"""sagemaker-drift: configuration-drift detection for AWS SageMaker models."""

__version__ = "0.1.0"
