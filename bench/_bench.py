"""What every benchmark here shares: the local SageMaker in its own process, whole commands timed, results.

    with Server() as server:                 # bench/_server.py in a process of its own; server.url
        server.command("freeze")             # Search index controls (see _server.py)
        with FaultProxy(server.url, latency=0.05) as proxy:
            figure = timed(["python", "-m", "drift", "check", ...], proxy)

``timed`` runs one whole process through ``_measure.py`` (wall time and the command's own peak RSS) and
returns the AWS calls the proxy saw by operation, the exit code, stdout, and the command itself, so every
figure in a results file says what produced it.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# `python bench/x.py` puts bench/ first on sys.path; the fault proxy is test tooling under tests/.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from tests.proxy import FaultProxy  # noqa: E402

DRIFT = [sys.executable, "-m", "drift"]


def check_command(config: str, *extra: str) -> list[str]:
    """`drift check` as every benchmark times it: a JSON report on stdout, warnings only on stderr."""
    return [*DRIFT, "check", "--config", config, "--format", "json", "--log-level", "warning", *extra]


def env() -> dict[str, str]:
    """The environment of every measured command: dummy credentials, no AWS settings of the machine's."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    return out


def shown(args: list[str]) -> str:
    """A command as a person would type it (``python`` for this interpreter)."""
    return shlex.join(["python" if a == sys.executable else a for a in args])


def timed(args: list[str], proxy: FaultProxy | None = None) -> dict[str, Any]:
    """Run one whole process; wall and CPU time, peak RSS (MB), AWS calls seen by the proxy, exit code, stdout."""
    if proxy:
        with proxy.lock:
            proxy.counts.clear()
    with tempfile.NamedTemporaryFile(suffix=".json") as record:
        proc = subprocess.run([sys.executable, str(HERE / "_measure.py"), record.name, *args], capture_output=True,
                              stdin=subprocess.DEVNULL, env=env(), cwd=REPO, check=False)
        measured = json.loads(Path(record.name).read_text())
    calls = dict(sorted(proxy.counts.items())) if proxy else {}
    return {"seconds": round(measured["seconds"], 3), "cpu_seconds": round(measured["cpu_seconds"], 3),
            "rss_mb": round(measured["rss_kb"] / 1024, 1), "exit": measured["exit"], "calls": sum(calls.values()),
            "by_operation": calls, "command": shown(args), "stdout": proc.stdout, "stderr": proc.stderr}


def best_of(times: int, args: list[str], proxy: FaultProxy | None = None) -> dict[str, Any]:
    """The fastest of a few runs (for fixed costs, which only noise makes slower)."""
    return min((timed(args, proxy) for _ in range(times)), key=lambda r: float(r["seconds"]))


class Server:
    """The local SageMaker (moto, faithful adapters) in its own process, so its CPU is not charged to the
    measured commands. ``command`` sends one control line (freeze, refresh, thaw, fail_search CODE|none)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(HERE / "_server.py")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env(), cwd=REPO)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().decode().strip()

    def command(self, line: str) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{line}\n".encode())
        self.process.stdin.flush()
        answer = self.process.stdout.readline().decode().strip()
        if answer != "ok":
            raise RuntimeError(f"local SageMaker refused {line!r}: {answer}")

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sagemaker(url: str, region: str = "us-east-1") -> Any:
    return boto3.client("sagemaker", endpoint_url=url, region_name=region, aws_access_key_id="bench",
                        aws_secret_access_key="bench")


def create_models(url: str, specs: list[dict[str, Any]], recreate: bool = False, client: Any = None) -> None:
    """Create (or delete and create again) models on the local server, 8 at a time."""
    from drift.embedded import create_model_request

    client = client or sagemaker(url)

    def one(spec: dict[str, Any]) -> None:
        if recreate:
            client.delete_model(ModelName=spec["ModelName"])
        client.create_model(**create_model_request(spec))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, specs))


def essence(stdout: bytes) -> list[Any]:
    """What two reports must agree on: every resource's name, status and differences."""
    report = json.loads(stdout)
    return [(m["name"], m["status"], m["differences"]) for m in report["models"]]


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}


def write(path: str, summary: dict[str, Any]) -> None:
    """The results file: stdout and stderr of the commands are dropped (the figures are what is kept)."""
    for value in summary.get("results", {}).values():
        if isinstance(value, dict):
            value.pop("stdout", None)
            value.pop("stderr", None)
    Path(path).write_text(json.dumps(summary, indent=2, default=str) + "\n")


def table(results: dict[str, Any], width: int = 22) -> None:
    """One line per measured command: wall and CPU seconds, AWS calls (and by operation), peak RSS."""
    print(f"{'step':<{width}}{'seconds':>9}{'CPU s':>8}{'AWS calls':>11}{'peak RSS MB':>13}  by operation")
    for key, value in results.items():
        print(f"{key:<{width}}{value['seconds']:>9.2f}{value['cpu_seconds']:>8.2f}{value['calls'] or '':>11}"
              f"{value['rss_mb']:>13.1f}  {value['by_operation'] or ''}")


def invocation() -> str:
    """How this benchmark was started, for the results file."""
    return shown([sys.executable, *sys.argv])
