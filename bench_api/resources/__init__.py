"""One Blueprint per resource; ``BLUEPRINTS`` is the whole registry the app mounts."""

from __future__ import annotations

from bench_api.resources import (
    alerts,
    backends,
    bundles,
    campaigns,
    health,
    index,
    keys,
    ledger,
    listing,
    reports,
    runs,
    verification,
    workloads,
)

BLUEPRINTS = (
    index.blp,
    workloads.blp,
    backends.blp,
    runs.blp,
    listing.blp,
    alerts.blp,
    campaigns.blp,
    reports.blp,
    verification.blp,
    health.blp,
    bundles.blp,
    keys.blp,
    ledger.blp,
)
