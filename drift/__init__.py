"""sagemaker-drift: configuration-drift detection for AWS SageMaker models, endpoint configs and endpoints."""

__version__ = "0.2.0"
#: Where the tool's settings live unless --config or $DRIFT_CONFIG says otherwise.
DEFAULT_CONFIG = "config/drift.yaml"
