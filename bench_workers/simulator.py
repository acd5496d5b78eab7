"""Simulated execution of one workload on a device model: transpile, add noise, sample, analyse.

Randomness: the run seed drives sampling and random circuits only (``bench_common.seeds``),
so the same seed reproduces the same counts and interval on the same installation, while
the layout is the same for every run of a workload on a backend.

Caching: a preparation's transpiled form, and each measured circuit's schedule and Stim
program, are pure functions of (backend, circuit) and are kept per process, keyed by the
circuit's gates; circuits that share a preparation are transpiled once.

Engines: Clifford circuits (after snapping angles) go to Stim, anything else to Aer.
"""

from __future__ import annotations

import hashlib
import marshal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.transpiler import StagedPassManager, generate_preset_pass_manager

from bench_common.catalogue import BackendSpec
from bench_common.device_models import CustomDevice
from bench_common.documents import Calibration
from bench_common.metrics import Counts
from bench_common.results import WorkloadResult
from bench_common.seeds import TRANSPILE_SEED, derive_seeds
from bench_workers import product_sampler, stim_sampler, workloads
from bench_workers.allocator import exempt_survivors
from bench_workers.devices import DeviceModel, device_model, target
from bench_workers.executors.base import JobSpec
from bench_workers.noise import GateStep, MeasureStep, Step, schedule
from bench_workers.workloads import OPTIMIZATION_LEVEL

LAYOUT_LEVEL = 2
"""Layout and routing as at level 2: noise-aware VF2Layout, where level 1 takes the trivial
layout whenever it happens to fit and so runs Bell states on qubits 0 and 1 whatever
their readout error."""
NOISE_DESCRIPTION = (
    "depolarizing gate errors from the gate error; Pauli-twirled T1/T2 on idle qubits "
    "(as-late-as-possible schedule from gate durations), except relaxation before readout, "
    "applied as a 1->0 (or, through a final flip, 0->1) flip of the outcome with the "
    "dephasing left as a Z channel; readout error as a symmetric flip of the outcome; "
    "couplers and qubits the calibration reports as faulty are left out"
)
CACHE_SIZE = 256
DIGEST_SIZE = 16

Gates = tuple[tuple[str, tuple[float, ...], tuple[int, ...]], ...]
"""A circuit as hashable data: (gate name, parameters, qubit indices) per instruction."""


@dataclass(frozen=True)
class Plan:
    """One measured circuit on a device: everything but the sampling."""

    executed: QuantumCircuit
    qasm3: str
    steps: tuple[Step, ...]
    stim: stim_sampler.StimProgram | None

    @cached_property
    def uses(self) -> tuple[frozenset[tuple[str, tuple[int, ...]]], frozenset[int]]:
        """The gate uses (name, qubits) and the qubits of the circuit, for its calibration."""
        gates = frozenset((s.name, s.qubits) for s in self.steps if isinstance(s, GateStep))
        qubits = {q for _, on in gates for q in on}
        qubits |= {s.qubit for s in self.steps if isinstance(s, MeasureStep)}
        return gates, frozenset(qubits)


def gates_of(circuit: QuantumCircuit) -> Gates:
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    return tuple(
        (i.operation.name, tuple(float(p) for p in i.operation.params),
         tuple(index[q] for q in i.qubits))
        for i in circuit.data
    )  # fmt: skip


def circuit_of(width: int, gates: Gates) -> QuantumCircuit:
    named = get_standard_gate_name_mapping()
    circuit = QuantumCircuit(width)
    for name, params, qubits in gates:
        if name == "barrier":
            circuit.barrier(list(qubits))
        else:
            operation = type(named[name])(*params) if params else named[name]
            circuit.append(operation, list(qubits))
    return circuit


@cache
def pass_manager(noise_model: str, custom: CustomDevice | None = None) -> StagedPassManager:
    """Level-1 stages with the layout and routing stages of level 2 (see the constants),
    seeded with the fixed ``TRANSPILE_SEED``. Built once per device and process (building
    costs more than running it on a small circuit); a process runs one workload at a time.
    It and the transpiler it imported are then left out of the collector's walks."""
    device = target(noise_model, custom)
    manager = generate_preset_pass_manager(OPTIMIZATION_LEVEL, target=device,
                                           seed_transpiler=TRANSPILE_SEED)  # fmt: skip
    placement = generate_preset_pass_manager(LAYOUT_LEVEL, target=device,
                                             seed_transpiler=TRANSPILE_SEED)  # fmt: skip
    manager.layout, manager.routing = placement.layout, placement.routing
    exempt_survivors()
    return manager


@lru_cache(maxsize=CACHE_SIZE)
def transpiled(
    backend: BackendSpec, width: int, preparation: Gates, physical: bool = False,
    qubits: tuple[int, ...] | None = None,
) -> QuantumCircuit:  # fmt: skip
    """A preparation on the device: noise-aware layout, routing, the device's gates (a
    ``physical`` one keeps its qubits, a placed one stays on its ``qubits``: see
    ``LogicalCircuit``)."""
    model = device_model(backend.noise_model, backend.custom)
    if width > model.num_qubits:
        raise ValueError(f"a {width}-qubit workload does not fit {backend.id} "
                         f"({model.num_qubits} qubits)")  # fmt: skip
    manager = workloads.manager_for(physical, qubits, target(backend.noise_model, backend.custom),
                                    pass_manager(backend.noise_model, backend.custom))  # fmt: skip
    result: QuantumCircuit = manager.run(circuit_of(width, preparation))
    return result


