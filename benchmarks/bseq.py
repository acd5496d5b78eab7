"""BSEQ on the 127-qubit ibm_brisbane model: the whole workload (circuits, translation,
noise, sampling, statistics, figures, evidence), and what its circuits would cost on Aer
whole.

BSEQ's circuits depend on the device alone, not on the seed, so a repeated run on a
backend finds them translated already ("warm"); "uncached" clears the process's caches of
translated circuits, schedules and coupling graphs first (the device model and Qiskit's
plugins stay loaded, as in a worker that has run anything before). The comparison runs one
circuit whole on Aer's matrix-product-state method, the method Aer picks for that width,
with the same noise, extrapolated linearly from two small numbers of shots.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from bench_workers import aer_runner, product_sampler, simulator, workloads
from bench_workers.devices import device_model
from bench_workers.executors import JobSpec
from benchmarks.timing import median_seconds, row

BACKEND = "ibm_brisbane"
SHOTS = 1024
AER_PROBE_SHOTS = (100, 300)
"""Shots of the two probes the whole-circuit Aer time is extrapolated from (its setup is
paid once, its trajectories per shot)."""


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _uncached() -> None:
    simulator.plan.cache_clear()
    simulator.transpiled.cache_clear()
    workloads.device_graph.cache_clear()


def main() -> None:
    seeds = iter(range(1, 1000))
    result = simulator.execute(JobSpec.of("bseq", BACKEND, SHOTS, next(seeds)))

    def cold() -> None:
        _uncached()
        simulator.execute(JobSpec.of("bseq", BACKEND, SHOTS, next(seeds)))

    cold_s = median_seconds(cold, 3)
    warm_s = median_seconds(
        lambda: simulator.execute(JobSpec.of("bseq", BACKEND, SHOTS, next(seeds))), 3
    )
    job = JobSpec.of("bseq", BACKEND, SHOTS, 1)
    circuits = workloads.build(job.workload, job.kind, np.random.default_rng(1), job.backend)
    plans = simulator.plans_of(job.backend, circuits)
    model = device_model(job.backend.noise_model)
    batch = [(plan.steps, plan.executed.num_clbits) for plan in plans]
    seeds_of_circuits = list(range(len(batch)))
    sample_s = median_seconds(
        lambda: product_sampler.run_many(batch, model, SHOTS, seeds_of_circuits), 3
    )
    few, more = (_seconds(lambda n=n: aer_runner.run_many(batch[:1], model, n, [1]))
                 for n in AER_PROBE_SHOTS)  # fmt: skip
    low, high = AER_PROBE_SHOTS
    aer_s = (few + (more - few) * (SHOTS - low) / (high - low)) * len(batch)
    pieces = sum(len(product_sampler.groups(steps)) for steps, _ in batch)

    metrics = result.metrics
    print(f"bseq on the {BACKEND} model: {len(plans)} circuits ({metrics['layers']} layers) "
          f"of {SHOTS:,} shots, {pieces} independent pieces (pairs, idle qubits)")  # fmt: skip
    print(f"  bseq = {metrics['bseq']} of {result.qubits} qubits, 95 % interval "
          f"{metrics['bseq_ci95']}; {metrics['edges_violating']} of {metrics['edges_tested']} "
          "couplers violate CHSH")  # fmt: skip
    row("bseq, uncached (translate and schedule), median (target <= 5000)", cold_s * 1e3, "ms")
    row("bseq, warm (a new seed, circuits cached), median", warm_s * 1e3, "ms")
    row("sampling alone: the pieces apart, all circuits, median", sample_s * 1e3, "ms")
    row("Aer on each circuit whole (MPS, extrapolated from {} and {} shots)".format(
        *AER_PROBE_SHOTS), aer_s * 1e3, "ms")  # fmt: skip
