"""Benchmark: `drift check` against N models behind an endpoint with real-world latency.

    python bench/run.py [--models N] [--latency-ms L] [--skip-naive] [--out bench/results.json]

Starts the local SageMaker (moto, faithful adapter) in its own process, creates N models, and puts a
proxy in front of it that adds L ms to every AWS call and counts calls by operation. Then, in one run
on the same world, it times as whole processes: a naive sequential boto3 loop, an ideal in-process
loop, `drift validate` (the fixed cost every pass shares), `drift check --full` (with bulk reads, and
with `bulk_read: off` as every full pass was before them), a steady-state
`drift check`, and a `drift check` after 1% of the models were re-created with a change (checked
against a full pass). It also measures normalise+compare CPU per model and each command's peak RSS.
It prints a table and writes the figures as JSON. Targets live here, never in timed tests.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from _bench import (
    DRIFT,
    HERE,
    FaultProxy,
    Server,
    best_of,
    check_command,
    create_models,
    essence,
    invocation,
    machine,
    timed,
    write,
)


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


def cpu_per_model(specs: list[dict[str, Any]]) -> float:
    """CPU milliseconds per in-sync model for normalise + compare (the work every pass does per model)."""
    from drift.aws.sagemaker import Listed
    from drift.classify import compare_live, desired_forms
    from drift.desired import DesiredResource
    from drift.embedded import create_model_request
    from drift.kinds import KINDS, Context
    from drift.read.tags import canonical_tags
    from drift.read.types import Live
    from drift.report import Kind

    models = [DesiredResource(s["ModelName"], None, s, "bench.yaml", 1) for s in specs]
    raws = []
    for s in specs:
        raw = create_model_request(s)
        tags = raw.pop("Tags", None)
        raws.append((raw, tags))
    ctx = Context(account="123456789012", region="us-east-1")
    started = time.process_time()
    for model, (raw, tags) in zip(models, raws, strict=True):
        forms = desired_forms(None, model)
        listed = Listed(model.name, f"arn:aws:sagemaker:us-east-1:123456789012:model/{model.name}", "t")
        live = Live(kind=Kind.MODEL, listed=listed, form=KINDS[Kind.MODEL].canonical(raw),
                    tags=canonical_tags(tags) if tags else None)
        differences, _ = compare_live(model, forms, live, ctx)
        assert not differences, differences
    return (time.process_time() - started) * 1000 / len(models)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--skip-naive", action="store_true", help="skip the naive loop (slow at large N)")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    args = parser.parse_args()
    n = args.models
    work = Path(tempfile.mkdtemp(prefix="drift-bench-"))
    with Server() as server:
        print(f"local SageMaker at {server.url}; creating {n} models ...", file=sys.stderr)
        specs = [model_spec(i) for i in range(n)]
        create_models(server.url, specs)
        (work / "models").mkdir()
        for start in range(0, n, 500):
            (work / "models" / f"part-{start // 500:03d}.yaml").write_text(
                yaml.safe_dump({"models": specs[start:start + 500]}, sort_keys=False))
        with FaultProxy(server.url, latency=args.latency_ms / 1000) as proxy:
            config = work / "drift.yaml"
            config.write_text(yaml.safe_dump({
                "aws": {"region": "us-east-1", "endpoint_url": proxy.url},
                "desired": [str(work / "models")],
                "scope": {"unmanaged": True},
                # The images and artifacts named here do not exist; integrity (SPEC §8) at scale is
                # bench/integrity.py's subject, in a world where they do.
                "integrity": {"images": False, "artifacts": False},
                "state": {"path": str(work / "state.db")},
            }))
            results: dict[str, Any] = {}
            print("timing ...", file=sys.stderr)
            results["startup"] = timed([*DRIFT, "--version"])
            results["validate"] = best_of(3, [*DRIFT, "validate", "--config", str(config)])
            if not args.skip_naive:
                results["naive_loop"] = timed([sys.executable, str(HERE / "loops.py"), "naive", proxy.url], proxy)
            results["ideal_loop"] = timed([sys.executable, str(HERE / "loops.py"), "ideal", proxy.url], proxy)
            check = check_command(str(config))
            results["check_full"] = timed([*check, "--full"], proxy)
            # What a full pass cost before bulk reads (one DescribeModel a model): the reference the steady
            # pass's "a fifth of a full pass" target was set against.
            described = work / "drift-describe.yaml"
            described.write_text(config.read_text().replace("aws:\n", "aws:\n  bulk_read: 'off'\n", 1))
            results["check_full_describe"] = timed(check_command(str(described), "--full"), proxy)
            results["check_steady"] = timed(check, proxy)
            rng = random.Random(42)
            changed = sorted(rng.sample(range(n), max(1, n // 100)))
            create_models(server.url, [model_spec(i, image_tag="1.0.1-hotfix") for i in changed], recreate=True)
            shutil.copy(work / "state.db", work / "state-copy.db")
            results["check_after_1pct"] = timed(check, proxy)
            config_copy = work / "drift-copy.yaml"
            config_copy.write_text(config.read_text().replace("state.db", "state-copy.db"))
            full_again = timed(check_command(str(config_copy), "--full"), proxy)
        modified = sorted(name for name, status, _ in essence(results["check_after_1pct"]["stdout"])
                          if status == "MODIFIED")
        expected_modified = sorted(model_spec(i)["ModelName"] for i in changed)
        same_as_full = essence(results["check_after_1pct"]["stdout"]) == essence(full_again["stdout"])
        cpu_ms = cpu_per_model(specs[: min(n, 2000)])
        config_text = config.read_text()
    shutil.rmtree(work, ignore_errors=True)

    fixed = results["validate"]["seconds"]
    full_own = results["check_full"]["seconds"] - fixed
    steady_own = results["check_steady"]["seconds"] - fixed
    describe_own = results["check_full_describe"]["seconds"] - fixed
    budget = math.ceil(n / 100) + 3
    summary = {
        "command": invocation(),
        "models": n,
        "latency_ms": args.latency_ms,
        "machine": machine(),
        "config": config_text,
        "results": results,
        "derived": {
            "full_speedup_vs_naive": round(results["naive_loop"]["seconds"] / results["check_full"]["seconds"], 1)
            if "naive_loop" in results else None,
            "full_own_work_s": round(full_own, 3),
            "full_own_vs_ideal": round(full_own / results["ideal_loop"]["seconds"], 2),
            "steady_own_work_s": round(steady_own, 3),
            "steady_own_vs_full_own": round(steady_own / full_own, 3) if full_own > 0 else None,
            "full_describe_own_work_s": round(describe_own, 3),
            "steady_own_vs_full_describe_own": round(steady_own / describe_own, 3) if describe_own > 0 else None,
            "steady_calls": results["check_steady"]["calls"],
            "steady_call_budget": budget,
            "after_1pct_calls": results["check_after_1pct"]["calls"],
            "after_1pct_call_budget": budget + len(changed),
            "after_1pct_modified_exactly_changed": modified == expected_modified,
            "after_1pct_equals_full_pass": same_as_full,
            "cpu_ms_per_in_sync_model": round(cpu_ms, 4),
        },
    }
    write(args.out, summary)
    print_table(summary)
    return 0


def print_table(summary: dict[str, Any]) -> None:
    r, d = summary["results"], summary["derived"]
    print(f"\nsagemaker-drift benchmark: {summary['models']} models, {summary['latency_ms']:g} ms per AWS call, "
          f"{summary['machine']['cpus']} CPUs, Python {summary['machine']['python']}")
    print(f"{'step':<28}{'seconds':>10}{'AWS calls':>11}{'peak RSS MB':>13}")
    for key in ("startup", "validate", "naive_loop", "ideal_loop", "check_full", "check_full_describe",
                "check_steady", "check_after_1pct"):
        if key in r:
            print(f"{key:<28}{r[key]['seconds']:>10.2f}{r[key]['calls'] or '':>11}{r[key]['rss_mb']:>13.1f}")
    print()
    if d["full_speedup_vs_naive"] is not None:
        print(f"check --full vs naive loop:            {d['full_speedup_vs_naive']}x faster (target >= 10x)")
    print(f"check --full own work vs ideal loop:   {d['full_own_vs_ideal']}x (target <= 1.5x)")
    print(f"steady own work vs a describing --full: {d['steady_own_vs_full_describe_own']} (target <= 0.2; "
          "bulk_read: off, one DescribeModel a model)")
    print(f"steady own work vs --full (bulk reads): {d['steady_own_vs_full_own']} (no target: with bulk reads a "
          "full pass is itself ~2N/100 calls)")
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
