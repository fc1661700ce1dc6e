"""deploy/ stays usable: manifests parse, the IAM policy is read-only, the shipped configs validate."""

from __future__ import annotations

import configparser
import json
from pathlib import Path

import pytest
import yaml

from drift.config import load_config
from tests.helpers import REPO, clean_env, run_drift

DEPLOY = REPO / "deploy"


@pytest.mark.parametrize(("name", "kinds"), [
    ("cronjob.yaml", ["CronJob"]),
    ("deployment.yaml", ["Deployment", "PersistentVolumeClaim", "Service"]),
    ("configmap.yaml", ["ConfigMap"]),
    ("secret.yaml", ["Secret"]),
    ("serviceaccount.yaml", ["ServiceAccount"]),
    ("servicemonitor.yaml", ["ServiceMonitor"]),
])
def test_kubernetes_manifests_parse(name: str, kinds: list[str]) -> None:
    """Each manifest is valid YAML with the expected kinds."""
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / name).read_text()))
    assert kinds == [d["kind"] for d in docs]


def test_deployment_probes_health_and_is_scraped() -> None:
    """The daemon Deployment probes /healthz and is annotated for Prometheus."""
    deployment = next(yaml.safe_load_all((DEPLOY / "kubernetes" / "deployment.yaml").read_text()))
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert ("/healthz", "/healthz") == (container["livenessProbe"]["httpGet"]["path"],
                                        container["readinessProbe"]["httpGet"]["path"])
    assert "true" == pod["metadata"]["annotations"]["prometheus.io/scrape"]


def test_systemd_units_parse() -> None:
    """systemd units are INI files with the usual sections."""
    for path in (DEPLOY / "systemd").iterdir():
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(path)
        assert "Unit" in parser.sections(), path


def test_dockerfile_runs_the_daemon_as_non_root() -> None:
    """The image runs `drift daemon` as a non-root user with a health check."""
    text = (DEPLOY / "Dockerfile").read_text()
    assert "USER drift" in text
    assert "HEALTHCHECK" in text
    assert 'ENTRYPOINT ["drift"]' in text


def test_iam_policy_is_read_only() -> None:
    """Least privilege: only List/Describe/Get reads and sts:AssumeRole, never a write."""
    policy = json.loads((DEPLOY / "iam-policy.json").read_text())
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert {"sagemaker:ListModels", "sagemaker:DescribeModel", "sagemaker:ListTags"} <= set(actions)
    for action in actions:
        verb = action.split(":")[1]
        assert verb.startswith(("List", "Describe", "Get")) or action == "sts:AssumeRole", action


def test_configmap_config_validates(tmp_path: Path) -> None:
    """The config shipped in the ConfigMap is a valid drift.yaml."""
    config_map = yaml.safe_load((DEPLOY / "kubernetes" / "configmap.yaml").read_text())
    path = tmp_path / "drift.yaml"
    path.write_text(config_map["data"]["drift.yaml"])
    with pytest.MonkeyPatch.context() as patch:
        for name in ("SLACK_WEBHOOK_URL", "DRIFT_WEBHOOK_URL"):
            patch.setenv(name, "https://example.invalid/hook")
        patch.setenv("DRIFT_WEBHOOK_SECRET", "x" * 16)
        config = load_config(str(path))
    assert 2 == len(config.notify)


def test_example_config_validates() -> None:
    """`drift validate` accepts the example config/ as shipped."""
    result = run_drift("validate", env=clean_env(HF_TOKEN="placeholder"))
    assert (0, "") == (result.returncode, result.stderr)
