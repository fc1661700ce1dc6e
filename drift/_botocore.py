"""One botocore data loader for the whole process.

botocore parses a service's JSON model once per loader; validation and every
boto3 session would otherwise each parse SageMaker's (about 0.1 s apiece).
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
