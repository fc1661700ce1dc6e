"""`drift demo`: see drift detection work in seconds, on an embedded local SageMaker, with no AWS account.

It never touches real AWS: the user's credentials, profile and endpoint
variables are removed from this process before anything else runs, and every
call goes to a moto server on 127.0.0.1 that lives and dies with the demo.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from drift.config import AwsSettings, Config, Target, load_config
from drift.desired import DesiredResource, DesiredState, load_desired
from drift.errors import DriftError
from drift.report import Report, Status

UNMANAGED_NAME = "scratch-experiment-42"

EXPLANATION = (
    "What you are looking at: a local SageMaker was started on 127.0.0.1 and the models declared in "
    "{desired} were created in it. Then someone fixed things by hand: {changes}. drift compared every live "
    "model with its declaration and reported each difference with the file and line that declare it. "
    "Exit codes are 0 in sync, 2 drift, 1 error, so `drift check` can gate CI like `terraform plan`."
)

TRY_NEXT = """\
Try next:
  HF_TOKEN=x drift validate          check the example files, no AWS calls (one example reads HF_TOKEN)
  drift check --help                 run against your account (read-only IAM policy: deploy/iam-policy.json)
  drift import --out config/models   adopt the models you already have
"""


class _PlaceholderEnv(Mapping[str, str]):
    """The real environment, plus an obviously fake value for any !env variable that is not set."""

    def __getitem__(self, key: str) -> str:
        return os.environ.get(key, f"demo-placeholder-{key.lower()}")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def _isolate_from_aws() -> None:
    """Forget the user's AWS identity and endpoints: the demo must never reach a real account."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            del os.environ[key]
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })


def examples_dir() -> Path:
    """The example config shipped in the package (a wheel's drift/examples), or the checkout's config/."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "examples", package.parent / "config"):
        if (candidate / "drift.yaml").is_file():
            return candidate
    raise DriftError("the example config is missing from this installation (drift/examples/drift.yaml)")


def _demo_config(config_path: str, url: str, state_dir: str) -> Config:
    try:
        base = load_config(config_path)
    except DriftError:
        models = str(Path(config_path).parent / "models")
        base = Config(path=config_path, aws=AwsSettings(targets=()), desired=(models,))
    target = Target(name="demo", regions=("us-east-1",), endpoint_url=url)
    return dataclasses.replace(
        base,
        aws=AwsSettings(targets=(target,), max_attempts=3, concurrency=8),
        notify=(),
        unmanaged=True,
        name_prefix="",
        state_path=os.path.join(state_dir, "state.db"),
    )


def _introduce_drift(client: Any, models: list[DesiredResource]) -> list[str]:
    """Realistic hand edits: a bumped image tag, an added Environment key, a deleted and a stray model."""
    from drift.embedded import create_model_request

    changes = []
    ordered = sorted(models, key=lambda m: m.name)
    if ordered:
        spec = create_model_request(ordered[0].spec)
        container = spec.get("PrimaryContainer") or spec["Containers"][0]
        container["Image"] = container["Image"].rsplit(":", 1)[0] + ":hotfix-by-hand"
        client.delete_model(ModelName=spec["ModelName"])
        client.create_model(**spec)
        changes.append(f"{spec['ModelName']} was re-created with another image tag")
    if len(ordered) > 1:
        spec = create_model_request(ordered[1].spec)
        container = spec.get("PrimaryContainer") or spec["Containers"][0]
        container.setdefault("Environment", {})["DEBUG"] = "1"
        client.delete_model(ModelName=spec["ModelName"])
        client.create_model(**spec)
        changes.append(f"{spec['ModelName']} got an extra DEBUG=1 environment variable")
    if len(ordered) > 2:
        client.delete_model(ModelName=ordered[2].name)
        changes.append(f"{ordered[2].name} was deleted")
    client.create_model(ModelName=UNMANAGED_NAME, PrimaryContainer={"Image": "python:3.11-slim"},
                        ExecutionRoleArn="arn:aws:iam::123456789012:role/notebook")
    changes.append(f"{UNMANAGED_NAME} was created outside the desired state")
    return changes


def run_demo(*, fmt: str | None) -> int:
    started = time.monotonic()
    config_path = str(examples_dir() / "drift.yaml")
    _isolate_from_aws()
    import boto3

    from drift.embedded import LocalSageMaker, create_model_request
    from drift.pipeline import run_pass
    from drift.render import render
    from drift.store import Store

    server = LocalSageMaker()
    url = server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="drift-demo-") as state_dir:
            config = _demo_config(config_path, url, state_dir)
            desired = load_desired(config.desired, environ=_PlaceholderEnv())
            models = list(desired.models)
            client = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1")
            for model in models:
                client.create_model(**create_model_request(model.spec))
            store = Store(config.state_path or os.path.join(state_dir, "state.db"))
            state = DesiredState(resources=tuple(models))
            try:
                baseline = run_pass(config, state, store=store).report
                changes = _introduce_drift(client, models)
                report = run_pass(config, state, store=store).report
            finally:
                store.close()
    finally:
        server.stop()
    chosen = fmt or "text"
    sys.stdout.write(render(report, chosen, color=chosen == "text" and sys.stdout.isatty()))
    if chosen == "text":
        where = ", ".join(os.path.relpath(d) if not os.path.relpath(d).startswith("..") else d
                          for d in config.desired)
        print()
        import textwrap

        print(textwrap.fill(EXPLANATION.format(desired=where, changes="; ".join(changes)), width=100))
        print()
        print(TRY_NEXT)
        print(f"(demo finished in {time.monotonic() - started:.1f}s; the local SageMaker has been stopped)")
    return 0 if _worked(baseline, report) else 1


def _worked(baseline: Report, report: Report) -> bool:
    """The demo worked when the untouched world was in sync and every kind of drift was then found."""
    found = {m.status for m in report.models}
    return baseline.exit_code() == 0 and {Status.MODIFIED, Status.UNMANAGED} <= found and report.exit_code() == 2
