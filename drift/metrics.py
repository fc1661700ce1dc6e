"""Prometheus metrics of the daemon, in a registry of its own (no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from drift.report import Kind, Report, Severity, Status


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.resources = Gauge("drift_resources", "Resources in scope by kind and status after the last pass",
                               ["kind", "status"], registry=r)
        self.models = Gauge("drift_models", "Models in scope by status after the last pass", ["status"], registry=r)
        self.drifted = Gauge("drift_drifted_models", "Drifted resources by severity after the last pass",
                             ["severity"], registry=r)
        self.unverified = Gauge("drift_unverified_resources", "Resources with something that could not be verified",
                                ["kind"], registry=r)
        self.duration = Histogram("drift_pass_duration_seconds", "Duration of a pass", registry=r,
                                  buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
        self.passes = Counter("drift_passes_total", "Passes by outcome (in_sync, drift, error, failed)", ["outcome"],
                              registry=r)
        self.aws_calls = Counter("drift_aws_api_calls_total", "AWS API calls, retries included, by service",
                                 ["service"], registry=r)
        self.aws_throttled = Counter("drift_aws_throttled_total", "AWS calls answered with throttling", registry=r)
        self.aws_errors = Counter("drift_aws_errors_total", "Resources or targets that could not be read in a pass",
                                  registry=r)
        self.notify_sent = Counter("drift_notifications_sent_total", "Notifications delivered", ["channel"], registry=r)
        self.notify_failed = Counter("drift_notification_failures_total", "Failed delivery attempts", ["channel"],
                                     registry=r)
        self.notify_rejected = Counter("drift_notifications_rejected_total",
                                       "Messages a channel rejected for good (kept in the outbox)", ["channel"],
                                       registry=r)
        self.outbox = Gauge("drift_outbox_pending", "Notifications waiting in the outbox", registry=r)
        self.workers = Gauge("drift_delivery_workers_running", "Delivery workers alive, by channel", ["channel"],
                             registry=r)
        self.last_success = Gauge("drift_last_success_timestamp_seconds",
                                  "Unix time at which the last successful pass (every target read) finished",
                                  registry=r)
        self.reloads = Counter("drift_config_reloads_total", "Config reloads by outcome", ["outcome"], registry=r)
        for kind in Kind:
            for status in Status:
                self.resources.labels(kind.value, status.value)
            self.unverified.labels(kind.value)
        for status in Status:
            self.models.labels(status.value)
        for severity in Severity:
            self.drifted.labels(severity.value)

    def observe_pass(self, report: Report, seconds: float, calls: dict[str, int], throttled: int) -> None:
        for kind in Kind:
            of_kind = report.of_kind(kind)
            for status in Status:
                self.resources.labels(kind.value, status.value).set(sum(1 for m in of_kind if m.status is status))
            self.unverified.labels(kind.value).set(sum(1 for m in of_kind if m.unverified))
        for status in Status:
            self.models.labels(status.value).set(sum(1 for m in report.models if m.status is status))
        for severity in Severity:
            self.drifted.labels(severity.value).set(
                sum(1 for m in report.resources if m.drifted and m.severity is severity))
        self.duration.observe(seconds)
        self.passes.labels({0: "in_sync", 2: "drift"}.get(report.exit_code(), "error")).inc()
        for service, count in calls.items():
            self.aws_calls.labels(service).inc(count)
        self.aws_throttled.inc(throttled)
        self.aws_errors.inc(report.summary.error + len(report.errors))

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))
