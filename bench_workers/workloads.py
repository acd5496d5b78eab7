"""The circuit builders (GHZ chain with its coherence settings, mirror circuit), how a
workload's circuits reach a device, and the gate counting the report uses.

A workload is a list of ``LogicalCircuit``: a preparation, a change of measurement basis,
then every qubit measured. Circuits that share a preparation object are transpiled once and
differ only in their final single-qubit layer, translated to the device's gates and put on
the physical qubits where routing left each logical one.

Counting follows the contract: measurements and barriers are not gates, so GHZ-n has n
gates and depth n (counted on the workload's first circuit). The depth-stress mirror
circuit draws its layers from its own ``circuit_seed``, never from the run seed, so every
backend and every run executes the identical circuit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from itertools import combinations, permutations
from types import MappingProxyType
from typing import NamedTuple, cast
from weakref import finalize

import numpy as np
import stim
from qiskit import ClassicalRegister, QuantumCircuit, qasm3
from qiskit.circuit import CircuitInstruction, Gate
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.circuit.tools import pi_check
from qiskit.transpiler import PassManager, StagedPassManager, Target, generate_preset_pass_manager
from qiskit.transpiler.passes import Optimize1qGatesDecomposition

from bench_common import bell_tests, ghz_fidelity
from bench_common.catalogue import BackendSpec, WorkloadSpec
from bench_common.documents import Calibration, TimingSource
from bench_common.figures import figures
from bench_common.metrics import Counts, Measured
from bench_common.results import CircuitRecord, WorkloadResult
from bench_common.seeds import TRANSPILE_SEED
from bench_common.workload_types import WorkloadType
from bench_workers import qasm_export
from bench_workers.devices import ANY_QUBITS, device_model
from bench_workers.executors.base import JobSpec
from bench_workers.plugins import resolve
from bench_workers.stim_sampler import stim_ops

UNCOUNTED = frozenset({"barrier", "measure"})
ONE_QUBIT_CLIFFORDS = ("h", "s", "sdg", "sx", "sxdg", "x", "y", "z")
BASIS_CHANGE = {"X": ("h",), "Y": ("sdg", "h"), "Z": ()}
"""Gates before a Z measurement that measure X or Y instead (H·S† maps Y to Z)."""
OPTIMIZATION_LEVEL = 1
"""Every other stage as at level 1: level 2 and up merge and resynthesize gates with
arbitrary Euler angles, which turns Clifford circuits into non-Clifford gate sequences."""
INLINE_COUNTS = 4096
"""Distinct outcomes up to which a circuit's counts travel in the evidence bundle; wider
counts are committed to by their hash and downloaded on request."""


@cache
def _standard_gates() -> dict[str, Gate]:
    """Qiskit builds this mapping afresh on every call (about a millisecond), which adds up
    over the basis gates of device-wide circuits."""
    gates: dict[str, Gate] = get_standard_gate_name_mapping()
    return gates


class BasisGate(NamedTuple):
    """A gate of the measurement-basis change: a standard gate by name, on a logical qubit,
    with its angle when it takes one."""

    name: str
    qubit: int
    angle: float | None = None

    def operation(self) -> Gate:
        gate = _standard_gates()[self.name]
        return gate if self.angle is None else type(gate)(self.angle)


@dataclass(frozen=True)
class LogicalCircuit:
    """One circuit of a workload: ``preparation`` (unmeasured), the single-qubit ``basis``
    gates as (gate name, logical qubit) in order, then qubit i measured into clbit i."""

    name: str
    preparation: QuantumCircuit
    basis: tuple[BasisGate, ...] = ()
    meta: Mapping[str, str | int] = field(default_factory=dict)
    physical: bool = False
    """Whether the preparation is written on the device's own qubits (qubit i is physical
    qubit i, two-qubit gates only on couplers): it is then translated to the device's gates
    where it stands, never laid out or routed."""
    qubits: tuple[int, ...] | None = None
    """The physical qubits its builder placed it on (from the ``DeviceGraph``), logical
    qubit i starting on ``qubits[i]``: routing stays on the couplers among them, so the
    circuit touches no other qubit."""

    def logical(self) -> QuantumCircuit:
        """The whole logical circuit, as the evidence shows it."""
        circuit = self.preparation.copy(name=self.name)
        circuit.barrier()
        for gate in self.basis:
            circuit.append(gate.operation(), [gate.qubit])
        register = ClassicalRegister(circuit.num_qubits, "meas")
        circuit.add_register(register)
        circuit.measure(range(circuit.num_qubits), register)
        return circuit


Builder = Callable[[WorkloadSpec, np.random.Generator], list[LogicalCircuit]]


@dataclass(frozen=True)
class DeviceGraph:
    """What a device-aware builder (``WorkloadType.on_device``) sees of a device: its width,
    its usable couplers with their two-qubit gate error and native gate, and each usable
    qubit's readout and single-qubit gate errors. Taken from the backend's device model, on
    hardware too, so the circuits of a run are rebuilt identically from its seed whenever
    the executor needs them again."""

    qubits: int
    couplers: Mapping[tuple[int, int], float]
    """Undirected pairs (low, high) to the lowest error of a two-qubit gate on them."""
    readout: Mapping[int, float]
    """Readout error of every qubit a circuit may use."""
    native: Mapping[tuple[int, int], tuple[str, tuple[int, int]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Per coupler, its lowest-error two-qubit gate and the qubits in the order the device
    runs it (for protocols that benchmark the native gate itself, as layer fidelity does)."""
    one_qubit: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    """Per usable qubit, the highest error of its single-qubit gates."""


