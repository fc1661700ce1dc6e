"""Installing the faithful adapters over moto: once per process, before the server answers anything.

The adapters patch moto's classes in place (moto offers no other extension
point), so they reach every backend of every account in this process. Only the
process that runs the server ever installs them.
"""

from __future__ import annotations

import threading

from drift.embedded import _ecr, _endpoint_configs, _endpoints, _models, _moto, _search

_installed = False
_lock = threading.Lock()


def install_faithful_models() -> None:
    """Patch moto's SageMaker and ECR APIs to behave like AWS's (idempotent; needs moto)."""
    global _installed
    _moto.require_moto()
    with _lock:
        if _installed:
            return
        response_class = _moto.module("moto.sagemaker.responses").SageMakerResponse
        _models.install(response_class)
        _endpoint_configs.install(response_class)
        _endpoints.install(response_class)
        _search.install(response_class)
        _ecr.install()
        _installed = True
