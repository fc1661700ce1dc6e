"""Shared test helpers: run the real CLI as a subprocess, write configs, talk to the local SageMaker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Variables the real-world fixtures read with !env.
FIXTURE_ENV = {"WANDB_API_KEY": "wandb-canary-0001", "HUGGING_FACE_HUB_TOKEN": "hf-canary-0002"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for 'connection refused' and daemons)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """An environment with dummy AWS credentials and nothing from the developer's own AWS set-up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "DRIFT_CONFIG"}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "NO_COLOR": "1",
        **FIXTURE_ENV,
    })
    env.update(extra)
    return env


def run_drift(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m drift ARGS`` exactly as a user would, stdin closed."""
    return subprocess.run(
        [sys.executable, "-m", "drift", *args],
        capture_output=True, text=True, env=env or clean_env(), cwd=cwd or REPO, timeout=timeout,
        stdin=subprocess.DEVNULL, check=False,
    )


def write_config(directory: Path, url: str, desired: list[str] | str, **sections: Any) -> Path:
    """A drift.yaml as the issues describe it: region, endpoint, a desired glob, unmanaged on, state kept."""
    config: dict[str, Any] = {
        "aws": {"region": "us-east-1", "endpoint_url": url, "max_attempts": 3},
        "desired": [desired] if isinstance(desired, str) else desired,
        "scope": {"unmanaged": True},
        "state": {"path": str(directory / "state.db")},
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key].update(value)
        else:
            config[key] = value
    path = directory / "drift.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def write_models(path: Path, models: list[dict[str, Any]], **top: Any) -> Path:
    path.write_text(yaml.safe_dump({**top, "models": models}, sort_keys=False))
    return path


def report_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        return dict(json.loads(result.stdout))
    except json.JSONDecodeError as exc:
        raise AssertionError(f"stdout is not JSON.\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}") from exc


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in report["models"]}


def compare(model: Any, live: dict[str, Any], live_tags: Any = None, *, ignore: Any = (), severity: Any = (),
            packages: Any = None, account: str = "123456789012", region: str = "us-east-1") -> tuple[Any, ...]:
    """The production comparison of one declared model with a DescribeModel answer (and ListTags), after the
    ignore and severity rules: classify.compare_live then filters.apply_rules, as a pass runs them."""
    from drift.aws.sagemaker import Listed
    from drift.classify import compare_live, desired_forms
    from drift.filters import apply_rules
    from drift.kinds import KINDS, Context
    from drift.read.tags import canonical_tags
    from drift.read.types import Live
    from drift.report import Kind, Result, Status

    form = KINDS[Kind.MODEL].canonical(live)
    tags = canonical_tags(live_tags or []) if model.declares_tags else None
    item = Live(Kind.MODEL, Listed(model.name, f"arn:aws:sagemaker:{region}:{account}:model/{model.name}", "t"),
                form=form, tags=tags)
    found, _notes = compare_live(model, desired_forms(None, model), item, Context(account, region, packages or {}))
    result = Result(model.name, account, region, Status.MODIFIED if found else Status.IN_SYNC, differences=found)
    return apply_rules(result, tuple(ignore), tuple(severity)).differences