DeviceBuilder = Callable[[WorkloadSpec, np.random.Generator, DeviceGraph], list[LogicalCircuit]]


@cache
def device_graph(backend: BackendSpec) -> DeviceGraph:
    model = device_model(backend.noise_model, backend.custom)
    usable = [q for q in range(model.num_qubits) if q not in model.faulty_qubits]
    gates = get_standard_gate_name_mapping()
    couplers: dict[tuple[int, int], float] = {}
    native: dict[tuple[int, int], tuple[str, tuple[int, int]]] = {}
    one_qubit = dict.fromkeys(usable, 0.0)
    for name, table in model.gates.items():
        if gates[name].num_qubits == 1:
            for q in one_qubit:
                gate_figures = table.get((q,), table.get(ANY_QUBITS))
                one_qubit[q] = max(one_qubit[q], gate_figures.error if gate_figures else 0.0)
            continue
        if ANY_QUBITS in table:
            uses = {pair: (table[ANY_QUBITS].error, pair) for pair in combinations(usable, 2)}
        else:
            uses = {(min(on), max(on)): (f.error, (on[0], on[1])) for on, f in table.items()}
        for pair, (error, on) in uses.items():
            if pair not in couplers or error < couplers[pair]:
                couplers[pair], native[pair] = error, (name, on)
    readout = {q: model.qubits[q].readout_error for q in usable}
    return DeviceGraph(model.num_qubits, MappingProxyType(couplers), MappingProxyType(readout),
                       MappingProxyType(native), MappingProxyType(one_qubit))  # fmt: skip


def ghz_preparation(qubits: int, name: str) -> QuantumCircuit:
    """H on qubit 0, then CX(i, i+1) along the chain (Bell for n = 2)."""
    circuit = QuantumCircuit(qubits, name=name)
    circuit.h(0)
    for qubit in range(qubits - 1):
        circuit.cx(qubit, qubit + 1)
    return circuit


def ghz_chain(spec: WorkloadSpec, rng: np.random.Generator) -> list[LogicalCircuit]:
    """The Z-basis population circuit, then one circuit per X/Y coherence setting
    (``bench_common.ghz_fidelity``), all on one preparation."""
    preparation = ghz_preparation(spec.qubits, spec.id)
    settings = ghz_fidelity.coherence_settings(spec.qubits, rng)
    return [
        LogicalCircuit("population", preparation, meta={"role": "population"}),
        *(
            LogicalCircuit(f"parity_{index:02d}", preparation,
                           tuple(BasisGate(g, q) for q, b in enumerate(bases)
                                 for g in BASIS_CHANGE[b]),
                           {"role": "parity", "bases": bases, "sign": ghz_fidelity.sign(bases)})
            for index, bases in enumerate(settings)
        ),
    ]  # fmt: skip


def chsh(spec: WorkloadSpec, rng: np.random.Generator) -> list[LogicalCircuit]:
    """Φ⁺ measured at the four CHSH settings (``bench_common.bell_tests``): R_y(−θ) turns the
    axis cos θ·Z + sin θ·X into Z. The noise-aware layout puts it on the best pair."""
    preparation = ghz_preparation(2, spec.id)
    return [
        LogicalCircuit(f"chsh_{index}", preparation,
                       (BasisGate("ry", 0, -alice), BasisGate("ry", 1, -bob)), {"sign": sign})
        for index, (alice, bob, sign) in enumerate(bell_tests.SETTINGS)
    ]  # fmt: skip


