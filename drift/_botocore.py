"""One botocore data loader and one parsed SageMaker service model for the whole process.

botocore parses a service's JSON model once per loader; validation and every
boto3 session would otherwise each parse SageMaker's (about 0.1 s apiece).
The service model is our schema: validation, read-only fields and import order
all come from it, never from hand-made lists (cfn-lint's habit).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def shared_loader() -> Any:
    import botocore.loaders

    return botocore.loaders.create_loader()


def new_session() -> Any:
    """A fresh botocore session (its own credentials and profile) that shares the parsed models."""
    import botocore.session

    session = botocore.session.get_session()
    session.register_component("data_loader", shared_loader())
    return session


@functools.cache
def sagemaker_model() -> Any:
    return new_session().get_service_model("sagemaker")


@functools.cache
def input_shape(operation: str) -> Any:
    """The input shape of a SageMaker operation, e.g. ``CreateModel``."""
    return sagemaker_model().operation_model(operation).input_shape
