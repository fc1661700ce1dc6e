"""An embedded local AWS for the demo, the tests and the benchmark: moto in server mode, made faithful.

moto 5.2.5 differs from SageMaker (and from ECR) in ways that would make a
drift tool look wrong, so this package installs small adapters over moto's
backends, one module per concern, each naming its evidence:

* ``_models``            CreateModel / DescribeModel / ListModels
* ``_endpoint_configs``  Create/Describe/List/DeleteEndpointConfig
* ``_endpoints``         endpoints and their DeployedImages (through ``_images``)
* ``_search``            Search(Resource=Model) from an index that can lag
* ``_ecr``               image digests, re-pointed tags, cross-registry BatchGetImage
* ``_paging``            how every listing filters, sorts and pages

The public API: ``LocalSageMaker`` (the server and its test controls),
``install_faithful_models()`` and ``create_model_request(spec)``; ``world``
builds images and objects for scenarios. moto is imported lazily: this package
imports without it, and using the server without it raises a DriftError that
says to install the ``demo`` extra.
"""

from __future__ import annotations

from drift.embedded._install import install_faithful_models
from drift.embedded._requests import create_model_request
from drift.embedded._server import DEFAULT_ACCOUNT, DEFAULT_REGION, LocalSageMaker

__all__ = ["DEFAULT_ACCOUNT", "DEFAULT_REGION", "LocalSageMaker", "create_model_request", "install_faithful_models"]
