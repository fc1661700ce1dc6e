"""The typed settings a loaded drift.yaml becomes. Plain frozen values: no I/O, no validation here."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field


class ChannelType(enum.Enum):
    """A notification channel's wire format."""

    WEBHOOK = "webhook"
    SLACK = "slack"


@dataclass(frozen=True, slots=True)
class Target:
    """One account to read, in one or more regions."""

    name: str
    regions: tuple[str, ...]
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    endpoint_url: str | None = None
    #: Set for accounts found through AWS Organizations: the account's id and name.
    account_id: str | None = None
    account_name: str | None = None


@dataclass(frozen=True, slots=True)
class Organization:
    """Every ACTIVE account of an AWS Organization, reached through one role name (SPEC §10)."""

    role_name: str
    regions: tuple[str, ...]
    external_id: str | None = None
    include_ous: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AwsSettings:
    targets: tuple[Target, ...]
    retry_mode: str = "standard"
    max_attempts: int = 10
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_calls_per_second: float | None = None
    concurrency: int = 32
    bulk_read: bool = True
    max_models: int = 200_000
    max_parallel_targets: int = 8
    organization: Organization | None = None
    #: The caller's own credentials and endpoint: Organizations, report uploads, and roles assumed from them.
    profile: str | None = None
    endpoint_url: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class PathRule:
    """An ignore or severity rule: fnmatch-style globs on resource name and dotted path."""

    models: tuple[str, ...]
    paths: tuple[str, ...]
    level: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    interval: float | None = 900.0
    cron: str | None = None
    jitter: float = 0.0


@dataclass(frozen=True, slots=True)
class Channel:
    type: ChannelType
    url: str
    name: str
    secret: str | None = None
    remind_after: float | None = None
    timeout: float = 10.0
    max_attempts: int = 5


@dataclass(frozen=True, slots=True)
class Integrity:
    """SPEC §8: what a model's image tags and artifacts resolve to."""

    images: bool = True
    artifacts: bool = True
    denied: str = "warn"  # warn | error

    @property
    def enabled(self) -> bool:
        return self.images or self.artifacts


@dataclass(frozen=True, slots=True)
class Config:
    path: str
    aws: AwsSettings
    desired: tuple[str, ...]
    unmanaged: bool = True
    name_prefix: str = ""
    endpoints: str = "all"  # all | declared | none
    ignore: tuple[PathRule, ...] = ()
    severity: tuple[PathRule, ...] = ()
    schedule: Schedule = field(default_factory=Schedule)
    notify: tuple[Channel, ...] = ()
    state_path: str | None = None
    integrity: Integrity = field(default_factory=Integrity)
    lock_path: str | None = None
    #: Literal secrets met while loading; registered for scrubbing only once the whole load succeeded.
    secrets: frozenset[str] = frozenset()

    @property
    def base_dir(self) -> str:
        """Where relative paths written in the config file are rooted: the config file's directory."""
        return os.path.dirname(os.path.abspath(self.path))

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.aws.targets)
