"""One Blueprint per resource; ``BLUEPRINTS`` is the whole registry the app mounts."""

from __future__ import annotations

from bench_api.resources import (
    backends,
    bundles,
    health,
    keys,
    ledger,
    reports,
    runs,
    verification,
    workloads,
)

BLUEPRINTS = (
    workloads.blp,
    backends.blp,
    runs.blp,
    reports.blp,
    verification.blp,
    health.blp,
    bundles.blp,
    keys.blp,
    ledger.blp,
)
