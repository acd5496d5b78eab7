"""Resolving the ``module:attribute`` references of provider and workload-type records.

The records live in ``bench_common`` and must not import worker code, so they name it; a
module starting with a dot is relative to this package.
"""

from __future__ import annotations

import importlib
from typing import Any


def resolve(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name, package="bench_workers"), attribute)
