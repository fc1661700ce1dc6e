"""`drift demo`: see drift detection work in seconds, on an embedded local AWS, with no AWS account.

It never touches real AWS: the user's credentials, profile and endpoint variables
are removed from this process before anything else runs, and every call goes to a
moto server on 127.0.0.1 that lives and dies with the demo. The example config
ships in the package (drift/examples, the repository's config/), so the demo works
from an installed wheel anywhere.

The world: the example models, their images in ECR and artifacts in S3, and the
fraud detector's endpoint. Then what happens in real life: a model re-created by
hand with a hotfix image (its endpoint now runs a stale incarnation), an extra
environment variable, a deleted model, a stray one, and an image tag pushed again
to another digest while nothing in SageMaker changed.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drift.config import AwsSettings, Config, Target, load_config
from drift.desired import DesiredState, PlaceholderEnv, load_desired
from drift.errors import DriftError
from drift.integrity.refs import parse_image
from drift.report import DiffType, Kind, Report, Status

UNMANAGED_NAME = "scratch-experiment-42"

EXPLANATION = (
    "What you are looking at: a local AWS was started on 127.0.0.1 and the resources declared in {desired} "
    "were created in it, with their images in ECR and their artifacts in S3. Then things changed the way they "
    "do in real life: {changes}. drift compared every live resource with its declaration, checked what each "
    "image tag and artifact points at, and checked what each endpoint really runs; every finding names the "
    "file and line that declare it. Exit codes are 0 in sync, 2 drift, 1 error, so `drift check` can gate CI "
    "like `terraform plan`."
)

def try_next(examples: Path) -> str:
    """What to try after the demo; the example files are named by path when ``config/`` here is not them."""
    here = Path("config", "drift.yaml")
    given = "" if here.is_file() and here.resolve() == (examples / "drift.yaml").resolve() else (
        f" --config {examples / 'drift.yaml'}")
    return (
        "Try next:\n"
        f"  HF_TOKEN=x drift validate{given}\n"
        "      check the example files, no AWS calls (one example reads HF_TOKEN)\n"
        "  drift check --help\n"
        "      run against your account (the README's IAM section has a read-only policy)\n"
        "  drift import --region REGION --out config/models\n"
        "      adopt the resources you already have\n"
        "  drift lock\n"
        "      pin what your image tags and artifacts resolve to, for review\n"
    )


def examples_dir() -> Path:
    """The example config shipped in the package (a wheel's drift/examples), or the checkout's config/."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "examples", package.parent / "config"):
        if (candidate / "drift.yaml").is_file():
            return candidate.resolve()  # in a checkout, the link leads to config/: name files as people know them
    raise DriftError("the example config is missing from this installation (drift/examples/drift.yaml)")


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


def _demo_config(config_path: str, url: str, state_dir: str) -> Config:
    base = load_config(config_path)
    target = Target(name="demo", regions=("us-east-1",), endpoint_url=url)
    return dataclasses.replace(
        base, aws=AwsSettings(targets=(target,), max_attempts=3, concurrency=8, endpoint_url=url,
                              region="us-east-1"),
        notify=(), unmanaged=True, name_prefix="", state_path=os.path.join(state_dir, "state.db"), lock_path=None)


class _World:
    """The example resources made live in the embedded AWS, and the changes that then happen to them."""

    def __init__(self, url: str, desired: DesiredState) -> None:
        from drift.embedded.world import AwsWorld

        self.aws = AwsWorld(url)
        self.sm = self.aws.client("sagemaker")
        self.desired = desired

    def _push(self, image: str, seed: str) -> None:
        parsed = parse_image(image)
        if parsed is not None and parsed.tag:
            self.aws.push_image(parsed.repository, parsed.tag, seed, account=parsed.registry, region=parsed.region)

    def _artifacts(self, container: Mapping[str, Any]) -> list[str]:
        source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
        uris = [u for u in (container.get("ModelDataUrl"), source.get("S3Uri")) if isinstance(u, str)]
        return [u + "model.tar.gz" if u.endswith("/") else u for u in uris]

    def build(self) -> None:
        from drift.embedded import create_model_request

        for model in self.desired.models:
            spec = create_model_request(model.spec)
            for container in [spec.get("PrimaryContainer"), *(spec.get("Containers") or [])]:
                if container:
                    self._push(container["Image"], f"{model.name}-release")
                    for uri in self._artifacts(container):
                        bucket, _, key = uri[5:].partition("/")
                        self.aws.put_object(bucket, key, f"weights of {model.name}".encode(), versioned=True)
            self.sm.create_model(**spec)
        for config in self.desired.of_kind(Kind.ENDPOINT_CONFIG):
            self.sm.create_endpoint_config(**create_model_request(config.spec))
        for endpoint in self.desired.of_kind(Kind.ENDPOINT):
            self.sm.create_endpoint(**create_model_request(endpoint.spec))

    def _recreate(self, name: str, change: Any) -> None:
        from drift.embedded import create_model_request

        model = next(m for m in self.desired.models if m.name == name)
        spec = create_model_request(model.spec)
        change(spec.get("PrimaryContainer") or spec["Containers"][0])
        self.sm.delete_model(ModelName=name)
        self.sm.create_model(**spec)

    def drift(self) -> list[str]:
        """Realistic changes, each kind of finding once."""
        names = {m.name for m in self.desired.models}
        changes = []
        if "fraud-detector-v3" in names:
            def hotfix(container: dict[str, Any]) -> None:
                container["Image"] = container["Image"].rsplit(":", 1)[0] + ":3.1.1-hotfix"
                container.setdefault("Environment", {})["DEBUG"] = "1"
                self._push(container["Image"], "hotfix-by-hand")
            self._recreate("fraud-detector-v3", hotfix)
            changes.append("fraud-detector-v3 was deleted and re-created by hand with a hotfix image and DEBUG=1, "
                           "while its endpoint kept running the old model")
        if "support-llm-7b" in names:
            self.sm.delete_model(ModelName="support-llm-7b")
            changes.append("support-llm-7b was deleted")
        churn = next((m for m in self.desired.models if m.name == "churn-pipeline"), None)
        if churn is not None and len(churn.spec.get("Containers") or []) > 1:
            self._push(churn.spec["Containers"][1]["Image"], "rebuilt-and-pushed-again")
            changes.append("the image tag of churn-pipeline's second container was pushed again to another digest "
                           "(nothing in SageMaker changed)")
        self.sm.create_model(ModelName=UNMANAGED_NAME, PrimaryContainer={"Image": "python:3.11-slim"},
                             ExecutionRoleArn="arn:aws:iam::123456789012:role/notebook")
        changes.append(f"{UNMANAGED_NAME} was created outside the desired state")
        return changes


def run_demo(*, fmt: str | None, keep: bool = False) -> int:
    started = time.monotonic()
    config_path = str(examples_dir() / "drift.yaml")
    _isolate_from_aws()
    from drift import demo_keep
    from drift.embedded import LocalSageMaker
    from drift.pipeline import run_pass
    from drift.render import render
    from drift.store import Store

    server = LocalSageMaker()
    url = server.start()
    state_dir = tempfile.mkdtemp(prefix="drift-demo-")
    try:
        config = _demo_config(config_path, url, state_dir)
        environ = PlaceholderEnv()
        desired = load_desired(config.desired, environ=environ)
        world = _World(url, desired)
        world.build()
        store = Store(config.state_path or os.path.join(state_dir, "state.db"))
        try:
            baseline = run_pass(config, desired, store=store).report
            changes = world.drift()
            report = run_pass(config, desired, store=store).report
        finally:
            store.close()
        chosen = fmt or "text"
        sys.stdout.write(render(report, chosen, color=chosen == "text" and sys.stdout.isatty()))
        if chosen == "text":
            where = ", ".join(os.path.relpath(d) if not os.path.relpath(d).startswith("..") else d
                              for d in config.desired)
            print()
            print(textwrap.fill(EXPLANATION.format(desired=where, changes="; ".join(changes)), width=100))
            print()
            if not keep:
                print(try_next(examples_dir()))
                print(f"(demo finished in {time.monotonic() - started:.1f}s; the local AWS has been stopped)")
        if keep:
            kept = demo_keep.write_config(state_dir, url, config.desired)
            print(demo_keep.instructions(url, kept, environ.placeholders),
                  file=sys.stdout if chosen == "text" else sys.stderr, flush=True)
            sys.stdout.flush()
            demo_keep.wait_for_stop()
            print("(stopping: the local AWS and its files are removed)", file=sys.stdout if chosen == "text"
                  else sys.stderr, flush=True)
    finally:
        server.stop()
        demo_keep.remove(state_dir)
    return 0 if worked(baseline, report) else 1


def worked(baseline: Report, report: Report) -> bool:
    """The demo worked when the untouched world was in sync and every kind of drift was then found."""
    found = {m.status for m in report.resources}
    kinds = {d.type for m in report.resources for d in m.differences}
    return (baseline.exit_code() == 0 and {Status.MODIFIED, Status.MISSING, Status.UNMANAGED} <= found
            and {DiffType.REPOINTED, DiffType.STALE} <= kinds and report.exit_code() == 2)
