"""argparse -> run -> exit code. No logic of its own beyond mapping outcomes to exit codes.

A usage error (unknown command or option, bad option value) exits 1 for every
command, never 2: CI jobs and systemd units read 2 as "drift found", so a
mistyped flag must never pass for a finding (SPEC §1).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from drift import DEFAULT_CONFIG, __version__

EXIT_OK, EXIT_ERROR, EXIT_DRIFT = 0, 1, 2
_EPILOG = """exit codes of check: 0 everything in sync, 2 drift found, 1 error (an error wins over drift).
docs: README.md in the source repository (also the package's description on PyPI)."""


class Parser(argparse.ArgumentParser):
    """argparse, except that a usage error exits 1 (argparse's 2 means "drift found" here)."""

    def error(self, message: str) -> NoReturn:
        if _json_logs_asked(sys.argv[1:]):
            # With an explicit --log-format json every stderr line is one JSON object (SPEC §6), usage too.
            import json
            from datetime import UTC, datetime

            self.exit(EXIT_ERROR, json.dumps({
                "event": "drift.usage.invalid", "level": "error", "command": self.prog, "error": message,
                "usage": self.format_usage().strip(),
                "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z")}) + "\n")
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _json_logs_asked(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON logs (read before argparse could parse it)."""
    from itertools import pairwise

    return "--log-format=json" in argv or ("--log-format", "json") in pairwise(argv)


def _bounded(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}")
        return int(text)
    return parse


def _checked(parse: Any) -> Any:
    """An option parsed by our own parser, so that a bad value is a usage error with the command's usage."""
    def check(text: str) -> Any:
        from drift.errors import UsageError

        try:
            return parse(text)
        except (UsageError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
    return check


def _shard(text: str) -> Any:
    from drift.plan import Shard

    return Shard.parse(text)


def _duration(text: str) -> float:
    from drift.config import parse_duration

    return parse_duration(text)


def _listen(text: str) -> tuple[str, int]:
    from drift.daemon import parse_listen

    return parse_listen(text)


def _common(parser: argparse.ArgumentParser, *, report: bool = True, aws: bool = True) -> None:
    parser.add_argument("--config", metavar="PATH", default=os.environ.get("DRIFT_CONFIG", DEFAULT_CONFIG),
                        help=f"tool settings (default: $DRIFT_CONFIG or {DEFAULT_CONFIG})")
    parser.add_argument("--desired", metavar="PATH", action="append", default=[],
                        help="desired-state file, directory or glob; repeatable; overrides the config's desired")
    if aws:
        parser.add_argument("--region", help="AWS region (overrides aws.region)")
        parser.add_argument("--profile", help="AWS profile (overrides aws.profile)")
        parser.add_argument("--endpoint-url", metavar="URL",
                            help="AWS endpoint, e.g. a local moto server (also $AWS_ENDPOINT_URL)")
    if report:
        parser.add_argument("--format", choices=("text", "json", "markdown"),
                            help="report format (default: text on a terminal, json otherwise)")
        parser.add_argument("--output", metavar="FILE",
                            help="write the report to FILE or s3://bucket/key instead of stdout")
    _logging(parser)


def _logging(parser: argparse.ArgumentParser, level: str | None = None) -> None:
    parser.add_argument("--log-format", choices=("console", "json"),
                        help="log format on stderr (default: console on a terminal, json otherwise)")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default=level,
                        help="log level (default: warning on a terminal, info otherwise); AWS library logs stay "
                             "at warning")
    parser.add_argument("--debug", action="store_true", help="print a traceback on internal errors")


def _unknown(parser: argparse.ArgumentParser, extra: list[str]) -> str:
    """"unrecognized arguments: --formta json (did you mean --format?)"."""
    import difflib

    options = [o for action in parser._actions for o in action.option_strings]
    guesses = [m[0] for word in extra if word.startswith("-")
               for m in [difflib.get_close_matches(word.split("=", 1)[0], options, n=1)] if m]
    hint = f" (did you mean {', '.join(dict.fromkeys(guesses))}?)" if guesses else ""
    return f"unrecognized arguments: {' '.join(extra)}{hint}"


def build_parser() -> Parser:
    parser = Parser(prog="drift", description="Detect configuration drift between declared and live AWS SageMaker "
                    "models, endpoint configs and endpoints.", epilog=_EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sagemaker-drift {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    parser.set_defaults(commands=sub.choices)

    check = sub.add_parser("check", help="one pass: compare live resources with the desired state and report",
                           description="Read every live resource in scope, compare it with the desired state, print "
                           "a report and exit 0 (in sync), 2 (drift) or 1 (error).", epilog=_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(check)
    check.add_argument("--notify", action="store_true", help="send notifications for changes of drift, as the daemon "
                       "would (needs state.path)")
    check.add_argument("--full", action="store_true",
                       help="describe every resource, ignoring the incremental shortcut of kept state")
    check.add_argument("--concurrency", type=_bounded(1, 256), metavar="N",
                       help="parallel describe calls per target (default: aws.concurrency or 32)")
    check.add_argument("--shard", metavar="I/N", type=_checked(_shard), help="read only the units of shard I of N "
                       "(auto/N: the index from JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it)")

    daemon = sub.add_parser("daemon", help="run check on a schedule, notify on changes, serve /healthz and /metrics",
                            description="Run passes on the configured schedule until SIGTERM/SIGINT; SIGHUP (or a "
                            "changed config or desired file) reloads config and desired state.")
    _common(daemon, report=False)
    daemon.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:9108", type=_checked(_listen),
                        help="address for /healthz and /metrics (default: 127.0.0.1:9108)")
    daemon.add_argument("--concurrency", type=_bounded(1, 256), metavar="N", help="parallel describe calls per target")

    validate = sub.add_parser("validate", help="validate config and desired-state files; no AWS calls",
                              description="Validate drift.yaml and every desired-state file against botocore's "
                              "SageMaker model; exit 0 when valid, 1 otherwise.")
    _common(validate, report=False)

    imp = sub.add_parser("import", help="write desired-state YAML from live resources (no config file needed)",
                         description="Adopt existing models (and with --endpoints, endpoint configs and endpoints): "
                         "write desired-state YAML without read-only fields or SageMaker's defaults. Secret-looking "
                         "values become !env placeholders. Existing files are never overwritten without --force.")
    _common(imp, report=False)
    imp.add_argument("--model", action="append", default=[], metavar="NAME", help="model to import; repeatable")
    imp.add_argument("--name-prefix", default=None, metavar="PREFIX", help="import resources whose name starts so")
    imp.add_argument("--endpoints", action="store_true", help="also import endpoint configs and endpoints")
    imp.add_argument("--out", metavar="DIR", help="write one file per resource into DIR (default: stdout)")
    imp.add_argument("--force", action="store_true", help="overwrite files that already exist in --out")

    lock = sub.add_parser("lock", help="write the lock file: declared image tags and artifacts resolved",
                          description="Resolve every declared image tag to its digest and every declared artifact "
                          "to its identity, and write the lock file (lock: in the config). --check exits 1 when the "
                          "lock file no longer matches the desired state, without calling AWS.")
    _common(lock, report=False)
    lock.add_argument("--check", action="store_true", help="only say whether the lock file is up to date")

    merge = sub.add_parser("merge", help="merge the reports of a sharded pass into one report",
                           description="Merge shard reports (files, s3:// objects, or an s3:// prefix ending in /) "
                           "into one report; exit 0, 2 or 1 like check. Refuses missing, repeated or foreign shards.",
                           epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    merge.add_argument("reports", nargs="+", metavar="REPORT", help="shard report: a file, s3://bucket/key or "
                       "s3://bucket/prefix/")
    _common(merge)
    merge.add_argument("--notify", action="store_true", help="notify as check --notify would (needs state.path)")
    merge.add_argument("--max-age", metavar="DURATION", type=_checked(_duration),
                       help="refuse shards that finished longer ago (e.g. 1h)")

    demo = sub.add_parser("demo", help="see drift detection work on an embedded local SageMaker (no AWS)",
                          description="Start a local SageMaker (moto) on 127.0.0.1, create the example models, "
                          "endpoints, images and artifacts, introduce drift, run check against it, print the report "
                          "and clean up. Never touches real AWS.")
    demo.add_argument("--format", choices=("text", "json", "markdown"), help="report format")
    demo.add_argument("--keep", action="store_true",
                      help="then keep the local AWS running (until Ctrl-C) with a config for it, to try check, "
                      "import, lock and the daemon yourself")
    _logging(demo, level="warning")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    signals = None
    if "daemon" in argv[:1] or (argv and argv[0].startswith("-") and "daemon" in argv):
        from drift.daemon import install_signals

        signals = install_signals()
    parser = build_parser()
    leading = [word for word in argv[:1] if word.startswith("-") and word.split("=", 1)[0] not in (
        "-h", "--help", "--version")]
    if leading:  # `drift --versoin`: say what was mistyped, not that a command is missing
        parser.error(_unknown(parser, leading))
    args, extra = parser.parse_known_args(argv)
    if extra:  # a mistyped option is told with the command's own usage (exit 1)
        command = args.commands[args.command]
        command.error(_unknown(command, extra))
    from drift import logging as drift_logging

    drift_logging.configure(args.log_format, args.log_level)
    import structlog

    from drift.pipeline import new_run_id, utc_now

    args.run_id = new_run_id(utc_now())
    args.signals = signals
    structlog.contextvars.bind_contextvars(run_id=args.run_id)
    from drift.commands.run import dispatch, fail

    try:
        return dispatch(args)
    except BaseException as exc:  # noqa: BLE001 - every outcome becomes an exit code and one clear message
        return fail(exc, args)
