"""Device models: what the simulator knows about a backend's gates, qubits and wiring.

``BackendSpec.noise_model`` names the source, ``<kind>[:<key>]``, and ``LOADERS`` maps each
kind to the function that reads it: ``ideal`` (noiseless, all-to-all), ``fake:<class>``
(an IBM calibration snapshot shipped with ``qiskit_ibm_runtime.fake_provider``) and
``published:<key>`` (vendor figures in ``devices.json``, each with its source). Models are
read once per process; a model is immutable, so workers share it freely.

An IBM snapshot reports broken parts with placeholder figures (two-qubit error 1.0,
readout error ≥ 0.5, T1 or T2 missing) where IBM's own targets leave them out, so the
transpiler would route through them; ``FAULTY`` says what is left out of the model and its
target, and the snapshot lists it under ``dropped``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata, resources
from types import MappingProxyType
from typing import Any

from qiskit.circuit.library import Measure, get_standard_gate_name_mapping
from qiskit.transpiler import InstructionProperties, Target
from qiskit_ibm_runtime import fake_provider

from bench_common.device_models import CustomDevice
from bench_common.timeutil import format_time
from bench_workers.allocator import exempt_survivors

ANY_QUBITS: tuple[int, ...] = ()
"""Key of a gate table entry that holds on every qubit (tuple), as on all-to-all devices."""
IDEAL_QUBITS = 200
"""Width of the noiseless device: the catalogue's ``simulator`` backend."""
IDEAL_GATES = ("cx", "cz", "h", "rz", "s", "sdg", "swap", "sx", "sxdg", "x", "y", "z")
NOT_GATES = frozenset({"barrier", "delay", "measure", "reset"})
FAULTY_ERROR = 0.5
"""Gate or readout errors at or above this, and missing or NaN two-qubit errors, mark a
coupler or qubit as faulty: at 0.5 a readout is a coin toss, and snapshots report dead
couplers as 1.0."""
FAULTY = (
    f"left out: qubits with readout error >= {FAULTY_ERROR} or missing, or T1 or T2 missing, "
    f"and every gate on them; gates with error >= {FAULTY_ERROR}, two-qubit gates with a "
    "missing error"
)

Qubits = tuple[int, ...]


@dataclass(frozen=True)
class GateFigures:
    error: float
    """Average gate infidelity."""
    duration: float
    """Seconds."""


@dataclass(frozen=True)
class QubitFigures:
    t1: float
    """Seconds; ``math.inf`` for a qubit that does not relax."""
    t2: float
    readout_error: float


