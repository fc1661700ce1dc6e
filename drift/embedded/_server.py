"""LocalSageMaker: moto's server on 127.0.0.1, the faithful adapters installed, and the test controls.

The server runs in this process (moto's ThreadedMotoServer), which is what
lets the controls below reach straight into its backends: freezing the Search
index, failing Search, setting an endpoint's status. A server started in
another process (bench/_server.py) offers the HTTP API only.
"""

from __future__ import annotations

import logging
import urllib.request
from typing import Any

from drift.embedded import _endpoints, _moto, _search
from drift.embedded._install import install_faithful_models

#: moto's default account: what dummy credentials land in.
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


class LocalSageMaker:
    """moto's server on 127.0.0.1 and a random free port, with the faithful adapters installed.

    >>> with LocalSageMaker() as server:          # doctest: +SKIP
    ...     boto3.client("sagemaker", endpoint_url=server.url, ...)
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        _moto.require_moto()
        install_faithful_models()
        server_class: Any = _moto.module("moto.server").ThreadedMotoServer
        self._server = server_class(ip_address=host, port=port, verbose=False)
        self.url = ""

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving; returns the URL (``http://127.0.0.1:<port>``)."""
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request is noise here
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def reset(self) -> None:
        """Forget every resource of every account (moto's reset endpoint) and every test control."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own loopback server
            pass
        _search.reset()

    def __enter__(self) -> LocalSageMaker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- Search(Resource=Model) index ---------------------------------------------------------------
    def freeze_search_index(self) -> None:
        """Stop the Search index following the models: it keeps what it holds now, deleted models included."""
        _search.freeze()

    def refresh_search_index(self) -> None:
        """Take the Search index again now (a frozen index stays frozen, at this new moment)."""
        _search.refresh()

    def thaw_search_index(self) -> None:
        """Back to the default: the Search index follows the models on every call."""
        _search.thaw()

    def fail_search(self, code: str | None) -> None:
        """Make Search(Resource=Model) answer ``AccessDeniedException`` or ``ValidationException``; None stops."""
        _search.fail(code)

    # -- endpoints ----------------------------------------------------------------------------------
    def set_endpoint_status(self, name: str, status: str, failure_reason: str | None = None, *,
                            account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> None:
        """Put an endpoint in another EndpointStatus (``Updating``, ``Failed``...); UpdateEndpoint clears it.

        Raises KeyError for an endpoint the server does not hold.
        """
        _endpoints.set_status(account, region, name, status, failure_reason)