def clifford_layers(qubits: int, layers: int, rng: np.random.Generator) -> QuantumCircuit:
    """Random layers, each a random single-qubit Clifford on every qubit followed by CX
    gates on a random perfect matching (random orientation), so every layer entangles."""
    gates = get_standard_gate_name_mapping()
    forward = QuantumCircuit(qubits)
    for _ in range(layers):
        for qubit in range(qubits):
            forward.append(gates[str(rng.choice(ONE_QUBIT_CLIFFORDS))], [qubit])
        order = rng.permutation(qubits)
        for control, target in zip(order[0::2], order[1::2], strict=False):
            forward.cx(int(control), int(target))
    return forward


def chain_layers(qubits: int, layers: int, rng: np.random.Generator) -> QuantumCircuit:
    """Random layers on a chain, so that they fit any connected device without routing:
    a random single-qubit Clifford on every qubit, then CX (random orientation) on each
    bond of alternately the even and the odd bonds with probability ½ (a two-qubit gate
    density of ¼ per qubit and layer, as in Proctor et al.'s randomized mirror circuits)."""
    gates = get_standard_gate_name_mapping()
    forward = QuantumCircuit(qubits)
    for layer in range(layers):
        for qubit in range(qubits):
            forward.append(gates[str(rng.choice(ONE_QUBIT_CLIFFORDS))], [qubit])
        for left in range(layer % 2, qubits - 1, 2):
            if rng.random() < 0.5:
                pair = [left, left + 1] if rng.random() < 0.5 else [left + 1, left]
                forward.cx(*pair)
    return forward


def mirror_circuit(spec: WorkloadSpec, rng: np.random.Generator) -> list[LogicalCircuit]:
    """``layers`` random Clifford layers, a barrier, then their exact inverse: ideal output
    0ⁿ. The layers come from the workload's ``circuit_seed``, not from ``rng``, so every
    backend and every run executes the identical circuit."""
    layers = np.random.default_rng(int(spec.params["circuit_seed"]))
    forward = clifford_layers(spec.qubits, int(spec.params["layers"]), layers)
    circuit = QuantumCircuit(spec.qubits, name=spec.id)
    circuit.compose(forward, inplace=True)
    circuit.barrier()
    circuit.compose(forward.inverse(), inplace=True)
    return [LogicalCircuit("mirror", circuit, meta={"target": "0x0"})]


def randomized_mirror(spec: WorkloadSpec, rng: np.random.Generator) -> list[LogicalCircuit]:
    """Randomized mirror circuits (Proctor et al., Nature Physics 18, 75 (2022)), drawn from
    the run's seed: random Clifford layers, a random Pauli on every qubit between barriers,
    then the layers' inverse. The circuit is the Pauli conjugated by the layers, so its
    ideal output is a random bitstring, found by simulating it without noise: not 0ⁿ,
    which relaxation would favour."""
    circuits = []
    for index in range(int(spec.params["circuits"])):
        forward = chain_layers(spec.qubits, int(spec.params["layers"]), rng)
        circuit = QuantumCircuit(spec.qubits, name=f"{spec.id}_{index:02d}")
        circuit.compose(forward, inplace=True)
        circuit.barrier()
        for qubit, pauli in enumerate(rng.choice(["id", "x", "y", "z"], size=spec.qubits)):
            if pauli != "id":
                circuit.append(get_standard_gate_name_mapping()[str(pauli)], [qubit])
        circuit.barrier()
        circuit.compose(forward.inverse(), inplace=True)
        target = hex(ideal_outcome(circuit))
        circuits.append(LogicalCircuit(f"mirror_{index:02d}", circuit, meta={"target": target}))
    return circuits


def ideal_outcome(circuit: QuantumCircuit) -> int:
    """The measured bits of a Clifford circuit whose output is a basis state (qubit i as
    bit i), from Stim's noiseless reference sample."""
    program = stim.Circuit()
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    for instruction in circuit.data:
        if instruction.operation.name == "barrier":
            continue
        qubits = [index[q] for q in instruction.qubits]
        params = tuple(float(p) for p in instruction.operation.params)
        for name, targets in stim_ops(instruction.operation.name, params):
            program.append(name, [qubits[t] for t in targets])
    program.append("M", range(circuit.num_qubits))
    bits = program.reference_sample()
    return sum(1 << i for i, bit in enumerate(bits) if bit)


