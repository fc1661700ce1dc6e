"""The one-shot commands: validate and check, as thin callers of the pipeline."""

from __future__ import annotations

import os
import sys

from drift.config import Config
from drift.desired import DesiredModel, expand_patterns, load_desired
from drift.errors import DriftError
from drift.logging import get_logger
from drift.state import Store


def load_models(config: Config) -> list[DesiredModel]:
    if not config.desired:
        raise DriftError(f"{config.path}: no desired state: set desired: in the config or pass --desired PATH")
    return load_desired(config.desired, base_dir=config.base_dir,
                        targets=tuple(t.name for t in config.aws.targets))


def validate(config: Config) -> int:
    models = load_models(config)
    files, _ = expand_patterns(config.desired, config.base_dir)
    where = config.path if os.path.exists(config.path) else "(no config file)"
    print(f"{where}: valid; {len(models)} model{'s' if len(models) != 1 else ''} in {len(files)} "
          f"desired-state file{'s' if len(files) != 1 else ''} valid")
    return 0


def _choose_format(fmt: str | None, output: str | None) -> str:
    if fmt:
        return fmt
    if output:
        return {".json": "json", ".md": "markdown", ".markdown": "markdown"}.get(
            os.path.splitext(output)[1].lower(), "text")
    return "text" if sys.stdout.isatty() else "json"


def check(config: Config, *, fmt: str | None, output: str | None, full: bool, notify: bool,
          run_id: str | None = None) -> int:
    from drift._progress import TerminalProgress
    from drift.pipeline import new_run_id, run_pass, utc_now
    from drift.render import render

    models = load_models(config)
    if notify and not config.state_path:
        raise DriftError(f"{config.path}: --notify needs state.path: the outbox and what was already "
                         "notified live in the state database")
    if notify and not config.notify:
        raise DriftError(f"{config.path}: --notify given but no notify: channels are configured")
    store = open_store(config)
    run_id = run_id or new_run_id(utc_now())
    log = get_logger(run_id=run_id)
    log.info("drift.run.started", models=len(models), targets=len(config.aws.targets), full=full)
    progress = TerminalProgress("checking")
    try:
        result = run_pass(config, models, store=store, full=full, progress=progress, log=log, run_id=run_id,
                          channels=config.notify if notify else ())
        if notify and store:
            from drift.notify.outbox import deliver_pending

            deliver_pending(store, config.notify, log, utc_now())
    finally:
        progress.close()
        if store:
            store.close()
    report = result.report
    for error in report.errors:
        print(f"drift: error: {error}", file=sys.stderr)
    chosen = _choose_format(fmt, output)
    text = render(report, chosen, color=chosen == "text" and output is None and sys.stdout.isatty()
                  and "NO_COLOR" not in os.environ)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise DriftError(f"cannot write the report to {output}: {exc.strerror or exc}") from exc
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    s = report.summary
    log.info("drift.run.finished", exit_code=report.exit_code(), checked=s.checked, in_sync=s.in_sync,
             modified=s.modified, missing=s.missing, unmanaged=s.unmanaged, error=s.error,
             calls=result.calls, throttled=result.throttled, described=result.described)
    return report.exit_code()


def open_store(config: Config) -> Store | None:
    """The state store when ``state.path`` is set; relative paths are relative to the working directory."""
    return Store(config.state_path) if config.state_path else None
