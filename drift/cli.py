"""argparse -> run -> exit code. No logic of its own beyond mapping outcomes to exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from drift import __version__
from drift.config import DEFAULT_CONFIG, Config, load_config
from drift.errors import DriftError, InputError

EXIT_OK, EXIT_ERROR, EXIT_DRIFT = 0, 1, 2

_EPILOG = """exit codes of check: 0 everything in sync, 2 drift found, 1 error (an error wins over drift).
docs: README.md in the repository; the contract is SPEC.md."""


def _common(parser: argparse.ArgumentParser, *, report: bool = True, aws: bool = True) -> None:
    parser.add_argument("--config", metavar="PATH",
                        default=os.environ.get("DRIFT_CONFIG", DEFAULT_CONFIG),
                        help=f"tool settings (default: $DRIFT_CONFIG or {DEFAULT_CONFIG})")
    parser.add_argument("--desired", metavar="PATH", action="append", default=[],
                        help="desired-state file, directory or glob; repeatable; overrides the config's desired")
    if aws:
        parser.add_argument("--region", help="AWS region (overrides aws.region)")
        parser.add_argument("--profile", help="AWS profile (overrides aws.profile)")
        parser.add_argument("--endpoint-url", metavar="URL",
                            help="SageMaker/STS endpoint, e.g. a local moto server (also $AWS_ENDPOINT_URL)")
    if report:
        parser.add_argument("--format", choices=("text", "json", "markdown"),
                            help="report format (default: text on a terminal, json otherwise)")
        parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--log-format", choices=("console", "json"),
                        help="log format on stderr (default: console on a terminal, json otherwise)")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info",
                        help="log level (default: info); AWS library logs stay at warning")
    parser.add_argument("--debug", action="store_true", help="print a traceback on internal errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drift",
        description="Detect configuration drift between declared and live AWS SageMaker models.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sagemaker-drift {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = sub.add_parser("check", help="one pass: compare live models with the desired state and report",
                           description="Read every live model in scope, compare it with the desired state, "
                                       "print a report and exit 0 (in sync), 2 (drift) or 1 (error).",
                           epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(check)
    check.add_argument("--notify", action="store_true",
                       help="send notifications for changes of drift, as the daemon would")
    check.add_argument("--full", action="store_true",
                       help="describe every model, ignoring the incremental shortcut of kept state")
    check.add_argument("--concurrency", type=int, metavar="N",
                       help="parallel DescribeModel calls per target (default: aws.concurrency or 32)")

    daemon = sub.add_parser("daemon", help="run check on a schedule, notify on changes, serve health/metrics",
                            description="Run passes on the configured schedule until SIGTERM/SIGINT; "
                                        "SIGHUP (or a changed config file) reloads config and desired state.")
    _common(daemon, report=False)
    daemon.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:9108",
                        help="address for /healthz and /metrics (default: 127.0.0.1:9108)")
    daemon.add_argument("--concurrency", type=int, metavar="N", help="parallel DescribeModel calls per target")

    validate = sub.add_parser("validate", help="validate config and desired-state files; no AWS calls",
                              description="Validate drift.yaml and every desired-state file against "
                                          "botocore's SageMaker model; exit 0 when valid, 1 otherwise.")
    _common(validate, report=False, aws=False)

    imp = sub.add_parser("import", help="write desired-state YAML from live models",
                         description="Adopt existing models: write desired-state YAML from live models, "
                                     "without read-only fields or values equal to SageMaker's defaults. "
                                     "Secret-looking Environment values become !env placeholders.")
    _common(imp, report=False)
    imp.add_argument("--model", action="append", default=[], metavar="NAME", help="model to import; repeatable")
    imp.add_argument("--name-prefix", default=None, metavar="PREFIX", help="import models whose name starts so")
    imp.add_argument("--out", metavar="DIR", help="write one file per model into DIR (default: stdout)")

    demo = sub.add_parser("demo", help="see drift detection work on an embedded local SageMaker (no AWS)",
                          description="Start a local SageMaker (moto) on 127.0.0.1, create the example models "
                                      "from config/, introduce drift, run check against it, print the report "
                                      "and clean up. Never touches real AWS.")
    demo.add_argument("--config", metavar="PATH", default=DEFAULT_CONFIG,
                      help=f"example config whose models are used (default: {DEFAULT_CONFIG})")
    demo.add_argument("--format", choices=("text", "json", "markdown"), help="report format")
    demo.add_argument("--log-format", choices=("console", "json"), help="log format on stderr")
    demo.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="warning",
                      help="log level (default: warning)")
    demo.add_argument("--debug", action="store_true", help="print a traceback on internal errors")
    return parser


def load_settings(args: argparse.Namespace) -> Config:
    """The config file with CLI overrides applied; a missing file is fine when --desired names the models."""
    return load_config(
        args.config,
        desired_override=tuple(args.desired),
        region=getattr(args, "region", None),
        profile=getattr(args, "profile", None),
        endpoint_url=getattr(args, "endpoint_url", None),
        required=not args.desired or args.config != DEFAULT_CONFIG,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from drift import logging as drift_logging

    drift_logging.configure(args.log_format, args.log_level)
    import structlog

    from drift.pipeline import new_run_id, utc_now

    args.run_id = new_run_id(utc_now())
    structlog.contextvars.bind_contextvars(run_id=args.run_id)
    try:
        return _dispatch(args)
    except InputError as exc:
        for finding in exc.findings:
            print(f"{finding}", file=sys.stderr)
        count = len(exc.findings)
        print(f"drift: {count} error{'s' if count != 1 else ''} in the input; nothing was checked",
              file=sys.stderr)
        drift_logging.get_logger().error("drift.config.invalid", errors=count)
        return EXIT_ERROR
    except DriftError as exc:
        print(f"drift: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("drift: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"drift: internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)",
              file=sys.stderr)
        return EXIT_ERROR


def _dispatch(args: argparse.Namespace) -> int:
    command: Any = {
        "check": _cmd_check,
        "validate": _cmd_validate,
        "daemon": _cmd_daemon,
        "import": _cmd_import,
        "demo": _cmd_demo,
    }[args.command]
    result: int = command(args)
    return result


def _with_concurrency(config: Config, args: argparse.Namespace) -> Config:
    import dataclasses

    if getattr(args, "concurrency", None):
        if not 1 <= args.concurrency <= 256:
            raise DriftError("--concurrency must be between 1 and 256")
        return dataclasses.replace(config, aws=dataclasses.replace(config.aws, concurrency=args.concurrency))
    return config


def _cmd_validate(args: argparse.Namespace) -> int:
    from drift.commands import validate

    return validate(load_settings(args))


def _cmd_check(args: argparse.Namespace) -> int:
    from drift.commands import check

    config = _with_concurrency(load_settings(args), args)
    return check(config, fmt=args.format, output=args.output, full=args.full, notify=args.notify,
                 run_id=args.run_id)


def _cmd_daemon(args: argparse.Namespace) -> int:
    from drift.commands import load_models
    from drift.daemon import run_daemon
    from drift.desired import DesiredModel

    def load() -> tuple[Config, list[DesiredModel]]:
        config = _with_concurrency(load_settings(args), args)
        return config, load_models(config)

    return run_daemon(load, args.listen)


def _cmd_import(args: argparse.Namespace) -> int:
    from drift.importer import run_import

    return run_import(load_settings(args), models=tuple(args.model), name_prefix=args.name_prefix, out=args.out)


def _cmd_demo(args: argparse.Namespace) -> int:
    from drift.demo import run_demo

    return run_demo(config_path=args.config, fmt=args.format)
