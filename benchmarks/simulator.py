"""Simulator speed and memory: GHZ-100 at 100 000 shots on the ibm_brisbane model.

Side by side in one process: our executor (transpile, noise, sampling, counts, metrics),
raw Stim sampling of the very same noisy circuit, and Aer's stabilizer method on that
circuit with the same Pauli channels. Peak memory is measured in a child process that
does nothing but one such run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from bench_workers import aer_runner
from bench_workers.executors import JobSpec
from bench_workers.seeds import derive_seeds
from bench_workers.simulator import execute, prepare
from benchmarks.timing import median_seconds, row

WORKLOAD = "ghz_100q"
BACKEND = "ibm_brisbane"
SHOTS = 100_000
SEED = 1
AER_PROBE_SHOTS = 10_000
AER_FULL_RUN_LIMIT_S = 60.0

_CHILD = f"""
import resource
from bench_workers.executors import JobSpec
from bench_workers.simulator import execute
execute(JobSpec.of({WORKLOAD!r}, {BACKEND!r}, {SHOTS}, {SEED}))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _peak_memory_mib() -> float:
    """Peak resident memory of a fresh interpreter running one execute (Linux: KiB)."""
    output = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True
    ).stdout
    return int(output.split()[-1]) / 1024


def _aer_seconds(run: Callable[[int], object]) -> tuple[float, str]:
    """Aer stabilizer time for SHOTS: measured outright when a probe says it takes at most
    AER_FULL_RUN_LIMIT_S, else scaled linearly from the probe (and labelled as such)."""
    probe = _seconds(lambda: run(AER_PROBE_SHOTS))
    projected = probe * SHOTS / AER_PROBE_SHOTS
    if projected <= AER_FULL_RUN_LIMIT_S:
        return _seconds(lambda: run(SHOTS)), f"measured at {SHOTS:,} shots"
    return projected, f"scaled linearly from {AER_PROBE_SHOTS:,} shots"


def main() -> None:
    first = _seconds(lambda: execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, SEED)))
    distinct = len(execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, SEED)).counts)
    seeds = iter(range(1000, 2000))

    def cold() -> None:
        prepare.cache_clear()
        execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, next(seeds)))

    cold_s = median_seconds(cold, 3)
    warm_s = median_seconds(lambda: execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, SEED)), 5)

    job = JobSpec.of(WORKLOAD, BACKEND, SHOTS, SEED)
    prepared = prepare(job.workload, job.kind, job.backend, derive_seeds(SEED, WORKLOAD).transpile)
    assert prepared.stim is not None
    circuit = prepared.stim.circuit
    stim_s = median_seconds(
        lambda: circuit.compile_sampler(seed=SEED).sample(SHOTS, bit_packed=True), 5
    )

    def aer_run(shots: int) -> None:
        aer_runner.run_counts(
            prepared.steps,
            prepared.model,
            prepared.executed.num_clbits,
            shots,
            SEED,
            method="stabilizer",
        )

    aer_s, aer_how = _aer_seconds(aer_run)
    peak_mib = _peak_memory_mib()

    print(f"{WORKLOAD} on the {BACKEND} model, {SHOTS:,} shots")
    print(f"  noisy Stim circuit: {len(circuit)} instructions, {circuit.num_qubits} qubits")
    print(f"  distinct outcomes in the counts: {distinct:,} (one dict entry each)")
    row("ours, first call in the process (loads the device model)", first * 1e3, "ms")
    row("ours, cold (new seed: transpile, schedule, compile), median", cold_s * 1e3, "ms")
    row("ours, warm (transpiled circuit cached), median", warm_s * 1e3, "ms")
    row("raw Stim sampling of the same noisy circuit, median", stim_s * 1e3, "ms")
    row(f"Aer stabilizer, same circuit and channels ({aer_how})", aer_s * 1e3, "ms")
    row("ours warm / raw Stim (target <= 3)", warm_s / stim_s, "x")
    row("ours cold / raw Stim", cold_s / stim_s, "x")
    row("Aer stabilizer / ours warm (target >= 50)", aer_s / warm_s, "x")
    row("Aer stabilizer / ours cold", aer_s / cold_s, "x")
    row("peak memory of a process running one execute (target <= 1536)", peak_mib, "MiB")
