"""Benchmark: integrity reads (SPEC §8, issue 12): what a steady `drift check` pays to resolve images and artifacts.

    python bench/integrity.py [--models N] [--repositories R] [--latency-ms L] [--out bench/integrity.json]

Starts the local SageMaker in its own process and builds a world where every reference resolves: N models
(1,000 by default) whose images are spread over R ECR repositories (50 by default), one tag per model,
pushed with AwsWorld.push_image, and whose artifacts are N distinct S3 objects written with put_object.
Behind the latency-adding, call-counting proxy (L ms a call, 50 by default) it times as whole processes
a steady `drift check` (state kept: a first pass recorded the baselines) with integrity on, and one with
`integrity: {images: false, artifacts: false}`, each with its AWS calls by operation and peak RSS.
Per pass, SPEC §8 allows at most one BatchGetImage per repository and 100 tags, and one HeadObject per
distinct object. Targets live here, never in timed tests.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
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
    invocation,
    machine,
    table,
    timed,
    write,
)
from run import model_spec

from drift.embedded.world import AwsWorld, image_uri

BUCKET = "ml-artifacts"


def spec(i: int, repositories: int) -> dict[str, Any]:
    """bench/run.py's model, its image one tag per model in one of the repositories."""
    out = model_spec(i)
    out["PrimaryContainer"]["Image"] = image_uri(f"svc-{i % repositories}", f"build-{i}")
    return out


def artifact_key(model: dict[str, Any]) -> str:
    return str(model["PrimaryContainer"]["ModelDataUrl"]).removeprefix(f"s3://{BUCKET}/")


def build(url: str, specs: list[dict[str, Any]], repositories: int) -> None:
    """Push every model's image and write every model's artifact (8 at a time)."""
    world = AwsWorld(url)
    for r in range(repositories):  # repositories and the bucket first, so the writers do not race to create them
        world.push_image(f"svc-{r}", "base", f"svc-{r}:base")
    world.put_object(BUCKET, "base", b"base")

    def one(i: int) -> None:
        model = specs[i]
        repo, tag = model["PrimaryContainer"]["Image"].rsplit("/", 1)[1].split(":")
        world.push_image(repo, tag, f"{repo}:{tag}")
        world.put_object(BUCKET, artifact_key(model), f"weights of {model['ModelName']}".encode())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(len(specs))))


def config(work: Path, name: str, proxy_url: str, integrity: bool) -> str:
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "aws": {"region": "us-east-1", "endpoint_url": proxy_url},
        "desired": [str(work / "models")],
        "scope": {"unmanaged": True},
        **({} if integrity else {"integrity": {"images": False, "artifacts": False}}),
        "state": {"path": str(work / f"{name}.db")},
    }, sort_keys=False))
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--repositories", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--out", default=str(HERE / "integrity.json"))
    args = parser.parse_args()
    n, repos = args.models, args.repositories
    work = Path(tempfile.mkdtemp(prefix="drift-integrity-"))
    results: dict[str, Any] = {}
    configs: dict[str, str] = {}
    try:
        with Server() as server:
            print(f"local SageMaker at {server.url}; creating {n} models, images and artifacts ...", file=sys.stderr)
            specs = [spec(i, repos) for i in range(n)]
            create_models(server.url, specs)
            build(server.url, specs, repos)
            (work / "models").mkdir()
            for start in range(0, n, 500):
                (work / "models" / f"part-{start // 500:03d}.yaml").write_text(
                    yaml.safe_dump({"models": specs[start:start + 500]}, sort_keys=False))
            with FaultProxy(server.url, latency=args.latency_ms / 1000) as proxy:
                print("timing ...", file=sys.stderr)
                on = config(work, "integrity-on", proxy.url, integrity=True)
                off = config(work, "integrity-off", proxy.url, integrity=False)
                configs = {Path(p).name: Path(p).read_text() for p in (on, off)}
                results["validate"] = best_of(3, [*DRIFT, "validate", "--config", on])
                results["first_on"] = timed(check_command(on), proxy)
                results["steady_on"] = timed(check_command(on), proxy)
                results["first_off"] = timed(check_command(off), proxy)
                results["steady_off"] = timed(check_command(off), proxy)
        unverified = [(m["name"], m["unverified"]) for m in _report(results["steady_on"])["models"]
                      if m.get("unverified")]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = summarise(args, results, unverified, configs)
    write(args.out, summary)
    print_table(summary)
    return 0


def _report(result: dict[str, Any]) -> dict[str, Any]:
    import json

    if result["exit"] not in (0, 2):
        print(result["stderr"].decode()[-2000:], file=sys.stderr)
    return dict(json.loads(result["stdout"]))


def summarise(args: argparse.Namespace, r: dict[str, Any], unverified: list[Any],
              configs: dict[str, str]) -> dict[str, Any]:
    n, repos = args.models, args.repositories
    per_repo = math.ceil(n / repos)
    on, off = r["steady_on"], r["steady_off"]
    derived = {
        "steady_on_s": on["seconds"], "steady_off_s": off["seconds"],
        "integrity_cost_s": round(on["seconds"] - off["seconds"], 3),
        "batch_get_image": on["by_operation"].get("ecr.BatchGetImage", 0),
        "batch_get_image_budget": repos * math.ceil(per_repo / 100),
        "head_object": on["by_operation"].get("s3.HeadObject", 0),
        "head_object_expected": n,
        "steady_on_rss_mb": on["rss_mb"], "steady_off_rss_mb": off["rss_mb"],
        "models_unverified": len(unverified), "unverified_sample": unverified[:3],
        "exit_codes": {key: value["exit"] for key, value in r.items()},
    }
    return {"command": invocation(), "models": n, "repositories": repos, "artifacts": n,
            "latency_ms": args.latency_ms, "machine": machine(), "configs": configs, "results": r, "derived": derived}


def print_table(summary: dict[str, Any]) -> None:
    r, d = summary["results"], summary["derived"]
    print(f"\nintegrity: {summary['models']} models, {summary['repositories']} ECR repositories, "
          f"{summary['artifacts']} S3 artifacts, {summary['latency_ms']:g} ms per AWS call, "
          f"{summary['machine']['cpus']} CPUs, Python {summary['machine']['python']}")
    table(r, 14)
    print()
    print(f"steady pass, integrity on vs off:  {d['steady_on_s']} s vs {d['steady_off_s']} s "
          f"(integrity costs {d['integrity_cost_s']} s)")
    print(f"ecr.BatchGetImage per pass:        {d['batch_get_image']} (budget {d['batch_get_image_budget']})")
    print(f"s3.HeadObject per pass:            {d['head_object']} (expected {d['head_object_expected']})")
    print(f"peak RSS, integrity on / off:      {d['steady_on_rss_mb']} / {d['steady_off_rss_mb']} MB")
    print(f"models with unverified references: {d['models_unverified']} (expected 0)")
    print(f"exit codes: {d['exit_codes']}")


if __name__ == "__main__":
    raise SystemExit(main())
