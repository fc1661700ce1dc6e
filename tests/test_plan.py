"""drift.plan: --shard I/N parsing and the stable unit hash of SPEC §10 (SHA-256 of the UTF-8 "target/region",
read as a big-endian integer, modulo N)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drift.config import load_config
from drift.config.settings import Config, Target
from drift.desired import DesiredState
from drift.errors import UsageError
from drift.plan import Shard, plan_units, unit_hash

REGIONS = ("us-east-1", "eu-west-1")


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("0/1", {}, Shard(0, 1)),
    ("2/3", {}, Shard(2, 3)),
    ("63/64", {}, Shard(63, 64)),
    ("auto/3", {"JOB_COMPLETION_INDEX": "2"}, Shard(2, 3)),
    ("auto/1", {"JOB_COMPLETION_INDEX": "0"}, Shard(0, 1)),
    ("1/3", {"JOB_COMPLETION_INDEX": "2"}, Shard(1, 3)),  # an explicit index wins over the environment
])
def test_shard_forms(text: str, env: dict[str, str], expected: Shard) -> None:
    """I/N with 0 <= I < N, or auto/N taking I from JOB_COMPLETION_INDEX (as a Kubernetes Indexed Job sets it)."""
    assert expected == Shard.parse(text, env)


FORM = "expected I/N (0 <= I < N) or auto/N"
AUTO = "auto/N needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) to be a number"


@pytest.mark.parametrize(("text", "env", "message"), [
    ("3", {}, f"{FORM}, got '3'"),
    ("", {}, f"{FORM}, got ''"),
    ("1/", {}, f"{FORM}, got '1/'"),
    ("1/0", {}, f"{FORM}, got '1/0'"),
    ("1/-3", {}, f"{FORM}, got '1/-3'"),
    ("0/3/1", {}, f"{FORM}, got '0/3/1'"),
    ("1/x", {}, f"{FORM}, got '1/x'"),
    ("3/3", {}, "the index must be between 0 and 2, got '3/3'"),
    ("-1/3", {}, "the index must be between 0 and 2, got '-1/3'"),
    ("/3", {}, "the index must be between 0 and 2, got '/3'"),
    ("a/3", {}, "the index must be between 0 and 2, got 'a/3'"),
    ("auto/3", {}, AUTO),
    ("auto/3", {"JOB_COMPLETION_INDEX": ""}, AUTO),
    ("auto/3", {"JOB_COMPLETION_INDEX": "one"}, AUTO),
    ("auto/3", {"JOB_COMPLETION_INDEX": "3"}, "the index must be between 0 and 2, got 'auto/3'"),
])
def test_bad_shard_forms_are_usage_errors(text: str, env: dict[str, str], message: str) -> None:
    """Every other form is a UsageError (exit 1, never 2) saying what is expected."""
    with pytest.raises(UsageError) as info:
        Shard.parse(text, env)
    assert message == str(info.value)


@pytest.mark.parametrize(("text", "env"), [("1/\u00b2", {}), ("\u00b2/3", {}),
                                           ("auto/3", {"JOB_COMPLETION_INDEX": "\u00b2"})],
                         ids=["superscript-count", "superscript-index", "superscript-job-index"])
def test_digits_int_cannot_read_are_usage_errors(text: str, env: dict[str, str]) -> None:
    """A digit character that is not a decimal digit (a superscript two) is a bad form like any other."""
    with pytest.raises(UsageError):
        Shard.parse(text, env)


@given(index=st.integers(-5, 300), count=st.integers(-5, 300))
def test_numeric_forms_parse_exactly_when_the_index_is_in_range(index: int, count: int) -> None:
    """I/N parses to Shard(I, N) exactly when 0 <= I < N; anything else is a UsageError."""
    text = f"{index}/{count}"
    if 0 <= index < count:
        assert Shard(index, count) == Shard.parse(text, {})
    else:
        with pytest.raises(UsageError):
            Shard.parse(text, {})


@given(st.text(alphabet="0123456789/autoAUTO-+ x.", max_size=12), st.text(alphabet="0123456789x -", max_size=4))
def test_parse_is_a_valid_shard_or_a_usage_error(text: str, job_index: str) -> None:
    """Whatever the text (and JOB_COMPLETION_INDEX), parse gives a shard with 0 <= index < count or a
    UsageError; never another exception."""
    try:
        shard = Shard.parse(text, {"JOB_COMPLETION_INDEX": job_index})
    except UsageError:
        return
    assert 0 <= shard.index < shard.count


# -- the stable hash ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("unit", "digest", "mod3", "mod7"), [
    ("123456789012/us-east-1", "eb805c6c3fdd6b6de392f561be4b9f320b89870d20475ce2a959f92df8e3480f", 0, 4),
    ("prod/eu-west-1", "765c70788e43ee387270978f232a92f2fbf7b653174185e0dc635596b44cea42", 0, 0),
    ("default/us-east-1", "f9aa9c30bd3b9ce147010da8484a37f97f62a44894eac00456146dc9b180f9ba", 1, 4),
    ("\u00fcn\u00efcode-target/ap-south-1", "0dee8961d35676229f464d36bde833a876a4ae3033191102a26ee660ac78bd07",
     1, 1),
])
def test_unit_hash_is_the_big_endian_sha256_of_the_utf8_unit(unit: str, digest: str, mod3: int, mod7: int) -> None:
    """Golden values, so a shard's units never change between releases: SHA-256 of the UTF-8 bytes (not
    Latin-1), read big-endian (not little-endian), and the shard that owns the unit out of 3 and out of 7."""
    assert (int(digest, 16), mod3, mod7) == (unit_hash(unit), unit_hash(unit) % 3, unit_hash(unit) % 7)
    assert (True, True) == (Shard(mod3, 3).owns(unit), Shard(mod7, 7).owns(unit))


@given(unit=st.text(min_size=1, max_size=40), count=st.integers(1, 64))
def test_exactly_one_shard_owns_each_unit(unit: str, count: int) -> None:
    """For any unit and count, exactly one of the N shards owns it: the one SPEC §10's formula names."""
    expected = int.from_bytes(hashlib.sha256(unit.encode("utf-8")).digest(), "big") % count
    assert [expected] == [i for i in range(count) if Shard(i, count).owns(unit)]


# -- planning ------------------------------------------------------------------------------------------------
@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "drift.yaml"
    path.write_text("aws: {region: us-east-1, endpoint_url: 'http://127.0.0.1:9'}\ndesired: [models/*.yaml]\n")
    return load_config(str(path))


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_split_the_units_of_a_pass(config: Config, count: int) -> None:
    """The units of the N shards are disjoint and together are the unsharded pass's units, each in the shard
    its hash names."""
    targets = tuple(Target(name=account, regions=REGIONS, account_id=account)
                    for account in ("123456789012", "111122223333", "444455556666", "777788889999"))
    desired = DesiredState(resources=())
    whole = [u.key for u in plan_units(config, desired, targets)]
    shards = [[u.key for u in plan_units(config, desired, targets, Shard(i, count))]
              for i in range(count)]
    assert sorted(whole) == sorted(key for shard in shards for key in shard)
    assert [[k for k in whole if unit_hash(k) % count == i] for i in range(count)] == shards