def build(
    spec: WorkloadSpec, kind: WorkloadType, rng: np.random.Generator,
    backend: BackendSpec | None = None,
) -> list[LogicalCircuit]:  # fmt: skip
    """The circuits of a workload, by its type's builder, as many as its type says; a
    device-aware type's builder also gets the ``backend``'s ``DeviceGraph``."""
    if kind.on_device:
        if backend is None:
            raise ValueError(f"{spec.id}: a {kind.name} workload is built for a backend")
        circuits = cast(DeviceBuilder, resolve(kind.build))(spec, rng, device_graph(backend))
    else:
        circuits = cast(Builder, resolve(kind.build))(spec, rng)
    expected = kind.circuits(spec)
    if expected is not None and len(circuits) != expected:
        raise ValueError(f"{spec.id}: built {len(circuits)} circuits, its type says "
                         f"{expected}")  # fmt: skip
    return circuits


@cache
def _one_qubit_gates(
    basis: tuple[str, ...], gates: tuple[BasisGate, ...]
) -> tuple[CircuitInstruction, ...]:
    """``gates`` on one qubit, rewritten in the device's single-qubit ``basis``."""
    circuit = QuantumCircuit(1)
    for gate in gates:
        circuit.append(gate.operation(), [0])
    translated = PassManager([Optimize1qGatesDecomposition(basis=list(basis))]).run(circuit)
    return tuple(translated.data)


def one_qubit_basis(target: Target) -> tuple[str, ...]:
    return tuple(sorted(name for name in target.operation_names
                        if target.operation_from_name(name).num_qubits == 1
                        and name not in ("measure", "reset", "delay")))  # fmt: skip


def _measured_prefix(transpiled: QuantumCircuit, width: int) -> QuantumCircuit:
    """The transpiled preparation with the measurement register and the barrier that every
    circuit on it shares."""
    layout = (transpiled.layout.final_index_layout() if transpiled.layout is not None
              else list(range(width)))  # fmt: skip
    prefix = transpiled.copy()
    prefix.add_register(ClassicalRegister(width, "meas"))
    prefix.barrier([layout[q] for q in range(width)])
    return prefix


def on_device(
    transpiled: QuantumCircuit, width: int, basis: Sequence[BasisGate],
    device_basis: Sequence[str],
) -> QuantumCircuit:  # fmt: skip
    """The executed circuit: the transpiled preparation, a barrier, the ``basis`` change
    (gate name, logical qubit) in the device's gates on each logical qubit's final physical
    qubit, then the measurements (logical qubit i into clbit i)."""
    executed = _measured_prefix(transpiled, width)
    physical = [executed.find_bit(q).index for q in executed.data[-1].qubits]
    per_qubit: dict[int, list[BasisGate]] = {}
    for gate in basis:
        per_qubit.setdefault(gate.qubit, []).append(gate._replace(qubit=0))
    for qubit, gates in per_qubit.items():
        for instruction in _one_qubit_gates(tuple(device_basis), tuple(gates)):
            executed.append(instruction.operation, [physical[qubit]])
    for qubit in range(width):
        executed.measure(physical[qubit], executed.cregs[-1][qubit])
    return executed


_PREFIX_QASM: dict[int, tuple[int, str]] = {}
"""Exported prefixes by ``id`` of their transpiled preparation, dropped when it is."""


def _prefix_qasm3(transpiled: QuantumCircuit, width: int) -> tuple[int, str, Callable[[int], str]]:
    """The shared prefix of the circuits on ``transpiled`` (``_measured_prefix``), exported
    once (Qiskit's exporter costs ~50 ms on a 127-qubit device): its instruction count, its
    text, and how it names qubit i (physical circuits name qubits $i; others declare a
    register, as the exporter does)."""
    key = id(transpiled)
    if key not in _PREFIX_QASM:
        prefix = _measured_prefix(transpiled, width)
        _PREFIX_QASM[key] = (len(prefix.data), qasm_export.dumps(prefix))
        finalize(transpiled, _PREFIX_QASM.pop, key, None)
    length, text = _PREFIX_QASM[key]
    declared = re.search(r"^qubit\[\d+\] (\w+);$", text, re.MULTILINE)
    register = declared[1] if declared else None

    def name(index: int) -> str:
        return f"{register}[{index}]" if register else f"${index}"

    return length, text, name


