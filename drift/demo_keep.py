"""`drift demo --keep`: leave the demo's local AWS running, so every command can be tried against it.

The demo's report shows drift; a newcomer then wants to run `check`, `import`,
`lock` or the daemon themselves, with no AWS account. This writes a config that
points at the local AWS (127.0.0.1 only, the example desired state, a state
database of its own) and waits until Ctrl-C or SIGTERM, then removes it all.
Credentials are printed as dummy values: the local AWS accepts any, and the
user's own must never be sent anywhere by a demo.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from collections.abc import Iterable, Mapping
from types import FrameType

import yaml

#: Variables the printed commands need: dummy credentials for the local AWS.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo"}


def write_config(directory: str, url: str, desired: Iterable[str]) -> str:
    """A drift.yaml for the local AWS at ``url``, reading the example desired state; returns its path."""
    path = os.path.join(directory, "drift.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump({
            "aws": {"region": "us-east-1", "endpoint_url": url, "max_attempts": 3},
            "desired": list(desired),
            "scope": {"unmanaged": True},
            "state": {"path": os.path.join(directory, "state.db")},
        }, handle, sort_keys=False)
    return path


def instructions(url: str, config: str, variables: Mapping[str, str]) -> str:
    """What to run in another terminal while the local AWS is up."""
    exports = " ".join(f"{name}={value}" for name, value in {**DUMMY_CREDENTIALS, **variables}.items())
    return (
        f"The local AWS keeps running at {url} until you press Ctrl-C (it is all removed then).\n"
        "In another terminal:\n"
        f"  export {exports}\n"
        f"  drift check --config {config}\n"
        f"  drift check --config {config} --format markdown\n"
        f"  drift import --config {config} --endpoints --out {os.path.dirname(config)}/imported\n"
        f"  drift lock --config {config} && cat {os.path.dirname(config)}/drift.lock.yaml\n"
        f"  drift daemon --config {config} --listen 127.0.0.1:9464   (then curl 127.0.0.1:9464/healthz)\n"
    )


def wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM (Ctrl-C, or a service manager stopping us)."""
    stop = threading.Event()

    def stopped(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, stopped) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def remove(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)
