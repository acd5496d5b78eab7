"""Per-workload randomness derived from a run's seed, shared by the simulator and the
hardware executors (which must not load the simulator's engines just to seed a transpiler).

Every draw derives from ``(seed, workload_id)`` through a NumPy SeedSequence whose entropy
includes a SHA-256 of the workload id (Python's ``hash`` is salted per process), so the same
seed reproduces the same streams and workloads of one run draw independent ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Seeds:
    transpile: int
    sample: int
    bootstrap: int


def derive_seeds(seed: int, workload_id: str) -> Seeds:
    """Independent 32-bit seeds for one workload of a run."""
    digest = int.from_bytes(hashlib.sha256(workload_id.encode()).digest(), "big")
    words = np.random.SeedSequence([abs(seed), int(seed < 0), digest]).generate_state(3)
    return Seeds(*(int(word) for word in words))
