"""Benchmark: how many accounts x regions one pod checks in a 15-minute window (SPEC §10, issue 15).

    python bench/organization.py [--accounts A] [--regions R] [--models M] [--latency-ms L]
                                 [--out bench/organization.json]

Starts the local SageMaker in its own process and creates an AWS Organization in it (moto Organizations
and STS, reached as tests/e2e do through AwsWorld.client(service, account=...)): A member accounts
(20 by default), each with M declared models (50) in each of R regions (2: us-east-1, eu-west-1), their
images pushed to ECR (5 repositories a unit, one tag a model) and their artifacts written to S3, so that
integrity resolves every reference. The management account (where the caller's credentials land) is
left out with `exclude_accounts`.

Behind the latency-adding, call-counting proxy (L ms a call, 50 by default) it times, as whole
processes, `drift check` with `aws.organization` (role assumed in every account): a first pass (records
state), then steady passes over all A x R units and over half of the accounts, with integrity on (the
default) and off. The difference between the two steady passes is the marginal cost of a unit at the
default `aws.max_parallel_targets` (8); with the fixed part of a pass it gives the units one process
checks in 15 minutes. Targets live here, never in timed tests.
"""

from __future__ import annotations

import argparse
import contextlib
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

from drift.embedded import DEFAULT_ACCOUNT
from drift.embedded.world import AwsWorld, image_uri, manifest_for

REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
ROLE_NAME = "drift-reader"
WINDOW_S = 900.0
REPOSITORIES = 5
MAX_PARALLEL_TARGETS = 8  # drift's default aws.max_parallel_targets


def spec(i: int, account: str, region: str) -> dict[str, Any]:
    """bench/run.py's model, with its image and artifact in its own account and region."""
    out = model_spec(i)
    out["ExecutionRoleArn"] = f"arn:aws:iam::{account}:role/team-{i % 17}-inference"
    container = out["PrimaryContainer"]
    container["Image"] = image_uri(f"svc-{i % REPOSITORIES}", f"build-{i}", account=account, region=region)
    container["ModelDataUrl"] = f"s3://{bucket(account, region)}/model-{i}/model.tar.gz"
    return out


def bucket(account: str, region: str) -> str:
    return f"ml-{account}-{region}"


def organization(world: AwsWorld, accounts: int) -> list[str]:
    """An organization with ``accounts`` member accounts; their ids."""
    org = world.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = []
    for k in range(accounts):
        status = org.create_account(AccountName=f"ml-{k:02d}", Email=f"ml-{k:02d}@example.com")
        ids.append(str(status["CreateAccountStatus"]["AccountId"]))
    return ids


def populate(world: AwsWorld, url: str, account: str, region: str, models: int) -> None:
    """One unit: its models, their images (one tag each over a few repositories) and their artifacts."""
    specs = [spec(i, account, region) for i in range(models)]
    create_models(url, specs, client=world.client("sagemaker", account=account, region=region))
    ecr, s3 = world.client("ecr", account=account, region=region), world.client("s3", account=account, region=region)
    for r in range(REPOSITORIES):
        with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
            ecr.create_repository(repositoryName=f"svc-{r}")
    placed = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket(account, region), **placed)
    for i, model in enumerate(specs):
        repo, tag = model["PrimaryContainer"]["Image"].rsplit("/", 1)[1].split(":")
        ecr.put_image(repositoryName=repo, imageTag=tag, imageManifest=manifest_for(f"{account}/{region}/{i}").decode())
        s3.put_object(Bucket=bucket(account, region), Key=f"model-{i}/model.tar.gz", Body=f"weights {i}".encode())


