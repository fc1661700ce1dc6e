"""Daemon soak: delivery latency after a change, and RSS over many passes.

    python bench/daemon_soak.py [--models 200] [--passes 1000] [--interval 0.1] [--out bench/daemon.json]

Runs `drift daemon` as a real process against the local SageMaker with a webhook receiver on
127.0.0.1. Measures: seconds from a model being re-created with another image to the webhook
delivery (several times, with a 1 s schedule), and the daemon's RSS after 10, 100, ... passes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bench import REPO, Server, create_models, env, invocation  # noqa: E402
from run import model_spec  # noqa: E402


class Hook:
    def __init__(self) -> None:
        self.times: list[float] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.times.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def passes(log: Path) -> int:
    return log.read_text().count('"drift.run.finished"')


def wait(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {condition}")


def run_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "drift", "daemon", "--config", str(config), "--listen",
                             "127.0.0.1:0", "--log-format", "json"], stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"), env=env(), cwd=REPO)


#: The images and artifacts these models name do not exist; integrity (SPEC §8) has its own benchmark.
NO_INTEGRITY: dict[str, Any] = {"integrity": {"images": False, "artifacts": False}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--passes", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between passes in the RSS soak")
    parser.add_argument("--out", default=str(HERE / "daemon.json"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="drift-soak-"))
    server = Server()
    url = server.url
    specs = [model_spec(i) for i in range(args.models)]
    create_models(url, specs)
    (work / "models.yaml").write_text(yaml.safe_dump({"models": specs}, sort_keys=False))
    hook = Hook()
    client = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                          aws_secret_access_key="bench")
    results: dict[str, Any] = {"command": invocation(), "models": args.models}
    try:
        # 1. Delivery latency with the default-like 1 s schedule.
        config = work / "latency.yaml"
        config.write_text(yaml.safe_dump({
            "aws": {"region": "us-east-1", "endpoint_url": url}, "desired": [str(work / "models.yaml")],
            "schedule": {"interval": "1s"}, "state": {"path": str(work / "latency.db")}, **NO_INTEGRITY,
            "notify": [{"type": "webhook", "url": hook.url}]}))
        log = work / "latency.log"
        daemon = run_daemon(config, log)
        wait(lambda: passes(log) >= 2, 60)
        latencies = []
        from drift.embedded import create_model_request

        for i in range(5):
            before = len(hook.times)
            client.delete_model(ModelName=model_spec(i)["ModelName"])
            client.create_model(**create_model_request(model_spec(i, image_tag=f"9.9.{i}")))
            changed_at = time.monotonic()
            wait(lambda before=before: len(hook.times) > before, 30)
            latencies.append(hook.times[-1] - changed_at)
        daemon.terminate()
        daemon.wait(timeout=30)
        results["delivery_latency_s"] = {"samples": [round(x, 3) for x in latencies],
                                         "median": round(statistics.median(latencies), 3),
                                         "max": round(max(latencies), 3), "schedule_interval_s": 1.0}
        # 2. RSS over many passes.
        config = work / "soak.yaml"
        config.write_text(yaml.safe_dump({
            "aws": {"region": "us-east-1", "endpoint_url": url}, "desired": [str(work / "models.yaml")],
            "schedule": {"interval": f"{int(args.interval * 1000)}ms"}, "state": {"path": str(work / "soak.db")},
            **NO_INTEGRITY}))
        log = work / "soak.log"
        daemon = run_daemon(config, log)
        samples: dict[int, float] = {}
        started = time.monotonic()
        for checkpoint in (10, 100, 250, 500, 750, args.passes):
            if checkpoint > args.passes:
                continue
            wait(lambda checkpoint=checkpoint: passes(log) >= checkpoint, 3600)
            samples[checkpoint] = round(rss_mb(daemon.pid), 1)
            print(f"after {checkpoint} passes: RSS {samples[checkpoint]} MB", file=sys.stderr)
        results["soak"] = {"passes": args.passes, "seconds": round(time.monotonic() - started, 1),
                           "rss_mb_after_passes": samples}
        daemon.terminate()
        results["soak"]["exit_code"] = daemon.wait(timeout=30)
    finally:
        server.close()
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
