"""Hostile input: whatever the file holds, `drift validate` exits 0 or 1 and names the file; never a traceback."""

from __future__ import annotations

import contextlib
import io
import resource
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift.cli import main
from tests.helpers import clean_env, run_drift

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["\u202e", "\x00", "\x1b[31m", "ModelName", "PrimaryContainer", "Image", "!env X", "${X}",
                     "15m", "-5s", "1e400", "0"]),
    st.sampled_from([10**400, -(10**400), 2**64, -1, 0]),
)
keys = st.one_of(st.sampled_from(["models", "target", "ModelName", "PrimaryContainer", "Containers", "Image",
                                  "Environment", "Tags", "VpcConfig", "Mode", "x-anchor", "Imagee"]),
                 st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


def _validate(*args: str) -> tuple[int, str]:
    """`drift validate ARGS` in-process (fast enough for hundreds of examples); (exit code, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        # The default off a terminal: JSON logs, and the findings as plain lines for people.
        code = main(["validate", *args])
    return code, err.getvalue()


def _run(path: Path) -> tuple[int, str]:
    return _validate("--desired", str(path))


def _write(path: Path, doc: Any) -> None:
    """The document as YAML, or as raw text when YAML cannot even represent it."""
    try:
        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    except (yaml.YAMLError, UnicodeEncodeError):
        path.write_bytes(repr(doc).encode("utf-8", "surrogatepass"))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(values, st.dictionaries(keys, values, max_size=4),
                 st.builds(lambda models: {"models": models}, st.lists(values, max_size=3))))
def test_fuzzed_desired_state(tmp_path: Path, doc: Any) -> None:
    """Any YAML document: exit 0 or 1; on 1 every error line names the file; no internal error."""
    path = tmp_path / "fuzz.yaml"
    _write(path, doc)
    code, err = _run(path)
    assert code in (0, 1)
    assert "internal error" not in err
    assert "Traceback" not in err
    if code == 1:
        located = [line for line in err.splitlines() if not line.startswith(("drift:", "{"))]
        assert located, err
        assert all(line.startswith(str(path)) for line in located), err


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_fuzzed_bytes(tmp_path: Path, data: bytes) -> None:
    """Arbitrary bytes (invalid UTF-8, control characters, half-written YAML): exit 0 or 1, no traceback."""
    path = tmp_path / "bytes.yaml"
    path.write_bytes(data)
    code, err = _run(path)
    assert code in (0, 1)
    assert "internal error" not in err


NASTY = {
    "recursive alias": "models: &a [*a]\n",
    "recursive mapping": "a: &a {b: *a}\nmodels: []\n",
    "deep nesting": "models: " + "[" * 5000 + "]" * 5000 + "\n",
    "huge integer": ("models:\n  - ModelName: m\n    PrimaryContainer: {Image: i, Environment: {A: "
                     + "9" * 5000 + "}}\n"),
    "NaN": "models:\n  - ModelName: m\n    PrimaryContainer: {Image: i, Environment: {A: .NaN}}\n",
    "bidi in name": "models:\n  - ModelName: \"abc\u202edef\"\n    PrimaryContainer: {Image: i}\n",
    "control chars": "models:\n  - ModelName: \"a\\x07b\"\n    PrimaryContainer: {Image: \"i\\x00\"}\n",
    "tab indentation": "models:\n\t- ModelName: m\n",
    "several documents": "models: []\n---\nmodels: []\n",
    "unknown tag": "models: !!python/object:os.system [ls]\n",
    "huge string": "models:\n  - ModelName: " + "a" * 100_000 + "\n    PrimaryContainer: {Image: i}\n",
    "non-string keys": "models:\n  - {1: 2, [a]: b}\n",
    "duplicate models": ("models:\n  - {ModelName: m, PrimaryContainer: {Image: i}}\n"
                         "  - {ModelName: m, PrimaryContainer: {Image: i}}\n"),
}


@pytest.mark.parametrize("case", NASTY, ids=list(NASTY))
def test_hand_written_nasties(tmp_path: Path, case: str) -> None:
    """Each classic trap is an error naming the file (exit 1), never a crash."""
    path = tmp_path / "nasty.yaml"
    path.write_text(NASTY[case])
    code, err = _run(path)
    assert 1 == code, err
    assert err.startswith(str(path)), err
    assert "internal error" not in err


def test_billion_laughs_memory_is_bounded(tmp_path: Path) -> None:
    """An alias bomb is refused without expanding it: peak memory stays small."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\nmodels: *a11\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, err = _run(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert (1, True) == (code, "alias bomb" in err)
    assert grown_mb < 100


def test_fifty_megabyte_file_is_refused_before_parsing(tmp_path: Path) -> None:
    """A 50 MB file is refused by size, through the real CLI."""
    path = tmp_path / "big.yaml"
    with open(path, "w") as handle:
        handle.write("models:\n")
        line = "  - {ModelName: m, PrimaryContainer: {Image: " + "x" * 200 + "}}\n"
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    result = run_drift("validate", "--desired", str(path), env=clean_env())
    assert 1 == result.returncode
    assert f"{path}: file is larger than 10485760 bytes" in result.stderr


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(values, st.builds(lambda m: {"models": m}, st.lists(values, max_size=3))))
def test_fuzzed_files_through_the_real_cli(tmp_path: Path, doc: Any) -> None:
    """Generated files through the installed CLI: exit 0 or 1 each time, never a traceback."""
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    result = run_drift("validate", "--desired", str(path), env=clean_env())
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    if result.returncode == 1:
        assert str(path) in result.stderr


config_keys = st.one_of(st.sampled_from(["aws", "desired", "scope", "ignore", "severity", "schedule", "notify",
                                         "state", "region", "targets", "interval", "cron", "jitter", "url", "type",
                                         "secret", "remind_after", "paths", "models", "level", "path",
                                         "max_attempts", "concurrency", "connect_timeout", "regions", "name"]),
                        st.text(max_size=8))
config_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                              st.dictionaries(config_keys, inner, max_size=4)),
                             max_leaves=30)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(config_keys, config_values, max_size=6))
def test_fuzzed_config(tmp_path: Path, doc: Any) -> None:
    """Any drift.yaml: validate exits 0 or 1 naming the config file; never an internal error."""
    config = tmp_path / "drift.yaml"
    _write(config, doc)
    desired = tmp_path / "m.yaml"
    desired.write_text("models:\n  - ModelName: m\n    PrimaryContainer: {Image: i}\n")
    code, err = _validate("--config", str(config), "--desired", str(desired))
    assert code in (0, 1)
    assert "internal error" not in err
    if code == 1:
        assert str(config) in err or "drift: error:" in err


def test_shared_subtree_reused_deeper_is_refused(tmp_path: Path) -> None:
    """An anchor that is shallow where defined but deep where reused still counts its real depth."""
    path = tmp_path / "deep.yaml"
    path.write_text("a: &a " + "[" * 40 + "1" + "]" * 40 + "\nmodels: " + "[" * 40 + "*a" + "]" * 40 + "\n")
    code, err = _run(path)
    assert 1 == code
    assert f"{path}:1: nesting deeper than 64 levels" in err