def config(work: Path, name: str, proxy_url: str, regions: list[str], exclude: list[str], integrity: bool) -> str:
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "aws": {"region": "us-east-1", "endpoint_url": proxy_url,
                "organization": {"role_name": ROLE_NAME, "regions": regions, "exclude_accounts": exclude}},
        "desired": [str(work / "models")],
        "scope": {"unmanaged": True},
        **({} if integrity else {"integrity": {"images": False, "artifacts": False}}),
        "state": {"path": str(work / "state.db")},
    }, sort_keys=False))
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=2, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--models", type=int, default=50, help="declared models per account and region")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--out", default=str(HERE / "organization.json"))
    args = parser.parse_args()
    regions = list(REGIONS[:args.regions])
    work = Path(tempfile.mkdtemp(prefix="drift-org-"))
    results: dict[str, Any] = {}
    try:
        with Server() as server:
            world = AwsWorld(server.url)
            accounts = organization(world, args.accounts)
            print(f"local SageMaker at {server.url}; organization of {len(accounts)} accounts; creating "
                  f"{args.models} models in each of {len(accounts) * len(regions)} units ...", file=sys.stderr)
            for account in accounts:
                world.client("sts", account=account)  # assume the world's role once, before the threads
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda unit: populate(world, server.url, *unit, args.models),
                              [(a, r) for a in accounts for r in regions]))
            declare(work, accounts, regions, args.models)
            with FaultProxy(server.url, latency=args.latency_ms / 1000) as proxy:
                print("timing ...", file=sys.stderr)
                half = accounts[len(accounts) // 2:]
                everyone, some = [DEFAULT_ACCOUNT], [DEFAULT_ACCOUNT, *half]
                on = config(work, "all-on", proxy.url, regions, everyone, integrity=True)
                configs = [on, config(work, "half-on", proxy.url, regions, some, integrity=True),
                           config(work, "all-off", proxy.url, regions, everyone, integrity=False),
                           config(work, "half-off", proxy.url, regions, some, integrity=False)]
                results["validate"] = best_of(3, [*DRIFT, "validate", "--config", on])
                results["first_all_on"] = timed(check_command(on), proxy)
                for path in configs:  # best of 2: the marginal cost is a difference of two noisy figures
                    results[f"steady_{Path(path).stem.replace('-', '_')}"] = best_of(2, check_command(path), proxy)
                shown = {Path(p).name: Path(p).read_text() for p in configs}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = summarise(args, regions, len(accounts) - len(half), results, shown)
    write(args.out, summary)
    print_table(summary)
    return 0


def declare(work: Path, accounts: list[str], regions: list[str], models: int) -> None:
    """One desired file per unit (``target:`` the account id, ``region:``): images and artifacts are regional."""
    (work / "models").mkdir()
    for account in accounts:
        for region in regions:
            (work / "models" / f"{account}-{region}.yaml").write_text(yaml.safe_dump(
                {"target": account, "region": region, "models": [spec(i, account, region) for i in range(models)]},
                sort_keys=False))


def slope(full: dict[str, Any], half: dict[str, Any], key: str, units: int, half_units: int) -> tuple[float, float]:
    """(per unit, fixed) of a figure measured over ``units`` and ``half_units`` units."""
    per_unit = (full[key] - half[key]) / (units - half_units)
    return per_unit, full[key] - per_unit * units


def capacity(full: dict[str, Any], half: dict[str, Any], units: int, half_units: int) -> dict[str, Any]:
    """Units in a 15-minute pass, from wall time (as measured here), from CPU time (one process runs Python on
    about one core), and the memory a unit adds (a pass holds every unit's connection until it ends)."""
    wall, wall_fixed = slope(full, half, "seconds", units, half_units)
    cpu, cpu_fixed = slope(full, half, "cpu_seconds", units, half_units)
    mb, mb_fixed = slope(full, half, "rss_mb", units, half_units)
    return {
        "pass_s": full["seconds"], "half_pass_s": half["seconds"], "calls_per_unit": round(full["calls"] / units, 1),
        "wall_s_per_unit": round(wall, 3), "wall_fixed_s": round(wall_fixed, 2),
        "units_per_15_min_wall": int((WINDOW_S - wall_fixed) / wall) if wall > 0 else None,
        "cpu_s_per_unit": round(cpu, 3), "cpu_fixed_s": round(cpu_fixed, 2),
        "units_per_15_min_cpu": int((WINDOW_S - cpu_fixed) / cpu) if cpu > 0 else None,
        "rss_mb": full["rss_mb"], "rss_mb_per_unit": round(mb, 2), "rss_fixed_mb": round(mb_fixed, 1),
        "units_per_gib": int((1024 - mb_fixed) / mb) if mb > 0 else None,
    }


def summarise(args: argparse.Namespace, regions: list[str], half_accounts: int, r: dict[str, Any],
              configs: dict[str, str]) -> dict[str, Any]:
    units, half_units = args.accounts * len(regions), half_accounts * len(regions)
    figures = {f"integrity_{mode}": capacity(r[f"steady_all_{mode}"], r[f"steady_half_{mode}"], units, half_units)
               for mode in ("on", "off")}
    return {"command": invocation(), "accounts": args.accounts, "regions": regions, "units": units,
            "half_units": half_units, "models_per_unit": args.models, "latency_ms": args.latency_ms,
            "max_parallel_targets": MAX_PARALLEL_TARGETS, "machine": machine(), "configs": configs, "results": r,
            "capacity": figures, "exit_codes": {key: value["exit"] for key, value in r.items()}}


def print_table(summary: dict[str, Any]) -> None:
    r = summary["results"]
    print(f"\norganization: {summary['accounts']} accounts x {len(summary['regions'])} regions = "
          f"{summary['units']} units of {summary['models_per_unit']} declared models, {summary['latency_ms']:g} ms "
          f"per AWS call, max_parallel_targets {summary['max_parallel_targets']}, {summary['machine']['cpus']} CPUs")
    table(r, 18)
    print()
    for mode, c in summary["capacity"].items():
        print(f"{mode}: steady pass {c['pass_s']} s over {summary['units']} units, {c['half_pass_s']} s over "
              f"{summary['half_units']}; {c['calls_per_unit']} AWS calls a unit")
        print(f"  wall {c['wall_s_per_unit']} s a unit + {c['wall_fixed_s']} s  -> {c['units_per_15_min_wall']} "
              f"units in 15 minutes")
        print(f"  CPU  {c['cpu_s_per_unit']} s a unit + {c['cpu_fixed_s']} s  -> {c['units_per_15_min_cpu']} "
              f"units in 15 minutes of one core")
        print(f"  RSS  {c['rss_mb_per_unit']} MB a unit + {c['rss_fixed_mb']} MB -> {c['units_per_gib']} "
              "units in 1 GiB")
    print(f"exit codes: {summary['exit_codes']}")


if __name__ == "__main__":
    raise SystemExit(main())
