"""Benchmark: `drift check` against N models behind an endpoint with real-world latency.

    python bench/run.py [--models N] [--latency-ms L] [--skip-naive] [--out bench/results.json]

Starts the local SageMaker (moto, faithful adapter) in its own process, creates N models, and puts a
proxy in front of it that adds L ms to every AWS call and counts calls by operation. Then, in one run
on the same world, it times as whole processes: a naive sequential boto3 loop, an ideal in-process
loop, `drift validate` (the fixed cost every pass shares), `drift check --full`, a steady-state
`drift check`, and a `drift check` after 1% of the models were re-created with a change (checked
against a full pass). It also measures normalise+compare CPU per model and each command's peak RSS.
It prints a table and writes the figures as JSON. Targets live here, never in timed tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# `python bench/run.py` puts bench/ first on sys.path; the fault proxy is test tooling under tests/.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from tests.proxy import FaultProxy  # noqa: E402


def model_spec(i: int, image_tag: str = "1.0.0") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ModelName": f"bench-model-{i:05d}",
        "ExecutionRoleArn": f"arn:aws:iam::123456789012:role/team-{i % 17}-inference",
        "PrimaryContainer": {
            "Image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/svc-{i % 50}:{image_tag}",
            "ModelDataUrl": f"s3://ml-artifacts/svc-{i % 50}/model-{i}/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "WORKERS": str(1 + i % 4), "MODEL_ID": str(i)},
        },
    }
    if i % 20 == 0:
        spec["Tags"] = [{"Key": "team", "Value": f"team-{i % 17}"}]
    return spec


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    return out


def timed(args: list[str], proxy: FaultProxy | None = None) -> dict[str, Any]:
    """Run one whole process; wall time, peak RSS (MB), AWS calls seen by the proxy, exit code, stdout."""
    if proxy:
        proxy.counts.clear()
    with tempfile.NamedTemporaryFile(suffix=".json") as record:
        proc = subprocess.run([sys.executable, str(HERE / "_measure.py"), record.name, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env(), cwd=REPO, check=False)
        measured = json.loads(Path(record.name).read_text())
    calls = dict(proxy.counts) if proxy else {}
    return {"seconds": round(measured["seconds"], 3), "rss_mb": round(measured["rss_kb"] / 1024, 1),
            "exit": measured["exit"], "calls": sum(calls.values()), "by_operation": calls, "stdout": proc.stdout}


def create_models(url: str, specs: list[dict[str, Any]], recreate: bool = False) -> None:
    from drift.embedded import create_model_request

    client = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                          aws_secret_access_key="bench")

    def one(spec: dict[str, Any]) -> None:
        if recreate:
            client.delete_model(ModelName=spec["ModelName"])
        client.create_model(**create_model_request(spec))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, specs))


def cpu_per_model(specs: list[dict[str, Any]]) -> float:
    """CPU milliseconds per in-sync model for normalise + compare (the work every pass does per model)."""
    from drift.compare import canonical_desired, canonical_live, compare_canonical
    from drift.desired import DesiredModel
    from drift.embedded import create_model_request

    models = [DesiredModel(s["ModelName"], None, s, "bench.yaml", 1) for s in specs]
    lives = []
    for s in specs:
        live = create_model_request(s)
        live.pop("Tags", None)
        lives.append(live)
    started = time.process_time()
    for model, live in zip(models, lives, strict=True):
        declared, expected = canonical_desired(model)
        actual = canonical_live(live, None)
        if model.declares_tags:
            actual = {**actual, "Tags": declared["Tags"]}
        assert not compare_canonical(model, declared, expected, actual)
    return (time.process_time() - started) * 1000 / len(models)


def essence(stdout: bytes) -> list[Any]:
    report = json.loads(stdout)
    return [(m["name"], m["status"], m["differences"]) for m in report["models"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--skip-naive", action="store_true", help="skip the naive loop (slow at large N)")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    args = parser.parse_args()
    n = args.models
    work = Path(tempfile.mkdtemp(prefix="drift-bench-"))
    server = subprocess.Popen([sys.executable, str(HERE / "_server.py")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env(), cwd=REPO)
    try:
        url = server.stdout.readline().decode().strip() if server.stdout else ""
        print(f"local SageMaker at {url}; creating {n} models ...", file=sys.stderr)
        specs = [model_spec(i) for i in range(n)]
        create_models(url, specs)
        (work / "models").mkdir()
        for start in range(0, n, 500):
            (work / "models" / f"part-{start // 500:03d}.yaml").write_text(
                yaml.safe_dump({"models": specs[start:start + 500]}, sort_keys=False))
        with FaultProxy(url, latency=args.latency_ms / 1000) as proxy:
            config = work / "drift.yaml"
            config.write_text(yaml.safe_dump({
                "aws": {"region": "us-east-1", "endpoint_url": proxy.url},
                "desired": [str(work / "models")],
                "scope": {"unmanaged": True},
                "state": {"path": str(work / "state.db")},
            }))
            drift = [sys.executable, "-m", "drift"]
            results: dict[str, Any] = {}
            print("timing ...", file=sys.stderr)
            results["startup"] = timed([*drift, "--version"])
            results["validate"] = min((timed([*drift, "validate", "--config", str(config)]) for _ in range(3)),
                                      key=lambda r: r["seconds"])
            if not args.skip_naive:
                results["naive_loop"] = timed([sys.executable, str(HERE / "loops.py"), "naive", proxy.url], proxy)
            results["ideal_loop"] = timed([sys.executable, str(HERE / "loops.py"), "ideal", proxy.url], proxy)
            check = [*drift, "check", "--config", str(config), "--format", "json", "--log-level", "warning"]
            results["check_full"] = timed([*check, "--full"], proxy)
            results["check_steady"] = timed(check, proxy)
            rng = random.Random(42)
            changed = sorted(rng.sample(range(n), max(1, n // 100)))
            create_models(url, [model_spec(i, image_tag="1.0.1-hotfix") for i in changed], recreate=True)
            shutil.copy(work / "state.db", work / "state-copy.db")
            results["check_after_1pct"] = timed(check, proxy)
            config_copy = work / "drift-copy.yaml"
            config_copy.write_text(config.read_text().replace("state.db", "state-copy.db"))
            full_again = timed([*drift, "check", "--config", str(config_copy), "--format", "json", "--full",
                                "--log-level", "warning"], proxy)
        modified = sorted(name for name, status, _ in essence(results["check_after_1pct"]["stdout"])
                          if status == "MODIFIED")
        expected_modified = sorted(model_spec(i)["ModelName"] for i in changed)
        same_as_full = essence(results["check_after_1pct"]["stdout"]) == essence(full_again["stdout"])
        cpu_ms = cpu_per_model(specs[: min(n, 2000)])
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    for value in results.values():
        value.pop("stdout", None)
    fixed = results["validate"]["seconds"]
    full_own = results["check_full"]["seconds"] - fixed
    steady_own = results["check_steady"]["seconds"] - fixed
    budget = math.ceil(n / 100) + 3
    summary = {
        "models": n,
        "latency_ms": args.latency_ms,
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
        "results": results,
        "derived": {
            "full_speedup_vs_naive": round(results["naive_loop"]["seconds"] / results["check_full"]["seconds"], 1)
            if "naive_loop" in results else None,
            "full_own_work_s": round(full_own, 3),
            "full_own_vs_ideal": round(full_own / results["ideal_loop"]["seconds"], 2),
            "steady_own_work_s": round(steady_own, 3),
            "steady_own_vs_full_own": round(steady_own / full_own, 3) if full_own > 0 else None,
            "steady_calls": results["check_steady"]["calls"],
            "steady_call_budget": budget,
            "after_1pct_calls": results["check_after_1pct"]["calls"],
            "after_1pct_call_budget": budget + len(changed),
            "after_1pct_modified_exactly_changed": modified == expected_modified,
            "after_1pct_equals_full_pass": same_as_full,
            "cpu_ms_per_in_sync_model": round(cpu_ms, 4),
        },
    }
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    print_table(summary)
    return 0


def print_table(summary: dict[str, Any]) -> None:
    r, d = summary["results"], summary["derived"]
    print(f"\nsagemaker-drift benchmark: {summary['models']} models, {summary['latency_ms']:g} ms per AWS call, "
          f"{summary['machine']['cpus']} CPUs, Python {summary['machine']['python']}")
    print(f"{'step':<28}{'seconds':>10}{'AWS calls':>11}{'peak RSS MB':>13}")
    for key in ("startup", "validate", "naive_loop", "ideal_loop", "check_full", "check_steady", "check_after_1pct"):
        if key in r:
            print(f"{key:<28}{r[key]['seconds']:>10.2f}{r[key]['calls'] or '':>11}{r[key]['rss_mb']:>13.1f}")
    print()
    if d["full_speedup_vs_naive"] is not None:
        print(f"check --full vs naive loop:            {d['full_speedup_vs_naive']}x faster (target >= 10x)")
    print(f"check --full own work vs ideal loop:   {d['full_own_vs_ideal']}x (target <= 1.5x)")
    print(f"steady own work vs full own work:      {d['steady_own_vs_full_own']} (target <= 0.2)")
    print(f"steady-state AWS calls:                {d['steady_calls']} (budget {d['steady_call_budget']}; "
          f"by operation: {r['check_steady']['by_operation']})")
    print(f"after 1% re-created, AWS calls:        {d['after_1pct_calls']} (budget {d['after_1pct_call_budget']}; "
          f"by operation: {r['check_after_1pct']['by_operation']})")
    print("  (models that declare Tags add one GetResources page per 100 tagged models: tags change in place)")
    print(f"  exactly the re-created are MODIFIED: {d['after_1pct_modified_exactly_changed']}")
    print(f"  report equals a full pass:           {d['after_1pct_equals_full_pass']}")
    print(f"normalise+compare CPU per model:       {d['cpu_ms_per_in_sync_model']} ms (target < 0.3 ms)")


if __name__ == "__main__":
    raise SystemExit(main())
