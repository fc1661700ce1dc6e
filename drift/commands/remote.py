"""Reports in S3 (``--output s3://...``, ``drift merge s3://...``), with the same AWS settings as ``check``."""

from __future__ import annotations

from drift.aws import s3
from drift.aws.session import Connection
from drift.config.settings import Config, Target
from drift.errors import AwsError, DriftError

MAX_REPORT_BYTES = 256 << 20


def _connection(config: Config) -> Connection:
    aws = config.aws
    region = aws.region or (aws.targets[0].regions[0] if aws.targets and aws.targets[0].regions else "us-east-1")
    target = Target(name="reports", regions=(region,), profile=aws.profile, endpoint_url=aws.endpoint_url)
    return Connection(target, region, aws)


def _location(uri: str) -> s3.S3Location:
    where = s3.S3Location.parse(uri)
    if where is None:
        raise DriftError(f"{uri}: expected s3://bucket/key")
    return where


def put(config: Config, uri: str, body: bytes) -> None:
    try:
        s3.put_report(_connection(config), _location(uri), body)
    except AwsError as exc:
        raise DriftError(f"cannot write the report to {uri}: {exc}") from exc


def get(config: Config, uri: str) -> bytes:
    return s3.get_object(_connection(config), _location(uri), limit=MAX_REPORT_BYTES)


def expand(config: Config, uri: str) -> list[str]:
    """An ``s3://bucket/prefix/`` as the .json objects under it; an object URI as itself."""
    if not uri.endswith("/"):
        return [uri]
    where = _location(uri)
    return [f"s3://{where.bucket}/{key}" for key in s3.list_keys(_connection(config), where) if key.endswith(".json")]
