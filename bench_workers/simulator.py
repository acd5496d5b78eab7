"""Simulated execution of one workload on a device model: transpile, add noise, sample, analyse.

Randomness: every draw derives from ``(seed, workload_id)`` (``bench_workers.seeds``), so
the same seed reproduces the same transpiled circuit, counts and interval on the same
installation.

Caching: the transpiled circuit and everything derived from it (schedule, Stim program,
QASM, gate counts, calibration used) is a pure function of (workload, backend, transpile
seed) and is kept per process, so repeating a run skips straight to sampling. The
transpile seed derives from the run seed like every other draw, so a cached result is
exactly what a cold run would compute.

Engines: Clifford circuits (after snapping angles) go to Stim, anything else to Aer.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from qiskit import QuantumCircuit
from qiskit.transpiler import StagedPassManager, generate_preset_pass_manager

from bench_common.catalogue import BackendSpec, WorkloadSpec
from bench_common.device_models import CustomDevice
from bench_common.documents import Calibration
from bench_common.results import WorkloadResult
from bench_common.workload_types import WorkloadType
from bench_workers import aer_runner, stim_sampler, workloads
from bench_workers.devices import DeviceModel, device_model, target
from bench_workers.executors.base import JobSpec
from bench_workers.noise import GateStep, MeasureStep, Step, schedule
from bench_workers.seeds import derive_seeds

LAYOUT_LEVEL = 2
"""Layout and routing as at level 2: noise-aware VF2Layout, where level 1 takes the trivial
layout whenever it happens to fit and so runs Bell states on qubits 0 and 1 whatever
their readout error."""
OPTIMIZATION_LEVEL = 1
"""Every other stage as at level 1: level 2 and up merge and resynthesize gates with
arbitrary Euler angles, which turns Clifford circuits into non-Clifford gate sequences."""
NOISE_DESCRIPTION = (
    "depolarizing gate errors from the gate error; Pauli-twirled T1/T2 on idle qubits "
    "(as-late-as-possible schedule from gate durations); readout error as a bit flip"
)
PREPARED_CACHE_SIZE = 64


@dataclass(frozen=True)
class Prepared:
    """Everything about a workload on a device that does not depend on sampling."""

    model: DeviceModel
    executed: QuantumCircuit
    steps: tuple[Step, ...]
    stim: stim_sampler.StimProgram | None
    facts: workloads.CircuitFacts
    calibration: Calibration


def _calibration_used(model: DeviceModel, steps: tuple[Step, ...]) -> Calibration:
    gate_uses = [(s.name, s.qubits) for s in steps if isinstance(s, GateStep)]
    qubits = {q for _, on in gate_uses for q in on}
    qubits |= {s.qubit for s in steps if isinstance(s, MeasureStep)}
    return model.snapshot(qubits, gate_uses)


def pass_manager(
    noise_model: str, seed: int, custom: CustomDevice | None = None
) -> StagedPassManager:
    """Level-1 stages with the layout and routing stages of level 2 (see the constants)."""
    device = target(noise_model, custom)
    manager = generate_preset_pass_manager(OPTIMIZATION_LEVEL, target=device, seed_transpiler=seed)
    placement = generate_preset_pass_manager(LAYOUT_LEVEL, target=device, seed_transpiler=seed)
    manager.layout, manager.routing = placement.layout, placement.routing
    return manager


@lru_cache(maxsize=PREPARED_CACHE_SIZE)
def prepare(
    spec: WorkloadSpec, kind: WorkloadType, backend: BackendSpec, transpile_seed: int
) -> Prepared:
    model = device_model(backend.noise_model, backend.custom)
    if spec.qubits > model.num_qubits:
        raise ValueError(
            f"{spec.id} needs {spec.qubits} qubits; {backend.id} has {model.num_qubits}"
        )
    logical = workloads.build(spec, kind)
    executed = pass_manager(backend.noise_model, transpile_seed, backend.custom).run(logical)
    steps = schedule(executed, model)
    try:
        program: stim_sampler.StimProgram | None = stim_sampler.compile_program(
            steps, model, executed.num_clbits
        )
    except stim_sampler.NotCliffordError:
        program = None
    calibration = _calibration_used(model, steps)
    calibration.update(noise_model=backend.noise_model, noise=NOISE_DESCRIPTION)
    return Prepared(
        model=model,
        executed=executed,
        steps=steps,
        stim=program,
        facts=workloads.CircuitFacts.of(logical, executed),
        calibration=calibration,
    )


def sample(prepared: Prepared, shots: int, seed: int) -> dict[str, int]:
    """Counts from Stim when the circuit is Clifford, else from Aer."""
    if prepared.stim is not None:
        return stim_sampler.sample_counts(prepared.stim, shots, seed)
    return aer_runner.run_counts(
        prepared.steps, prepared.model, prepared.executed.num_clbits, shots, seed
    )


def execute(job: JobSpec) -> WorkloadResult:
    """Run one workload on a backend's device model; ``execution_time_ms`` is the wall
    clock of this call, transpilation included when it was not cached."""
    started = time.perf_counter()
    spec = job.workload
    seeds = derive_seeds(job.seed, spec.id)
    prepared = prepare(spec, job.kind, job.backend, seeds.transpile)
    counts = sample(prepared, job.shots, seeds.sample)
    analysis = job.kind.analyse(
        counts, spec.qubits, spec.params, np.random.default_rng(seeds.bootstrap)
    )
    elapsed_ms = (time.perf_counter() - started) * 1e3
    return workloads.workload_result(
        job, analysis, prepared.facts, counts, execution_time_ms=elapsed_ms,
        timing_source="wall_clock", calibration=copy.deepcopy(prepared.calibration),
    )  # fmt: skip


def calibration(backend: BackendSpec) -> Calibration:
    """The whole device model a backend is simulated with, JSON-safe."""
    noise_model = backend.noise_model
    snapshot = device_model(noise_model, backend.custom).snapshot()
    snapshot.update(noise_model=noise_model, noise=NOISE_DESCRIPTION)
    return snapshot
