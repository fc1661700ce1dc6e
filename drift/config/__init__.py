"""drift.yaml: its schema as data (``schema``), the typed settings (``settings``) and the loader (``load``)."""

from drift import DEFAULT_CONFIG
from drift.config.load import COMMAND_LINE, LOCK_NAME, Overrides, load_config
from drift.config.schema import parse_duration
from drift.config.settings import (
    AwsSettings,
    Channel,
    ChannelType,
    Config,
    Integrity,
    Organization,
    PathRule,
    Schedule,
    Target,
)

__all__ = [
    "COMMAND_LINE", "DEFAULT_CONFIG", "LOCK_NAME", "AwsSettings", "Channel", "ChannelType", "Config", "Integrity",
    "Organization", "Overrides", "PathRule", "Schedule", "Target", "load_config", "parse_duration",
]
