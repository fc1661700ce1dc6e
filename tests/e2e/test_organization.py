"""Issue 15, organizations, shards and merge (SPEC §10), through the real CLI against the embedded AWS.

One organization for the whole module, built with moto's Organizations over boto3: the management account in
the root, OU ``prod`` with account ``a`` and the nested OU ``ml`` with account ``b``, OU ``dev`` with account
``c``; a model ``svc`` in every account and region (us-east-1, eu-west-1), created through clients of each
account. drift lists the organization with the caller's credentials and assumes ``drift-reader`` in each
account; a fault proxy in front of the server denies one AssumeRole where a test asks for it.

Desired state (``drift/``): the management account's ``svc`` (by account id), ``a``'s ``svc`` everywhere
(drifted in eu-west-1) and ``a-gone`` in us-east-1 only (never created), ``b``'s ``svc`` in eu-west-1 only (by
account name); nothing for ``c``. ``in-sync/`` declares only what is in sync, with unmanaged models out of scope.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from drift.embedded import LocalSageMaker
from drift.embedded.world import AwsWorld
from tests.helpers import clean_env, report_of, run_drift, write_config, write_models
from tests.proxy import Fault
from tests.scale_support import (
    REGIONS,
    ROLE_NAME,
    Organization,
    RecordingProxy,
    add_account,
    build_organization,
    essence,
    exit_code_of,
    fault,
    identities,
    spec,
)

BUCKET = "drift-reports"
EAST, WEST = REGIONS
SHARDS = 3


def svc(label: str, account: str, **changes: Any) -> dict[str, Any]:
    """The ``svc`` model of one account, as declared (and as created, unless ``changes`` drift it)."""
    entry = spec("svc", image=f"registry.example.com/{label}:1", role=f"arn:aws:iam::{account}:role/serving")
    entry["PrimaryContainer"].update(changes)
    return entry


@dataclass
class Scenario:
    desired: str
    unmanaged: bool = True
    deny_b: bool = False


SCENARIOS = {"drift": Scenario("drift"), "in_sync": Scenario("in-sync", unmanaged=False),
             "denied": Scenario("drift", deny_b=True)}


@dataclass
class Run:
    code: int
    report: dict[str, Any]
    stderr: str = ""


@dataclass
class Org:
    """The module's world: the organization, the proxy drift reads through, and passes run so far."""

    org: Organization
    world: AwsWorld
    proxy: RecordingProxy
    root: Path
    cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    def id(self, label: str) -> str:
        return self.org.accounts[label]

    def expected(self, labels: list[str] | None = None) -> set[tuple[str, str, str, str]]:
        """(account, region, name, status) of the drift scenario's unsharded report, for these accounts."""
        a = self.id
        full = {(a("mgmt"), EAST, "svc", "IN_SYNC"), (a("mgmt"), WEST, "svc", "IN_SYNC"),
                (a("a"), EAST, "svc", "IN_SYNC"), (a("a"), WEST, "svc", "MODIFIED"),
                (a("a"), EAST, "a-gone", "MISSING"),
                (a("b"), WEST, "svc", "IN_SYNC"), (a("b"), EAST, "svc", "UNMANAGED"),
                (a("c"), EAST, "svc", "UNMANAGED"), (a("c"), WEST, "svc", "UNMANAGED")}
        chosen = {a(label) for label in labels or self.org.accounts}
        return {i for i in full if i[0] in chosen}

    def config(self, label: str, scenario: str = "drift", *, state: bool = True,
               organization: dict[str, list[str]] | None = None) -> Path:
        """A config of its own directory: the organization (with ``organization`` selections), read through
        the proxy."""
        directory = self.root / label
        if (directory / "drift.yaml").exists():
            return directory / "drift.yaml"
        directory.mkdir()
        chosen = SCENARIOS[scenario]
        selection = {"role_name": ROLE_NAME, "regions": list(REGIONS), **(organization or {})}
        path = write_config(directory, self.proxy.url, str(self.root / chosen.desired / "*.yaml"),
                            aws={"organization": selection},
                            scope={"unmanaged": chosen.unmanaged})
        if not state:
            text = path.read_text().replace(f"state:\n  path: {directory / 'state.db'}\n", "")
            path.write_text(text)
        return path

    def check(self, config: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
        result = run_drift("check", "--config", str(config), "--format", "json", *extra, env=env)
        assert result.returncode in (0, 1, 2), result.stderr
        return Run(result.returncode, report_of(result), result.stderr)

    def denial(self, scenario: str) -> Any:
        """The proxy fault a scenario runs under (a denied AssumeRole into account b), or none."""
        if not SCENARIOS[scenario].deny_b:
            return nullcontext()
        return fault(self.proxy, Fault("access_denied", operation="sts.AssumeRole", resource=self.org.role("b")))

    def whole(self, scenario: str) -> Run:
        """The unsharded pass of a scenario (run once per module)."""
        key = ("whole", scenario)
        if key not in self.cache:
            with self.denial(scenario):
                self.cache[key] = self.check(self.config(f"whole-{scenario}", scenario))
        run: Run = self.cache[key]
        return run

    def shards(self, scenario: str) -> list[Run]:
        """The scenario's three shards, run side by side as an Indexed Job's pods would, each written to
        s3://drift-reports/<scenario>/shard-<I>.json (run once per module)."""
        key = ("shards", scenario)
        if key not in self.cache:
            config = self.shard_config(scenario)

            def one(index: int) -> Run:
                uri = f"s3://{BUCKET}/{scenario}/shard-{index}.json"
                result = run_drift("check", "--config", str(config), "--shard", f"{index}/{SHARDS}", "--format",
                                   "json", "--output", uri)
                assert ("", True) == (result.stdout, result.returncode in (0, 1, 2)), result.stderr
                return Run(result.returncode, json.loads(self.get(f"{scenario}/shard-{index}.json")), result.stderr)

            with self.denial(scenario), ThreadPoolExecutor(max_workers=SHARDS) as pool:
                self.cache[key] = list(pool.map(one, range(SHARDS)))
        runs: list[Run] = self.cache[key]
        return runs

    def shard_config(self, scenario: str) -> Path:
        """Shards share one config (their inputs digest covers it) and keep no state, as pods would."""
        return self.config(f"shards-{scenario}", scenario, state=False)

    def get(self, key: str) -> bytes:
        body: bytes = self.world.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return body

    def put(self, key: str, body: bytes) -> None:
        self.world.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body)

    def merge(self, *sources: str, scenario: str = "drift", extra: tuple[str, ...] = ()) -> Any:
        return run_drift("merge", *sources, "--config", str(self.shard_config(scenario)), "--format", "json", *extra)


