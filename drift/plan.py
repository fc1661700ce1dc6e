"""Plan a pass: which (target, region) units to read, and which declared resources each must find.

A unit is the grain of everything at scale: it is read with one connection and
one rate budget, it fails alone (its declared resources become ERROR, the others
go on), and a sharded pass takes the units whose stable hash falls in its shard
(SPEC §10: the SHA-256 digest of ``target/region`` read as a big-endian integer,
modulo the shard count).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

from drift.config.settings import Config, Target
from drift.desired import DesiredResource, DesiredState
from drift.errors import UsageError
from drift.report import Kind

#: ASCII digits only: str.isdigit() also accepts superscripts and other scripts' digits, which int() refuses
#: or reads as another number.
_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str, environ: dict[str, str] | None = None) -> Shard:
        """``I/N`` or ``auto/N`` (the index from JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it)."""
        env = os.environ if environ is None else environ
        index_text, sep, count_text = text.partition("/")
        if not sep or not _NUMBER.fullmatch(count_text) or int(count_text) < 1:
            raise UsageError(f"expected I/N (0 <= I < N) or auto/N, got {text!r}")
        if index_text == "auto":
            index_text = env.get("JOB_COMPLETION_INDEX", "")
            if not _NUMBER.fullmatch(index_text):
                raise UsageError("auto/N needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) to be a "
                                 "number")
        if not _NUMBER.fullmatch(index_text) or not int(index_text) < int(count_text):
            raise UsageError(f"the index must be between 0 and {int(count_text) - 1}, got {text!r}")
        return cls(int(index_text), int(count_text))

    def owns(self, unit_key: str) -> bool:
        return unit_hash(unit_key) % self.count == self.index


def unit_hash(unit_key: str) -> int:
    """SPEC §10: the SHA-256 digest of the UTF-8 string ``target/region``, as a big-endian integer."""
    return int.from_bytes(hashlib.sha256(unit_key.encode("utf-8")).digest(), "big")


@dataclass(frozen=True, slots=True)
class Unit:
    target: Target
    region: str
    declared: tuple[DesiredResource, ...]

    @property
    def key(self) -> str:
        return f"{self.target.name}/{self.region}"

    def declared_of(self, kind: Kind) -> tuple[DesiredResource, ...]:
        return tuple(d for d in self.declared if d.kind is kind)


def plan_units(config: Config, desired: DesiredState, targets: tuple[Target, ...] | None = None,
               shard: Shard | None = None) -> list[Unit]:
    """Every unit of the pass (of this shard), with the declared resources expected in it.

    ``targets`` replaces the config's (accounts found through AWS Organizations).
    """
    units = []
    for target in targets if targets is not None else config.aws.targets:
        aliases = tuple(a for a in (target.account_id, target.account_name) if a)
        for region in target.regions:
            unit_key = f"{target.name}/{region}"
            if shard is not None and not shard.owns(unit_key):
                continue
            mine = tuple(d for d in desired.resources if d.expected_in(target.name, region, aliases))
            units.append(Unit(target=target, region=region, declared=mine))
    return units