@dataclass(frozen=True)
class DeviceModel:
    name: str
    source: str
    timestamp: str | None
    """RFC 3339 time of the figures; None for the noiseless device, which has none."""
    qubits: tuple[QubitFigures, ...]
    gates: Mapping[str, Mapping[Qubits, GateFigures]]
    """Per basis gate, figures per qubit tuple (``ANY_QUBITS`` for all of them)."""
    coupling_map: tuple[tuple[int, int], ...] | None
    """Directed pairs a two-qubit gate acts on; None when any pair will do."""
    faulty_qubits: frozenset[int] = frozenset()
    """Qubits no gate or measurement may use (their figures stay in ``qubits``)."""
    dropped_gates: Mapping[str, Mapping[Qubits, GateFigures]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Gate uses the source reports but the model leaves out, with the reported figures
    (error NaN when missing)."""

    @property
    def num_qubits(self) -> int:
        return len(self.qubits)

    def gate(self, name: str, qubits: Qubits) -> GateFigures:
        table = self.gates[name]
        figures = table.get(qubits, table.get(ANY_QUBITS))
        if figures is None:
            raise KeyError(f"{self.name} has no {name} on qubits {qubits}")
        return figures

    def snapshot(
        self, qubits: Iterable[int] | None = None, gates: Iterable[tuple[str, Qubits]] | None = None
    ) -> dict[str, Any]:
        """JSON-safe figures: the whole device, or only the given qubits and gate uses."""
        whole = qubits is None and gates is None
        used_qubits = range(self.num_qubits) if qubits is None else sorted(set(qubits))
        uses = self._all_gate_uses() if gates is None else sorted(set(gates))
        gate_figures: dict[str, dict[str, dict[str, float | None]]] = {}
        for name, on in uses:
            gate_figures.setdefault(name, {})[_qubits_key(on)] = _gate_json(self.gate(name, on))
        data: dict[str, Any] = {
            "device": self.name,
            "source": self.source,
            "timestamp": self.timestamp,
            "num_qubits": self.num_qubits,
            "basis_gates": sorted(self.gates),
            "qubits": {str(q): _qubit_json(self.qubits[q]) for q in used_qubits},
            "gates": gate_figures,
        }
        if whole:
            data["coupling_map"] = None if self.coupling_map is None else list(self.coupling_map)
        if self.faulty_qubits or self.dropped_gates:
            data["dropped"] = {
                "rule": FAULTY,
                "qubits": {str(q): _qubit_json(self.qubits[q]) for q in sorted(self.faulty_qubits)},
                "gates": {
                    name: {_qubits_key(on): _gate_json(f) for on, f in sorted(table.items())}
                    for name, table in sorted(self.dropped_gates.items())
                },
            }
        return data

    def _all_gate_uses(self) -> list[tuple[str, Qubits]]:
        return sorted((name, on) for name, table in self.gates.items() for on in table)


def _qubits_key(qubits: Qubits) -> str:
    return ",".join(map(str, qubits)) if qubits else "*"


def _finite_or_none(value: float, scale: float) -> float | None:
    return value * scale if math.isfinite(value) else None


def _qubit_json(figures: QubitFigures) -> dict[str, float | None]:
    return {
        "t1_us": _finite_or_none(figures.t1, 1e6),
        "t2_us": _finite_or_none(figures.t2, 1e6),
        "readout_error": _finite_or_none(figures.readout_error, 1.0),
    }


def _gate_json(figures: GateFigures) -> dict[str, float | None]:
    return {
        "error": _finite_or_none(figures.error, 1.0),
        "duration_ns": _finite_or_none(figures.duration, 1e9),
    }


def _ideal(key: str, custom: CustomDevice | None) -> DeviceModel:
    perfect = GateFigures(0.0, 0.0)
    return DeviceModel(
        name="ideal",
        source="noiseless simulation",
        timestamp=None,
        qubits=(QubitFigures(math.inf, math.inf, 0.0),) * IDEAL_QUBITS,
        gates=MappingProxyType({name: {ANY_QUBITS: perfect} for name in IDEAL_GATES}),
        coupling_map=None,
    )


def _fake(key: str, custom: CustomDevice | None) -> DeviceModel:
    """An IBM device from the calibration snapshot its fake backend ships."""
    backend_class = getattr(fake_provider, key, None)
    if backend_class is None:
        raise ValueError(f"qiskit_ibm_runtime.fake_provider has no backend {key!r}")
    backend = backend_class()
    target = backend.target
    standard = get_standard_gate_name_mapping()
    qubits, faulty = _ibm_qubits(target)
    gates: dict[str, dict[Qubits, GateFigures]] = {}
    dropped: dict[str, dict[Qubits, GateFigures]] = {}
    for name in target.operation_names:
        if name not in standard or name in NOT_GATES:
            continue
        for qargs, props in target[name].items():
            if qargs is None or props is None:
                continue
            error = math.nan if props.error is None and len(qargs) > 1 else props.error or 0.0
            figures = GateFigures(error, props.duration or 0.0)
            broken = not error < FAULTY_ERROR or not faulty.isdisjoint(qargs)
            (dropped if broken else gates).setdefault(name, {})[qargs] = figures
    pairs = sorted({pair for table in gates.values() for pair in table if len(pair) == 2})
    version = metadata.version("qiskit-ibm-runtime")
    return DeviceModel(
        name=backend.name,
        source=f"qiskit-ibm-runtime {version} fake_provider.{key} calibration snapshot",
        timestamp=format_time(backend.properties().last_update_date),
        qubits=qubits,
        gates=MappingProxyType(gates),
        coupling_map=tuple((a, b) for a, b in pairs),
        faulty_qubits=faulty,
        dropped_gates=MappingProxyType(dropped),
    )


def _reported(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _ibm_qubits(target: Target) -> tuple[tuple[QubitFigures, ...], frozenset[int]]:
    """Each qubit's figures as reported (NaN when missing), and the faulty ones."""
    qubits, faulty = [], set()
    for q, props in enumerate(target.qubit_properties):
        readout = target["measure"].get((q,))
        figures = QubitFigures(
            _reported(props.t1 if props else None),
            _reported(props.t2 if props else None),
            _reported(readout.error if readout else None),
        )
        if not (figures.readout_error < FAULTY_ERROR and figures.t1 > 0 and figures.t2 > 0):
            faulty.add(q)
        qubits.append(figures)
    return tuple(qubits), frozenset(faulty)


@cache
def published_figures() -> dict[str, Any]:
    """The parsed ``devices.json``."""
    text = resources.files("bench_workers").joinpath("devices.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _all_to_all(spec: Mapping[str, Any], qubits: int) -> None:
    return None


def _square_lattice(spec: Mapping[str, Any], qubits: int) -> list[tuple[int, int]]:
    rows, columns = int(spec["rows"]), int(spec["columns"])
    right = [
        (r * columns + c, r * columns + c + 1) for r in range(rows) for c in range(columns - 1)
    ]
    down = [
        (r * columns + c, (r + 1) * columns + c) for r in range(rows - 1) for c in range(columns)
    ]
    return right + down


def _edges(spec: Mapping[str, Any], qubits: int) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in spec["edges"]]


CONNECTIVITY: Mapping[str, Callable[[Mapping[str, Any], int], list[tuple[int, int]] | None]] = (
    MappingProxyType(
        {"all_to_all": _all_to_all, "square_lattice": _square_lattice, "edges": _edges}
    )
)
GATE_CLASSES: Mapping[str, tuple[str | None, int]] = MappingProxyType(
    {"virtual": (None, 1), "one_qubit": ("one_qubit", 1), "two_qubit": ("two_qubit", 2)}
)
"""Figure prefix and arity of each gate class in ``devices.json`` (virtual gates are free)."""


def _figure(figures: Mapping[str, Any], name: str) -> float:
    value = figures[name]["value"]
    return math.inf if value is None else float(value)


def _timestamp(data: Mapping[str, Any], device: Mapping[str, Any]) -> str:
    cited = {figure["source"] for figure in device["figures"].values()}
    cited |= {device["qubits"]["source"], device["connectivity"]["source"]}
    dates = [data["sources"][s]["published"] or data["sources"][s]["accessed"] for s in cited]
    return f"{max(dates)}T00:00:00Z"


def _uniform(
    name: str,
    source: str,
    timestamp: str | None,
    num_qubits: int,
    edges: Iterable[tuple[int, int]] | None,
    basis: Iterable[tuple[str, str]],
    figure: Callable[[str], float],
) -> DeviceModel:
    """A device uniform across its qubits: one figure per kind (``one_qubit_error``,
    ``two_qubit_duration_s``, ``t1_s``, …), undirected ``edges`` or all-to-all."""
    gates: dict[str, dict[Qubits, GateFigures]] = {}
    pairs = (
        None if edges is None else tuple(sorted({p for a, b in edges for p in ((a, b), (b, a))}))
    )
    for gate_name, gate_class in basis:
        prefix, arity = GATE_CLASSES[gate_class]
        gate = GateFigures(
            figure(f"{prefix}_error") if prefix else 0.0,
            figure(f"{prefix}_duration_s") if prefix else 0.0,
        )
        if pairs is None:
            gates[gate_name] = {ANY_QUBITS: gate}
        elif arity == 1:
            gates[gate_name] = {(q,): gate for q in range(num_qubits)}
        else:
            gates[gate_name] = dict.fromkeys(pairs, gate)
    qubit = QubitFigures(figure("t1_s"), figure("t2_s"), figure("readout_error"))
    return DeviceModel(
        name=name,
        source=source,
        timestamp=timestamp,
        qubits=(qubit,) * num_qubits,
        gates=MappingProxyType(gates),
        coupling_map=pairs,
    )


def _published(key: str, custom: CustomDevice | None) -> DeviceModel:
    """A device from the vendor figures in ``devices.json``: uniform across its qubits."""
    data = published_figures()
    device = data["devices"][key]
    num_qubits = int(device["qubits"]["value"])
    connectivity = device["connectivity"]
    return _uniform(
        device["name"], f"published figures ({key} in bench_workers/devices.json)",
        _timestamp(data, device), num_qubits,
        CONNECTIVITY[connectivity["kind"]](connectivity, num_qubits),
        device["gates"].items(), lambda name: _figure(device["figures"], name),
    )  # fmt: skip


def _custom(key: str, custom: CustomDevice | None) -> DeviceModel:
    """A device of ``BENCH_DEVICE_MODELS``, exactly as its figures say."""
    if custom is None:
        raise ValueError(f"custom device {key!r} comes without its figures")

    def figure(name: str) -> float:
        value: float | None = getattr(custom, name)
        return math.inf if value is None else value

    return _uniform(custom.name, f"custom device model {key}: {custom.source}", None,
                    custom.qubits, custom.connectivity, custom.basis, figure)  # fmt: skip


LOADERS: Mapping[str, Callable[[str, CustomDevice | None], DeviceModel]] = MappingProxyType(
    {"ideal": _ideal, "fake": _fake, "published": _published, "custom": _custom}
)


@cache
def device_model(noise_model: str, custom: CustomDevice | None = None) -> DeviceModel:
    """The model a ``BackendSpec.noise_model`` names (with ``BackendSpec.custom``'s figures
    for a custom device), read once per process (and exempt from the garbage collector's
    walks from then on, with all it imported: ``allocator.exempt_survivors``)."""
    kind, _, key = noise_model.partition(":")
    if kind not in LOADERS:
        raise ValueError(f"unknown noise model {noise_model!r}")
    model = LOADERS[kind](key, custom)
    exempt_survivors()
    return model


def _properties(
    table: Mapping[Qubits, GateFigures],
) -> dict[Qubits, InstructionProperties] | None:
    if ANY_QUBITS in table:
        return None
    return {
        qargs: InstructionProperties(duration=figures.duration, error=figures.error)
        for qargs, figures in table.items()
    }


@cache
def target(noise_model: str, custom: CustomDevice | None = None) -> Target:
    """The Qiskit transpiler target of a device: basis, wiring and errors for noise-aware
    layout. Gates that hold on any qubits are added as global instructions, so devices
    without a coupling map are routed as all-to-all."""
    model = device_model(noise_model, custom)
    result = Target(num_qubits=model.num_qubits)
    standard = get_standard_gate_name_mapping()
    for name, table in model.gates.items():
        result.add_instruction(standard[name], _properties(table))
    result.add_instruction(
        Measure(),
        {
            (q,): InstructionProperties(error=f.readout_error)
            for q, f in enumerate(model.qubits)
            if q not in model.faulty_qubits
        },
    )
    return result
