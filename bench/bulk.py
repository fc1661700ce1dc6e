"""Benchmark: bulk reads (SPEC §10, issue 14): `drift check --full` with Search(Resource=Model) and without.

    python bench/bulk.py [--models N] [--latency-ms L] [--out bench/bulk.json]

Starts the local SageMaker in its own process, creates N models (1,000 by default; 10,000 works), and
puts the latency-adding, call-counting proxy in front of it. Then, in one run on the same world, it times
as whole processes: the ideal in-process loop (bench/loops.py ideal: list in pages of 100, then 32
threads of DescribeModel), `drift validate` (the fixed cost every pass shares, best of 3), and
`drift check --full` with `aws.bulk_read: auto` and with `aws.bulk_read: off`, each from a fresh state
file (a first pass), with its AWS calls by operation and peak RSS, and a second `--full` with bulk reads on
the state the first one kept (its listing planned by the first).

Then two scenarios where Search must not be trusted blindly:
- a lagging index: with the server's Search index frozen (it is frozen once the N models exist, so that
  the server does not rebuild it on every Search call), 1% of the models are re-created with a change
  and 1% new (declared) models are added; with bulk reads, exactly those are described (their Search
  records are stale or absent), and the report equals the one read without bulk reads;
- Search denied (AccessDeniedException on every Search): the same report, after a Search call or two.

Integrity (SPEC §8) is off here: its reads are bench/integrity.py's subject. Targets live here, never in
timed tests.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import sys
import tempfile
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
    table,
    timed,
    write,
)
from run import model_spec

RSS_TARGET_MB = 250.0
OWN_WORK_TARGET = 0.35
SEARCH_DENIED_BUDGET = 3


class World:
    """The desired state on disk and one config per variant (each with a fresh state file when run)."""

    def __init__(self, work: Path, proxy_url: str) -> None:
        self.work, self.proxy_url = work, proxy_url
        (work / "models").mkdir()
        self.configs: list[str] = []

    def declare(self, specs: list[dict[str, Any]], part: str) -> None:
        for start in range(0, len(specs), 500):
            (self.work / "models" / f"{part}-{start // 500:03d}.yaml").write_text(
                yaml.safe_dump({"models": specs[start:start + 500]}, sort_keys=False))

    def check(self, name: str, bulk: str) -> list[str]:
        """`drift check --full` with a config of its own and a state file that does not exist yet."""
        return check_command(self.config(name, bulk), "--full")

    def again(self, name: str) -> list[str]:
        """`drift check --full` once more on the state the named run left (its listings planned by it)."""
        return check_command(str(self.work / f"{name}.yaml"), "--full")

    def config(self, name: str, bulk: str) -> str:
        state = self.work / f"{name}.db"
        state.unlink(missing_ok=True)
        config = self.work / f"{name}.yaml"
        config.write_text(yaml.safe_dump({
            "aws": {"region": "us-east-1", "endpoint_url": self.proxy_url, "bulk_read": bulk},
            "desired": [str(self.work / "models")],
            "scope": {"unmanaged": True},
            "integrity": {"images": False, "artifacts": False},
            "state": {"path": str(state)},
        }, sort_keys=False))
        self.configs.append(f"{config.name}:\n{config.read_text()}")
        return str(config)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--out", default=str(HERE / "bulk.json"))
    args = parser.parse_args()
    n = args.models
    work = Path(tempfile.mkdtemp(prefix="drift-bulk-"))
    results: dict[str, Any] = {}
    try:
        with Server() as server:
            print(f"local SageMaker at {server.url}; creating {n} models ...", file=sys.stderr)
            specs = [model_spec(i) for i in range(n)]
            create_models(server.url, specs)
            # The embedded server takes its Search index anew on every Search call unless frozen: O(N) work in
            # the server per call that real SageMaker does not do. Frozen now, the index holds every model
            # (nothing changes before the lagging-index scenario, which relies on it being frozen).
            server.command("freeze")
            with FaultProxy(server.url, latency=args.latency_ms / 1000) as proxy:
                world = World(work, proxy.url)
                world.declare(specs, "part")
                print("timing ...", file=sys.stderr)
                results["ideal_loop"] = timed([sys.executable, str(HERE / "loops.py"), "ideal", proxy.url], proxy)
                results["validate"] = best_of(3, [*DRIFT, "validate", "--config", world.config("validate", "auto")])
                results["full_bulk"] = timed(world.check("full-bulk", "auto"), proxy)
                results["full_bulk_again"] = timed(world.again("full-bulk"), proxy)
                results["full_no_bulk"] = timed(world.check("full-no-bulk", "off"), proxy)
                changes = lagging_index(server, world, n)
                results["lagging_bulk"] = timed(world.check("lagging-bulk", "auto"), proxy)
                results["lagging_no_bulk"] = timed(world.check("lagging-no-bulk", "off"), proxy)
                server.command("thaw")
                server.command("fail_search AccessDeniedException")
                results["denied_bulk"] = timed(world.check("denied-bulk", "auto"), proxy)
                server.command("fail_search none")
        summary = summarise(args, results, changes, world.configs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for key, value in results.items():
        if value["exit"] not in (0, 2):
            print(f"{key} exited {value['exit']}:\n{value['stderr'].decode()[-2000:]}", file=sys.stderr)
    write(args.out, summary)
    print_table(summary)
    return 0


def lagging_index(server: Server, world: World, n: int) -> dict[str, int]:
    """With the Search index frozen, re-create 1% of the models with a change and add 1% new ones."""
    rng = random.Random(42)
    changed = sorted(rng.sample(range(n), max(1, n // 100)))
    added = [model_spec(i) for i in range(n, n + max(1, n // 100))]
    create_models(server.url, [model_spec(i, image_tag="1.0.1-hotfix") for i in changed], recreate=True)
    create_models(server.url, added)
    world.declare(added, "added")
    return {"recreated": len(changed), "added": len(added)}


def summarise(args: argparse.Namespace, r: dict[str, Any], changes: dict[str, int],
              configs: list[str]) -> dict[str, Any]:
    n = args.models
    tagged = sum(1 for i in range(n) if "Tags" in model_spec(i))
    budget = 2 * math.ceil(n / 100) + math.ceil(tagged / 100) + 5
    own = r["full_bulk"]["seconds"] - r["validate"]["seconds"]
    expected_described = changes["recreated"] + changes["added"]
    derived = {
        "full_reports_equal": essence(r["full_bulk"]["stdout"]) == essence(r["full_no_bulk"]["stdout"]),
        "full_bulk_calls": r["full_bulk"]["calls"],
        "full_bulk_call_budget": budget,
        "full_bulk_again_calls": r["full_bulk_again"]["calls"],
        "full_bulk_describe_model": r["full_bulk"]["by_operation"].get("DescribeModel", 0),
        "full_bulk_own_work_s": round(own, 3),
        "full_bulk_own_vs_ideal": round(own / r["ideal_loop"]["seconds"], 3),
        # The same ratio in CPU seconds: what drift itself spends, whatever the local server's speed (at
        # 10,000 models the embedded server's Search and ListModels pages, O(N) each, dominate wall time).
        "full_bulk_own_cpu_vs_ideal_cpu": round((r["full_bulk"]["cpu_seconds"] - r["validate"]["cpu_seconds"])
                                                / r["ideal_loop"]["cpu_seconds"], 3),
        "full_no_bulk_own_vs_ideal": round((r["full_no_bulk"]["seconds"] - r["validate"]["seconds"])
                                           / r["ideal_loop"]["seconds"], 3),
        "full_bulk_rss_mb": r["full_bulk"]["rss_mb"],
        "lagging_recreated": changes["recreated"],
        "lagging_added": changes["added"],
        "lagging_reports_equal": essence(r["lagging_bulk"]["stdout"]) == essence(r["lagging_no_bulk"]["stdout"]),
        "lagging_bulk_describe_model": r["lagging_bulk"]["by_operation"].get("DescribeModel", 0),
        "lagging_expected_describe_model": expected_described,
        "denied_report_equal": essence(r["denied_bulk"]["stdout"]) == essence(r["lagging_no_bulk"]["stdout"]),
        "denied_search_calls": r["denied_bulk"]["by_operation"].get("Search", 0),
        "exit_codes": {key: value["exit"] for key, value in r.items()},
    }
    return {"command": invocation(), "models": n, "tagged_models": tagged, "latency_ms": args.latency_ms,
            "machine": machine(), "configs": configs, "results": r, "derived": derived}


def print_table(summary: dict[str, Any]) -> None:
    r, d = summary["results"], summary["derived"]
    print(f"\nbulk reads: {summary['models']} models ({summary['tagged_models']} declare Tags), "
          f"{summary['latency_ms']:g} ms per AWS call, {summary['machine']['cpus']} CPUs, "
          f"Python {summary['machine']['python']}")
    table(r, 22)
    print()
    print(f"--full with and without bulk reads, same report: {d['full_reports_equal']}")
    print(f"--full with bulk reads, AWS calls:               {d['full_bulk_calls']} "
          f"(budget 2*ceil(N/100) + ceil(T/100) + 5 = {d['full_bulk_call_budget']}); "
          f"{d['full_bulk_again_calls']} on a second --full with the state the first one kept")
    print(f"--full with bulk reads, DescribeModel calls:     {d['full_bulk_describe_model']}")
    print(f"--full own work (minus validate) vs ideal loop:  {d['full_bulk_own_vs_ideal']} with bulk reads "
          f"(target <= {OWN_WORK_TARGET}); {d['full_no_bulk_own_vs_ideal']} without")
    print(f"  the same in CPU seconds (drift's own, not the server's): {d['full_bulk_own_cpu_vs_ideal_cpu']}")
    print(f"--full with bulk reads, peak RSS:                {d['full_bulk_rss_mb']} MB "
          f"(target < {RSS_TARGET_MB:g} MB)")
    print(f"lagging index ({d['lagging_recreated']} re-created, {d['lagging_added']} added):")
    print(f"  same report with and without bulk reads:       {d['lagging_reports_equal']}")
    print(f"  DescribeModel calls with bulk reads:           {d['lagging_bulk_describe_model']} "
          f"(expected exactly {d['lagging_expected_describe_model']})")
    print(f"Search denied: same report: {d['denied_report_equal']}; "
          f"Search calls {d['denied_search_calls']} (budget {SEARCH_DENIED_BUDGET})")
    print(f"exit codes: {d['exit_codes']}")


if __name__ == "__main__":
    raise SystemExit(main())
