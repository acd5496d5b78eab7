"""Simulator speed and memory: GHZ-100 on the ibm_brisbane model, with its coherence circuits.

Side by side in one process: our executor (circuits, noise, sampling, statistics, figures,
evidence) on the cold path (a new seed per run, as in the pipeline: new random settings
to compile, the layout already known) and warm (the same seed again), raw Stim sampling of
the very same noisy circuits, and Aer's stabilizer method on the population circuit with
the same Pauli channels. Cold, warm and raw Stim are timed in turn, round after round, and
each ratio is the median of the rounds' ratios, so a shared machine's changing load falls
on both sides of it. Peak memory is measured in a child process that does nothing but one
such run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from bench_workers import aer_runner, workloads
from bench_workers.devices import device_model
from bench_workers.executors import JobSpec
from bench_workers.simulator import execute, plans_of
from benchmarks.timing import row

WORKLOAD = "ghz_100q"
BACKEND = "ibm_brisbane"
SHOTS = 100_000
FEW_SHOTS = 1024
SEED = 1
ROUNDS = 7
"""Rounds of cold, warm, raw Stim and few-shot runs, taken in turn (medians reported)."""
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


def _interleaved(actions: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds of each action per round, the actions taken in turn within each round, so
    that a change in the machine's load between rounds touches them all alike."""
    seconds: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(rounds):
        for name, action in actions.items():
            seconds[name].append(_seconds(action))
    return seconds


def main() -> None:
    first = _seconds(lambda: execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, SEED)))
    result = execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, SEED))
    seeds = iter(range(1000, 2000))

    job = JobSpec.of(WORKLOAD, BACKEND, SHOTS, SEED)
    circuits = workloads.build(job.workload, job.kind, np.random.default_rng(SEED))
    plans = plans_of(job.backend, circuits)
    programs = [plan.stim.circuit for plan in plans if plan.stim is not None]
    assert len(programs) == len(plans)

    def raw_stim() -> None:
        for program in programs:
            program.compile_sampler(seed=SEED).sample(SHOTS, bit_packed=True)

    rounds = _interleaved({
        "cold": lambda: execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, next(seeds))),
        "warm": lambda: execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, SEED)),
        "stim": raw_stim,
        "few": lambda: execute(JobSpec.of(WORKLOAD, BACKEND, FEW_SHOTS, next(seeds))),
    }, ROUNDS)  # fmt: skip
    cold_s, warm_s, stim_s, few_s = (statistics.median(rounds[k])
                                     for k in ("cold", "warm", "stim", "few"))  # fmt: skip
    cold_ratio, warm_ratio = (
        statistics.median(ours / stim for ours, stim in zip(rounds[k], rounds["stim"], strict=True))
        for k in ("cold", "warm")
    )
    population = plans[0]
    model = device_model(job.backend.noise_model)

    def aer_run(shots: int) -> None:
        aer_runner.run_counts(population.steps, model, population.executed.num_clbits, shots,
                              SEED, method="stabilizer")  # fmt: skip

    aer_s, aer_how = _aer_seconds(aer_run)
    peak_mib = _peak_memory_mib()
    one_stim = stim_s / len(plans)

    print(f"{WORKLOAD} on the {BACKEND} model: {len(plans)} circuits of {SHOTS:,} shots")
    print(f"  noisy Stim circuit: {len(programs[0])} instructions, {programs[0].num_qubits} "
          "qubits")  # fmt: skip
    print(f"  distinct outcomes of the population circuit: {len(result.circuits[0].counts):,}")
    row("ours, first call in the process (loads the device model)", first * 1e3, "ms")
    row("ours, cold (new seed: new settings to compile), median", cold_s * 1e3, "ms")
    row("ours, warm (same seed: everything cached but sampling), median", warm_s * 1e3, "ms")
    row("raw Stim sampling of the same noisy circuits, median", stim_s * 1e3, "ms")
    row("ours cold / raw Stim, median of the rounds (target <= 2.5)", cold_ratio, "x")
    row("ours warm / raw Stim, median of the rounds (target <= 1.5)", warm_ratio, "x")
    row(f"ghz_100q, {len(plans)} circuits at {FEW_SHOTS:,} shots each, cold (target <= 3000)",
        few_s * 1e3, "ms")  # fmt: skip
    row(f"Aer stabilizer, population circuit and channels ({aer_how})", aer_s * 1e3, "ms")
    row("Aer stabilizer / raw Stim, one circuit", aer_s / one_stim, "x")
    row("peak memory of a process running one execute (target <= 1536)", peak_mib, "MiB")