@lru_cache(maxsize=1024)
def _qasm_angle(value: float) -> str:
    """An angle as the exporter writes it (``pi/2``); a device's layers repeat a few."""
    text: str = pi_check(value, output="qasm")
    return text


def _gate_line(name: str, params: Sequence[float], qubit: str) -> str:
    text = ", ".join(_qasm_angle(float(p)) for p in params)
    return f"{name}{f'({text})' if text else ''} {qubit};"


def executed_qasm3(transpiled: QuantumCircuit, executed: QuantumCircuit) -> str:
    """OpenQASM 3 of a circuit made by ``on_device`` from ``transpiled``: the shared prefix
    (``_prefix_qasm3``), then this circuit's own single-qubit layer and measurements."""
    length, text, name = _prefix_qasm3(transpiled, executed.num_clbits)
    lines = []
    for instruction in executed.data[length:]:
        qubit = executed.find_bit(instruction.qubits[0]).index
        operation = instruction.operation
        if operation.name == "measure":
            clbit = executed.find_bit(instruction.clbits[0]).index
            lines.append(f"meas[{clbit}] = measure {name(qubit)};")
        else:
            lines.append(_gate_line(operation.name, operation.params, name(qubit)))
    return text + "".join(line + "\n" for line in lines)


@cache
def physical_pass_manager(target: Target) -> StagedPassManager:
    """Translation to the device's gates with every qubit left where it stands (the trivial
    layout; a physical circuit's two-qubit gates are on couplers, so routing adds nothing).
    Made once per target: making one costs ~0.2 s, and a layer-fidelity workload
    translates tens of physical circuits."""
    trivial = list(range(target.num_qubits))
    return generate_preset_pass_manager(
        OPTIMIZATION_LEVEL, target=target, initial_layout=trivial, seed_transpiler=TRANSPILE_SEED
    )


def placed_target(target: Target, qubits: tuple[int, ...]) -> Target:
    """``target`` with every instruction kept on ``qubits`` only (one that holds on any
    qubits made explicit on them)."""
    placed = Target(num_qubits=target.num_qubits, dt=target.dt)
    for name in target.operation_names:
        operation, table = target.operation_from_name(name), target[name]
        if isinstance(operation, type):  # variadic (control flow): no qubits of its own
            placed.add_instruction(operation, name=name)
            continue
        if None in table:
            kept = {on: table[None] for on in permutations(qubits, operation.num_qubits)}
        else:
            kept = {on: figures for on, figures in table.items() if set(on) <= set(qubits)}
        placed.add_instruction(operation, kept, name=name)
    return placed


@lru_cache(maxsize=64)
def placed_pass_manager(target: Target, qubits: tuple[int, ...]) -> StagedPassManager:
    """Level-1 stages on ``placed_target``, from the layout ``qubits``: routing has no
    coupler off them to use. Bounded: a hardware executor may fetch a new target per job."""
    return generate_preset_pass_manager(
        OPTIMIZATION_LEVEL, target=placed_target(target, qubits), initial_layout=list(qubits),
        seed_transpiler=TRANSPILE_SEED,
    )  # fmt: skip


def manager_for(
    physical: bool, qubits: tuple[int, ...] | None, target: Target,
    default: StagedPassManager | PassManager,
) -> StagedPassManager | PassManager:  # fmt: skip
    """How a circuit reaches ``target``: translated in place (``LogicalCircuit.physical``),
    kept on its builder's qubits (``LogicalCircuit.qubits``), or through ``default``."""
    if physical:
        return physical_pass_manager(target)
    return default if qubits is None else placed_pass_manager(target, qubits)


def transpile_all(
    circuits: Sequence[LogicalCircuit], manager: StagedPassManager | PassManager, target: Target
) -> list[QuantumCircuit]:
    """Each distinct preparation transpiled once, then each circuit's measured version
    (for hardware executors, which transpile for the provider's own target)."""
    transpiled: dict[int, QuantumCircuit] = {}
    basis = one_qubit_basis(target)
    executed = []
    for circuit in circuits:
        key = id(circuit.preparation)
        if key not in transpiled:
            chosen = manager_for(circuit.physical, circuit.qubits, target, manager)
            transpiled[key] = chosen.run(circuit.preparation)
        width = circuit.preparation.num_qubits
        executed.append(on_device(transpiled[key], width, circuit.basis, basis))
    return executed


def _counted(instruction: CircuitInstruction) -> bool:
    return instruction.operation.name not in UNCOUNTED


def gate_count(circuit: QuantumCircuit) -> int:
    return sum(1 for instruction in circuit.data if _counted(instruction))


