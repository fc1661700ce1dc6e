"""What every command starts from: the config, the desired state, the lock file, and where reports go."""

from __future__ import annotations

import hashlib
import json
import os
import sys

from drift import redact
from drift.config.settings import Config
from drift.desired import DesiredState, Targets, load_desired
from drift.errors import ConfigError, DriftError, Finding
from drift.files import display_path, read_bytes
from drift.integrity.lockfile import LockFile, read_lock
from drift.store import Store


def desired_targets(config: Config) -> Targets:
    return Targets(names=config.target_names, regions={t.name: t.regions for t in config.aws.targets},
                   organization=config.aws.organization is not None)


def load_state(config: Config) -> DesiredState:
    """Desired state for ``config``; secrets of both become known to the scrubber only once both loaded."""
    if not config.desired:
        raise DriftError(f"{config.path}: no desired state: set desired: in the config or pass --desired PATH")
    desired = load_desired(config.desired, targets=desired_targets(config))
    redact.use_literals(config.secrets | desired.secrets)
    return desired


def require_region(config: Config) -> None:
    """A command that reads AWS needs a region for every target: without one it would read nothing and exit 0."""
    if any(not target.regions for target in config.aws.targets) and config.aws.organization is None:
        from drift.config.load import COMMAND_LINE, NO_REGION

        raise ConfigError([Finding(COMMAND_LINE, None, NO_REGION, path="--region")])


def require_notify_settings(config: Config, *, channels: bool = True) -> None:
    """``--notify`` needs ``state.path`` (the outbox and alert state live there) and channels to send to."""
    where = config.path if os.path.exists(config.path) else f"no config file at {config.path}"
    if not config.state_path:
        raise DriftError(f"{where}: --notify needs state.path: the outbox and what was already notified live "
                         "in the state database")
    if channels and not config.notify:
        raise DriftError(f"{where}: --notify given but no notify: channels are configured")


def load_lock(config: Config) -> LockFile | None:
    return read_lock(config.lock_path) if config.lock_path else None


def open_store(config: Config) -> Store | None:
    """The state store when ``state.path`` is set."""
    return Store(config.state_path) if config.state_path else None


def inputs_digest(config: Config, desired: DesiredState) -> str:
    """A digest of the config and desired state, so that merge refuses shards made from other inputs."""
    digest = hashlib.sha256()
    if os.path.exists(config.path):
        digest.update(read_bytes(config.path, limit=10 << 20))
    for file in sorted(hashlib.sha256(read_bytes(f, limit=10 << 20)).hexdigest() for f in desired.files):
        digest.update(file.encode())
    settings = {"targets": [[t.name, list(t.regions)] for t in config.aws.targets], "prefix": config.name_prefix,
                "endpoints": config.endpoints, "unmanaged": config.unmanaged}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return "sha256:" + digest.hexdigest()


def choose_format(fmt: str | None, output: str | None) -> str:
    if fmt:
        return fmt
    if output:
        return {".json": "json", ".md": "markdown", ".markdown": "markdown"}.get(
            os.path.splitext(output)[1].lower(), "text")
    return "text" if sys.stdout.isatty() else "json"


def write_output(config: Config, output: str | None, text: str) -> None:
    """The report on stdout, in a file, or as an S3 object (``s3://bucket/key``)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if output.startswith("s3://"):
        from drift.commands.remote import put

        put(config, output, text.encode("utf-8"))
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise DriftError(f"cannot write the report to {display_path(output)}: {exc.strerror or exc}") from exc
