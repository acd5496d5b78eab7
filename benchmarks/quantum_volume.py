"""Quantum volume at width 5 on the ibm_brisbane model: 100 model circuits at 1 024 shots.

Side by side in one process: our executor (model circuits and their ideal heavy outputs,
transpilation onto the placement, noise schedule, Aer density matrices in one batch,
statistics, figures, evidence) and qiskit-experiments' ``QuantumVolume`` experiment with
its analysis (ideal probabilities on Aer, transpilation at optimization level 1 onto the
same physical qubits, Aer with FakeBrisbane's ``NoiseModel.from_backend``). Each round draws
new circuits (a new seed, the same on both sides, so both run the very same circuits) and
times the two in turn; the ratio is the median of the rounds' ratios. Loading the device
(our device model, their ``AerSimulator.from_backend``) is done once before the rounds and
not timed.
"""

from __future__ import annotations

import re
import statistics
import time
import warnings

import numpy as np
from qiskit_aer import AerSimulator
from qiskit_experiments.framework import AnalysisResult, ExperimentData
from qiskit_experiments.library import QuantumVolume
from qiskit_ibm_runtime.fake_provider import FakeBrisbane

from bench_common.seeds import derive_seeds
from bench_workers.executors import JobSpec
from bench_workers.simulator import execute
from benchmarks.timing import row

WORKLOAD = "qv_5q"
BACKEND = "ibm_brisbane"
SHOTS = 1024
TRIALS = 100
ROUNDS = 3


def _qubits(executed_qasm3: str) -> list[int]:
    reads = re.findall(r"meas\[(\d+)\] = measure \$(\d+);", executed_qasm3)
    return [int(q) for _, q in sorted(reads, key=lambda read: int(read[0]))]


def reference_run(
    backend: AerSimulator, qubits: list[int], workload_id: str, seed: int, shots: int,
    trials: int,
) -> ExperimentData:  # fmt: skip
    """qiskit-experiments' ``QuantumVolume`` experiment and analysis on ``backend``, on the
    circuits a run of ``seed`` draws for ``workload_id`` (their seed is its circuit seed),
    on ``qubits``, transpiled at optimization level 1."""
    experiment = QuantumVolume(qubits, backend, trials=trials,
                               seed=derive_seeds(seed, workload_id).circuits)  # fmt: skip
    experiment.analysis.set_options(plot=False)
    experiment.set_transpile_options(optimization_level=1)
    experiment.set_run_options(shots=shots, seed_simulator=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return experiment.run().block_for_results()


def mean_hop(data: ExperimentData) -> AnalysisResult:
    """The analysis's mean heavy-output probability, with each circuit's in ``extra`` (only
    the deprecated object form of the results carries those)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return next(r for r in data.analysis_results(dataframe=False) if r.name == "mean_HOP")


def _theirs(
    backend: AerSimulator, qubits: list[int], seed: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """Their h̄, each circuit's heavy-output probability, and whether they read it on all
    its qubits (``measure_active`` drops a qubit no gate touches)."""
    data = reference_run(backend, qubits, WORKLOAD, seed, SHOTS, TRIALS)
    result = mean_hop(data)
    full = [len(next(iter(trial["counts"]))) == len(qubits) for trial in data.data()]
    return float(result.value.nominal_value), np.array(result.extra["HOPs"]), np.array(full)


def main() -> None:
    first = execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, 0))  # loads the device model
    qubits = _qubits(first.circuits[0].executed_qasm3)
    backend = AerSimulator.from_backend(FakeBrisbane())
    ours_s, theirs_s, ratios = [], [], []
    for seed in range(1, ROUNDS + 1):
        start = time.perf_counter()
        ours = execute(JobSpec.of(WORKLOAD, BACKEND, SHOTS, seed))
        ours_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs, hops, full = _theirs(backend, qubits, seed)
        theirs_s.append(time.perf_counter() - start)
        ratios.append(theirs_s[-1] / ours_s[-1])
        mine = np.array([c.statistics["heavy"] / c.shots for c in ours.circuits])
        paired = (mine - hops)[full]
        error = paired.std(ddof=1) / np.sqrt(len(paired))
        print(f"  seed {seed}: h̄ ours {ours.fidelity:.4f}, qiskit-experiments {theirs:.4f}; on "
              f"the {len(paired)} circuits both read in full, ours − theirs "
              f"{paired.mean():+.4f} ± {error:.4f}")  # fmt: skip
    print(f"  placement {qubits}; median of {ROUNDS} rounds, new circuits each")
    row(f"{WORKLOAD}, {TRIALS} circuits x {SHOTS} shots, ours", statistics.median(ours_s), "s")
    row("same circuits, qiskit-experiments QuantumVolume on Aer", statistics.median(theirs_s), "s")
    row("qiskit-experiments / ours (target >= 1)", statistics.median(ratios), "x")


if __name__ == "__main__":
    main()