def two_qubit_gate_count(circuit: QuantumCircuit) -> int:
    return sum(
        1 for instruction in circuit.data if _counted(instruction) and len(instruction.qubits) == 2
    )


def depth(circuit: QuantumCircuit) -> int:
    return int(circuit.depth(_counted))


@dataclass(frozen=True)
class CircuitFacts:
    """What the report row says about a workload's circuits: gate counts of its first
    logical circuit and of that circuit as executed."""

    gate_count: int
    depth: int
    transpiled_gate_count: int
    transpiled_depth: int
    two_qubit_gate_count: int

    @classmethod
    def of(cls, logical: QuantumCircuit, executed: QuantumCircuit) -> CircuitFacts:
        return cls(
            gate_count=gate_count(logical),
            depth=depth(logical),
            transpiled_gate_count=gate_count(executed),
            transpiled_depth=depth(executed),
            two_qubit_gate_count=two_qubit_gate_count(executed),
        )


QASM_STANDARD_GATES = frozenset({"p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry",
                                 "rz", "id", "u1", "u2", "u3"})  # fmt: skip
"""The single-qubit gates of OpenQASM 3's ``stdgates.inc``, which the exporter writes by name
without a definition."""


def logical_qasm3(circuit: LogicalCircuit) -> str:
    """OpenQASM 3 of ``circuit.logical()``, as the exporter writes it: when its basis gates
    are standard, the preparation's part exported once for all the circuits that share it
    (``_prefix_qasm3``), then the basis gates and measurements written after it."""
    if any(gate.name not in QASM_STANDARD_GATES for gate in circuit.basis):
        exported: str = qasm3.dumps(circuit.logical())
        return exported
    width = circuit.preparation.num_qubits
    _, text, name = _prefix_qasm3(circuit.preparation, width)
    lines = [_gate_line(g.name, () if g.angle is None else (g.angle,), name(g.qubit))
             for g in circuit.basis]  # fmt: skip
    lines += [f"meas[{qubit}] = measure {name(qubit)};" for qubit in range(width)]
    return text + "".join(line + "\n" for line in lines)


def records(
    job: JobSpec, circuits: Sequence[LogicalCircuit], executed: Sequence[QuantumCircuit],
    counts: Sequence[Counts], executed_qasm: Sequence[str] | None = None,
) -> list[CircuitRecord]:  # fmt: skip
    """The evidence of each circuit: both programs, the statistics its figures come from, and
    its counts (inline when small, else only their hash)."""
    kind, qubits = job.kind, job.workload.qubits
    texts = executed_qasm or [qasm3.dumps(sent) for sent in executed]
    return [
        CircuitRecord.of(
            name=circuit.name, meta=dict(circuit.meta), shots=job.shots,
            logical_qasm3=logical_qasm3(circuit), executed_qasm3=text,
            statistics=kind.statistics(circuit.meta, tally, qubits), counts=tally,
            inline=len(tally) <= INLINE_COUNTS,
        )
        for circuit, text, tally in zip(circuits, texts, counts, strict=True)
    ]  # fmt: skip


def workload_result(
    job: JobSpec,
    circuits: Sequence[LogicalCircuit],
    executed: Sequence[QuantumCircuit],
    counts: Sequence[Counts],
    *,
    execution_time_ms: float | None,
    timing_source: TimingSource,
    calibration: Calibration,
    provider_job_id: str | None = None,
    executed_qasm: Sequence[str] | None = None,
) -> WorkloadResult:
    """The report row and evidence of one executed workload, simulated or on hardware: the
    same statistics and figures either way (``bench_common.figures``)."""
    spec = job.workload
    evidence = records(job, circuits, executed, counts, executed_qasm)
    measured = [Measured(r.name, r.meta, r.shots, r.statistics) for r in evidence]
    analysis = figures(job.kind, spec, measured, job.seed)
    facts = CircuitFacts.of(circuits[0].logical(), executed[0])
    return WorkloadResult(
        id=spec.id,
        type=spec.type,
        qubits=circuits[0].preparation.num_qubits if job.kind.device_wide else spec.qubits,
        fidelity=analysis.fidelity,
        fidelity_ci95=analysis.fidelity_ci95,
        execution_time_ms=execution_time_ms,
        timing_source=timing_source,
        metrics=analysis.metrics,
        circuits=evidence,
        provider_job_id=provider_job_id,
        calibration=calibration,
        **asdict(facts),
    )