@pytest.fixture(scope="module")
def org(local_sagemaker: LocalSageMaker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    """The organization, its models, the desired state and a bucket for shard reports (once per module)."""
    local_sagemaker.reset()
    world = AwsWorld(local_sagemaker.url)
    organization = build_organization(world)
    ids = organization.accounts
    for label, account in ids.items():
        for region in REGIONS:
            drifted = {"Environment": {"HOTFIX": "1"}} if (label, region) == ("a", WEST) else {}
            world.client("sagemaker", account=account, region=region).create_model(
                **svc(label, account, **drifted))
    root = tmp_path_factory.mktemp("organization")
    (root / "drift").mkdir()
    write_models(root / "drift" / "mgmt.yaml", [svc("mgmt", ids["mgmt"])], target=ids["mgmt"])
    write_models(root / "drift" / "a.yaml", [svc("a", ids["a"])], target=ids["a"])
    write_models(root / "drift" / "a-east.yaml", [spec("a-gone", role=f"arn:aws:iam::{ids['a']}:role/serving")],
                 target=ids["a"], region=EAST)
    write_models(root / "drift" / "b.yaml", [svc("b", ids["b"])], target=organization.names["b"], region=WEST)
    (root / "in-sync").mkdir()
    write_models(root / "in-sync" / "mgmt.yaml", [svc("mgmt", ids["mgmt"])], target=ids["mgmt"])
    write_models(root / "in-sync" / "a.yaml", [svc("a", ids["a"])], target=ids["a"], region=EAST)
    write_models(root / "in-sync" / "b.yaml", [svc("b", ids["b"])], target=organization.names["b"], region=WEST)
    world.client("s3").create_bucket(Bucket=BUCKET)
    proxy = RecordingProxy(local_sagemaker.url, seed=11)
    with proxy:
        yield Org(organization, world, proxy, root)
    local_sagemaker.reset()


def owner(unit: str, count: int = SHARDS) -> int:
    """SPEC §10, computed here independently: SHA-256 of the UTF-8 ``target/region``, big-endian, modulo N."""
    return int(hashlib.sha256(unit.encode("utf-8")).hexdigest(), 16) % count


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A report's essence with its target errors as a set (merge concatenates them in shard order)."""
    out = essence(report)
    out["errors"] = sorted(out["errors"])
    return out


# -- an unsharded pass ------------------------------------------------------------------------------------
def test_an_unsharded_pass_reports_every_account_and_region(org: Org) -> None:
    """Every model of every account and region, with its own account and region: declared ones compared
    (IN_SYNC, MODIFIED, MISSING where a file names one region), undeclared ones UNMANAGED; exit 2, no errors."""
    run = org.whole("drift")
    assert (2, [], org.expected()) == (run.code, run.report.get("errors", []), identities(run.report))


def test_a_difference_is_reported_in_its_own_account_and_region(org: Org) -> None:
    """The drifted model is a's svc in eu-west-1 alone, with the ADD the live Environment key makes."""
    run = org.whole("drift")
    drifted = [(m["account"], m["region"], [(d["path"], d["type"], d["actual"]) for d in m["differences"]])
               for m in run.report["models"] if m["status"] == "MODIFIED"]
    assert [(org.id("a"), WEST, [("PrimaryContainer.Environment.HOTFIX", "ADD", "1")])] == drifted


@pytest.mark.parametrize(("selection", "labels"), [
    ({"include_ous": ["prod"]}, ["a", "b"]),
    ({"include_ous": ["dev"]}, ["c"]),
    ({"exclude_accounts": ["mgmt"]}, ["a", "b", "c"]),
    ({"include_ous": ["prod", "dev"], "exclude_accounts": ["b"]}, ["a", "c"]),
], ids=["prod-with-nested-ml", "dev", "without-management", "prod-and-dev-without-b"])
def test_include_ous_and_exclude_accounts_select_accounts(org: Org, selection: dict[str, list[str]],
                                                          labels: list[str]) -> None:
    """include_ous takes the accounts under those OUs, nested OUs included; exclude_accounts leaves accounts
    out; the desired files of accounts left out are neither checked nor an error."""
    resolved = {"include_ous": [org.org.ous[o] for o in selection.get("include_ous", [])],
                "exclude_accounts": [org.id(a) for a in selection.get("exclude_accounts", [])]}
    run = org.check(org.config("select-" + "-".join(labels), organization={k: v for k, v in resolved.items() if v}))
    expected = org.expected(labels)
    assert (exit_code_of({"models": [{"status": i[3]} for i in expected]}), [], expected) == (
        run.code, run.report.get("errors", []), identities(run.report))


def test_a_denied_assume_role_fails_only_that_account(org: Org) -> None:
    """AssumeRole into b denied: b's declared model ERROR (not MISSING), b's account named in errors for both
    of its regions, exit 1; every other account's models exactly as in the pass without the denial."""
    run, plain = org.whole("denied"), org.whole("drift")
    b = org.id("b")
    models = {(m["account"], m["region"], m["name"]): m for m in run.report["models"]}
    others = [m for m in run.report["models"] if m["account"] != b]
    assert 1 == run.code
    assert ("ERROR", True) == (models[(b, WEST, "svc")]["status"], "AccessDenied" in models[(b, WEST, "svc")]["error"])
    assert [(b, WEST, "svc")] == [k for k in models if k[0] == b]
    assert sorted([f"target {b} ({region})", "AssumeRole failed", "AccessDenied"] for region in REGIONS) == sorted(
        e.split(": ")[:3] for e in run.report["errors"])
    assert essence({"models": [m for m in plain.report["models"] if m["account"] != b]})["models"] == \
        essence({"models": others})["models"]


# -- shards -------------------------------------------------------------------------------------------------
def test_three_shards_cover_every_unit_exactly_once(org: Org) -> None:
    """--shard I/3: shard I reads exactly the units whose SHA-256 of 'account/region' modulo 3 is I, so the
    three are disjoint and together cover all eight units; each shard reports only its units' models, carries
    one inputs digest, and exits with its own code."""
    shards = org.shards("drift")
    units = org.org.units()
    assert [sorted(u for u in units if owner(u) == i) for i in range(SHARDS)] == [
        sorted(s.report["shard"]["units"]) for s in shards]
    assert [(i, SHARDS) for i in range(SHARDS)] == [(s.report["shard"]["index"], s.report["shard"]["count"])
                                                   for s in shards]
    assert 1 == len({s.report["shard"]["inputs"] for s in shards})
    for shard in shards:
        mine = set(shard.report["shard"]["units"])
        assert set() == {(m["account"], m["region"]) for m in shard.report["models"]
                         if f"{m['account']}/{m['region']}" not in mine}
        assert exit_code_of(shard.report) == shard.code
    assert org.expected() == set().union(*(identities(s.report) for s in shards))


@pytest.mark.parametrize("index", [1, 2])
def test_auto_shard_reads_the_job_completion_index(org: Org, index: int) -> None:
    """--shard auto/3 with JOB_COMPLETION_INDEX=I (as a Kubernetes Indexed Job sets it) is --shard I/3: the
    same units, inputs digest, models and exit code."""
    explicit = org.shards("drift")[index]
    auto = org.check(org.shard_config("drift"), "--shard", f"auto/{SHARDS}",
                     env=clean_env(JOB_COMPLETION_INDEX=str(index)))
    keys = ("index", "count", "units", "inputs")
    assert (explicit.code, {k: explicit.report["shard"][k] for k in keys}, comparable(explicit.report)) == (
        auto.code, {k: auto.report["shard"][k] for k in keys}, comparable(auto.report))


# -- merge --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("scenario", "code"), [("in_sync", 0), ("drift", 2), ("denied", 1)])
def test_merging_the_s3_prefix_equals_the_unsharded_report(org: Org, scenario: str, code: int) -> None:
    """drift merge s3://bucket/<scenario>/: the same models (name, account, region, status, differences...),
    summary and target errors as the unsharded pass, the same exit code (0 in sync, 2 drift, 1 when an
    account is denied), and the three shards listed."""
    whole = org.whole(scenario)
    org.shards(scenario)
    merged = org.merge(f"s3://{BUCKET}/{scenario}/")
    assert (code, code) == (whole.code, merged.returncode), merged.stderr
    assert comparable(whole.report) == comparable(report_of(merged))
    assert list(range(SHARDS)) == [s["index"] for s in report_of(merged)["shards"]]


def copy_shards(org: Org, prefix: str, indices: list[int], scenario: str = "drift") -> None:
    for i in indices:
        org.put(f"{prefix}/shard-{i}.json", org.get(f"{scenario}/shard-{i}.json"))


def assert_refused(org: Org, prefix: str, message: str) -> None:
    """merge of that prefix exits 1 with exactly this message and prints no report."""
    result = org.merge(f"s3://{BUCKET}/{prefix}/")
    assert (1, "", True) == (result.returncode, result.stdout, f"drift: error: {message}" in result.stderr.splitlines()
                             ), result.stderr


def test_merge_refuses_a_missing_shard(org: Org) -> None:
    """Shards 0 and 2 of 3 under the prefix (one pod never wrote its report): refused, naming shard 1."""
    org.shards("drift")
    copy_shards(org, "missing", [0, 2])
    assert_refused(org, "missing", "missing shard 1 of 3")


def test_merge_refuses_a_repeated_shard(org: Org) -> None:
    """A retried pod's second copy of shard 0 under the prefix: refused, naming both objects."""
    org.shards("drift")
    copy_shards(org, "repeated", [0, 1, 2])
    org.put("repeated/shard-0-retry.json", org.get("drift/shard-0.json"))
    assert_refused(org, "repeated", f"s3://{BUCKET}/repeated/shard-0.json: shard 0 is repeated "
                   f"(also in s3://{BUCKET}/repeated/shard-0-retry.json)")


def test_merge_refuses_shards_of_different_counts(org: Org) -> None:
    """Shard 0 of 2 with shards 1 and 2 of 3: refused, naming both counts."""
    org.shards("drift")
    copy_shards(org, "counts", [1, 2])
    result = run_drift("check", "--config", str(org.shard_config("drift")), "--shard", "0/2", "--format", "json",
                       "--output", f"s3://{BUCKET}/counts/shard-0.json")
    assert result.returncode in (0, 1, 2), result.stderr
    assert_refused(org, "counts", "shards of different counts: 2, 3")


def test_merge_refuses_a_shard_made_from_other_inputs(org: Org) -> None:
    """The desired state edited between shards (shard 2 run after a model was added to a file): refused."""
    org.shards("drift")
    copy_shards(org, "foreign", [0, 1])
    path = org.root / "drift" / "a.yaml"
    before = path.read_text()
    try:
        write_models(path, [svc("a", org.id("a")), spec("a-new", role=f"arn:aws:iam::{org.id('a')}:role/serving")],
                     target=org.id("a"))
        result = run_drift("check", "--config", str(org.shard_config("drift")), "--shard", "2/3", "--format", "json",
                           "--output", f"s3://{BUCKET}/foreign/shard-2.json")
    finally:
        path.write_text(before)
    assert result.returncode in (0, 1, 2), result.stderr
    assert_refused(org, "foreign", "shards made from different config or desired state (their inputs digests differ)")


def test_merge_refuses_a_report_that_is_not_a_shard(org: Org) -> None:
    """An unsharded report among the shards: refused, naming it."""
    org.shards("drift")
    copy_shards(org, "stray", [0, 1, 2])
    org.put("stray/whole.json", json.dumps(org.whole("drift").report).encode())
    assert_refused(org, "stray", f"s3://{BUCKET}/stray/whole.json: not a shard report (made without --shard)")


@pytest.mark.parametrize(("finished_at", "code"), [(None, 2), ("2020-01-01T00:00:00Z", 1)], ids=["fresh", "old"])
def test_merge_max_age_refuses_an_old_shard(org: Org, tmp_path: Path, finished_at: str | None, code: int) -> None:
    """merge --max-age 1h of shard files: fresh shards merge (exit 2, the drift); a shard that finished in 2020
    is refused, naming the file, the shard and when it finished."""
    files = []
    for i, shard in enumerate(org.shards("drift")):
        report = dict(shard.report)
        if i == 1 and finished_at:
            report["finished_at"] = finished_at
        files.append(tmp_path / f"shard-{i}.json")
        files[-1].write_text(json.dumps(report))
    result = org.merge(*map(str, files), extra=("--max-age", "1h"))
    assert code == result.returncode, result.stderr
    if finished_at:
        assert f"drift: error: {files[1]}: shard 1 finished at {finished_at}, older than --max-age" in \
            result.stderr.splitlines()


@pytest.mark.parametrize(("shard", "env", "message"), [
    ("3", {}, "expected I/N (0 <= I < N) or auto/N, got '3'"),
    ("3/3", {}, "the index must be between 0 and 2, got '3/3'"),
    ("auto/3", {}, "auto/N needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) to be a number"),
], ids=["no-count", "index-too-big", "auto-without-index"])
def test_bad_shard_forms_exit_1(org: Org, shard: str, env: dict[str, str], message: str) -> None:
    """A bad --shard exits 1 (never 2) with one message saying the expected form, and reads nothing."""
    org.proxy.recount()
    result = run_drift("check", "--config", str(org.shard_config("drift")), "--shard", shard, "--format", "json",
                       env=clean_env(**env))
    assert (1, "", [f"drift check: error: argument --shard: {message}"], 0) == (
        result.returncode, result.stdout, [line for line in result.stderr.splitlines() if "error:" in line
                                           and not line.startswith("{")], org.proxy.total())


def test_a_bad_shard_shows_the_check_usage(org: Org) -> None:
    """SPEC §1: a bad option value is a usage error whose message is the subcommand's own usage, as argparse
    prints it for a bad --concurrency."""
    result = run_drift("check", "--config", str(org.shard_config("drift")), "--shard", "3")
    assert (1, True) == (result.returncode, result.stderr.startswith("usage: drift check ")), result.stderr


# -- last: this test adds an account to the module's organization (and closes it afterwards) ---------------
def test_an_account_created_later_is_picked_up_without_a_config_change(org: Org) -> None:
    """A pass, then a new account with models in both regions: the next pass with the same config reports
    them UNMANAGED in that account and regions, beside everything it reported before."""
    before = org.whole("drift")
    new = add_account(org.world, "later")
    try:
        for region in REGIONS:
            org.world.client("sagemaker", account=new, region=region).create_model(**svc("later", new))
        after = org.check(org.config("whole-drift"))
    finally:
        org.world.client("organizations").close_account(AccountId=new)
    assert (org.expected(), 2) == (identities(before.report), before.code)
    assert (org.expected() | {(new, EAST, "svc", "UNMANAGED"), (new, WEST, "svc", "UNMANAGED")}, 2) == (
        identities(after.report), after.code)
