"""From parsed arguments to a command, and from any outcome to an exit code with one clear message."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from drift.config import DEFAULT_CONFIG, Config, Overrides, load_config
from drift.console import quiet_in_json, say
from drift.errors import DriftError, InputError

EXIT_OK, EXIT_ERROR = 0, 1


def settings(args: argparse.Namespace, *, optional: bool = False) -> Config:
    """The config file with command-line overrides; a missing file is fine when flags say enough."""
    overrides = Overrides(desired=tuple(args.desired), region=getattr(args, "region", None),
                          profile=getattr(args, "profile", None), endpoint_url=getattr(args, "endpoint_url", None))
    required = not optional and (not args.desired or args.config != DEFAULT_CONFIG)
    config = load_config(args.config, overrides=overrides, required=required)
    if getattr(args, "concurrency", None):
        config = dataclasses.replace(config, aws=dataclasses.replace(config.aws, concurrency=args.concurrency))
    return config


def dispatch(args: argparse.Namespace) -> int:
    from drift.logging import get_logger

    log = get_logger(run_id=args.run_id)
    command = args.command
    if command == "check":
        from drift.commands.check import CheckArgs, check

        return check(settings(args), CheckArgs(fmt=args.format, output=args.output, full=args.full, notify=args.notify,
                                               shard=args.shard), run_id=args.run_id, log=log)
    if command == "validate":
        from drift.commands.validate import validate

        return validate(settings(args))
    if command == "lock":
        from drift.commands.lock import lock

        return lock(settings(args), check_only=args.check)
    if command == "merge":
        from drift.commands.merge import MergeArgs, merge

        return merge(settings(args, optional=True), args.reports, MergeArgs(
            fmt=args.format, output=args.output, notify=args.notify, max_age=args.max_age), run_id=args.run_id, log=log)
    if command == "import":
        from drift.importer import ImportArgs, run_import

        return run_import(settings(args, optional=True), ImportArgs(
            models=tuple(args.model), name_prefix=args.name_prefix, out=args.out, force=args.force,
            endpoints=args.endpoints, desired_given=bool(args.desired)))
    if command == "daemon":
        return _daemon(args)
    from drift.demo import run_demo

    return run_demo(fmt=args.format, keep=args.keep)


def _daemon(args: argparse.Namespace) -> int:
    from drift.commands.inputs import load_state, require_region
    from drift.daemon import install_signals
    from drift.daemon.service import Daemon
    from drift.desired import DesiredState

    signals = args.signals or install_signals()
    listen = args.listen

    def load() -> tuple[Config, DesiredState]:
        config = settings(args)
        require_region(config)
        return config, load_state(config)

    return Daemon(load, signals).run(listen)


def fail(exc: BaseException, args: Any) -> int:
    """One exit code and one clear message for every outcome that is not a finished command."""
    from drift.logging import get_logger

    if isinstance(exc, SystemExit):
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_ERROR
    if isinstance(exc, InputError):
        for finding in exc.findings:
            quiet_in_json(f"{finding}")
        count = len(exc.findings)
        quiet_in_json(f"drift: {count} error{'s' if count != 1 else ''} in the input; nothing was checked")
        get_logger().error("drift.config.invalid", errors=[str(f) for f in exc.findings], count=count)
        return EXIT_ERROR
    if isinstance(exc, DriftError):
        say(f"drift: error: {exc}", event="drift.error", error=str(exc))
        return EXIT_ERROR
    if isinstance(exc, KeyboardInterrupt):
        say("drift: interrupted", event="drift.interrupted")
        return 130
    if isinstance(exc, BrokenPipeError):  # `drift check | head`: the reader left; nothing to say
        sys.stderr.close()
        return EXIT_ERROR
    if args.debug:
        raise exc
    say(f"drift: internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)",
        event="drift.internal_error", error=f"{type(exc).__name__}: {exc}")
    return EXIT_ERROR