@dataclass(frozen=True, eq=False)
class CircuitKey:
    """A measured circuit as a cache key: equal when their digests are, since comparing
    the gate tuples themselves costs about a millisecond a circuit, on every hit."""

    width: int
    preparation: Gates
    basis: tuple[workloads.BasisGate, ...]
    physical: bool
    qubits: tuple[int, ...] | None
    digest: bytes

    @classmethod
    def of(cls, circuit: workloads.LogicalCircuit, preparation: Gates) -> CircuitKey:
        width = circuit.preparation.num_qubits
        data = (width, preparation, tuple(map(tuple, circuit.basis)), circuit.physical,
                circuit.qubits)  # fmt: skip
        digest = hashlib.blake2b(marshal.dumps(data), digest_size=DIGEST_SIZE).digest()
        return cls(width, preparation, circuit.basis, circuit.physical, circuit.qubits, digest)

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CircuitKey) and other.digest == self.digest


@lru_cache(maxsize=CACHE_SIZE)
def plan(backend: BackendSpec, key: CircuitKey) -> Plan:
    model = device_model(backend.noise_model, backend.custom)
    device = target(backend.noise_model, backend.custom)
    prepared = transpiled(backend, key.width, key.preparation, key.physical, key.qubits)
    executed = workloads.on_device(prepared, key.width, key.basis,
                                   workloads.one_qubit_basis(device))  # fmt: skip
    steps = schedule(executed, model)
    try:
        program: stim_sampler.StimProgram | None = stim_sampler.compile_program(
            steps, model, executed.num_clbits
        )
    except stim_sampler.NotCliffordError:
        program = None
    return Plan(executed, workloads.executed_qasm3(prepared, executed), steps, program)


def plans_of(backend: BackendSpec, circuits: Sequence[workloads.LogicalCircuit]) -> list[Plan]:
    """The plan of each circuit, each distinct preparation read once."""
    preparations: dict[int, Gates] = {}
    for circuit in circuits:
        if id(circuit.preparation) not in preparations:
            preparations[id(circuit.preparation)] = gates_of(circuit.preparation)
    return [plan(backend, CircuitKey.of(c, preparations[id(c.preparation)])) for c in circuits]


def plan_of(backend: BackendSpec, circuit: workloads.LogicalCircuit) -> Plan:
    return plans_of(backend, [circuit])[0]


def calibration_used(model: DeviceModel, plans: Sequence[Plan], noise_model: str) -> Calibration:
    """The figures of the qubits and gates the workload's circuits used."""
    gate_uses = frozenset().union(*(p.uses[0] for p in plans))
    qubits = frozenset().union(*(p.uses[1] for p in plans))
    snapshot = model.snapshot(qubits, gate_uses)
    snapshot.update(noise_model=noise_model, noise=NOISE_DESCRIPTION)
    return snapshot


def sample(prepared: Plan, model: DeviceModel, shots: int, seed: int) -> Counts:
    """Counts from Stim when the circuit is Clifford, else from Aer."""
    return sample_all([prepared], model, shots, [seed])[0]


def sample_all(
    plans: Sequence[Plan], model: DeviceModel, shots: int, seeds: Sequence[int]
) -> list[Counts]:
    """Counts of each circuit: from Stim when it is Clifford, else from Aer, where a
    workload's circuits go in one batch (``aer_runner.run_many``), each split into its
    independent pieces (``product_sampler``)."""
    counts: list[Counts] = [
        stim_sampler.sample_counts(p.stim, shots, seed) if p.stim is not None else {}
        for p, seed in zip(plans, seeds, strict=True)
    ]
    on_aer = [i for i, p in enumerate(plans) if p.stim is None]
    batch = [(plans[i].steps, plans[i].executed.num_clbits) for i in on_aer]
    simulated = product_sampler.run_many(batch, model, shots, [seeds[i] for i in on_aer])
    for i, tally in zip(on_aer, simulated, strict=True):
        counts[i] = tally
    return counts


def execute(job: JobSpec) -> WorkloadResult:
    """Run one workload on a backend's device model; ``execution_time_ms`` is the wall
    clock of this call, transpilation included when it was not cached."""
    started = time.perf_counter()
    spec, backend = job.workload, job.backend
    seeds = derive_seeds(job.seed, spec.id)
    circuits = workloads.build(spec, job.kind, np.random.default_rng(seeds.circuits), backend)
    plans = plans_of(backend, circuits)
    model = device_model(backend.noise_model, backend.custom)
    streams = np.random.SeedSequence(seeds.sample).generate_state(len(plans))
    counts = sample_all(plans, model, job.shots, [int(s) for s in streams])
    used = calibration_used(model, plans, backend.noise_model)
    result = workloads.workload_result(
        job, circuits, [p.executed for p in plans], counts, execution_time_ms=None,
        timing_source="wall_clock", calibration=used,
        executed_qasm=[p.qasm3 for p in plans],
    )  # fmt: skip
    result.execution_time_ms = (time.perf_counter() - started) * 1e3
    return result


def calibration(backend: BackendSpec) -> Calibration:
    """The whole device model a backend is simulated with, JSON-safe."""
    noise_model = backend.noise_model
    snapshot = device_model(noise_model, backend.custom).snapshot()
    snapshot.update(noise_model=noise_model, noise=NOISE_DESCRIPTION)
    return snapshot
