"""Per-workload randomness derived from a run's seed, shared by the simulator, the hardware
executors and anyone recomputing a report's figures.

Every draw derives from ``(seed, workload_id)`` through a NumPy SeedSequence whose entropy
includes a SHA-256 of the workload id (Python's ``hash`` is salted per process), so the same
seed reproduces the same streams and workloads of one run draw independent ones.

The seed drives only sampling, random circuits and the bootstrap. The layout is not drawn:
it is a property of (backend, workload, calibration), chosen noise-aware with the fixed
``TRANSPILE_SEED``, so that runs with different seeds measure the same physical qubits and
their intervals describe the same quantity.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

TRANSPILE_SEED = 2026
"""Seed of the transpiler's layout and routing heuristics, the same for every run."""


@dataclass(frozen=True)
class Seeds:
    circuits: int
    """Random circuits and measurement settings (GHZ coherence settings, mirror circuits)."""
    sample: int
    bootstrap: int


def derive_seeds(seed: int, workload_id: str) -> Seeds:
    """Independent 32-bit seeds for one workload of a run."""
    digest = int.from_bytes(hashlib.sha256(workload_id.encode()).digest(), "big")
    words = np.random.SeedSequence([abs(seed), int(seed < 0), digest]).generate_state(3)
    return Seeds(*(int(word) for word in words))
