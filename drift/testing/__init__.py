"""Test utilities shipped with sagemaker-drift (like structlog.testing): used by our tests and bench/."""
