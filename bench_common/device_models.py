"""Custom device models (``BENCH_DEVICE_MODELS``): devices that are not in the catalogue, or
what-ifs of ones that are (halve T2, double the readout error).

The file is read once at start-up by the API, the workers and ``bench run`` alike; anything
malformed stops start-up with a ``DeviceModelError`` naming the device and the field. Each
device becomes a backend of provider ``custom``, always simulated, with exactly these
figures and the same noise pipeline as the shipped models.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_common.catalogue import BackendSpec, Catalogue

CUSTOM = "custom"
GATE_CLASSES = ("virtual", "one_qubit", "two_qubit")
ONE_QUBIT_GATES = frozenset({"rz", "sx", "x", "h", "s", "sdg", "y", "z", "sxdg"})
TWO_QUBIT_GATES = frozenset({"cx", "cz", "ecr", "iswap", "rzz", "rxx", "swap"})
FIELDS = frozenset({
    "name", "qubits", "connectivity", "basis", "one_qubit_error", "two_qubit_error",
    "readout_error", "one_qubit_duration_s", "two_qubit_duration_s", "t1_s", "t2_s", "source",
})  # fmt: skip


class DeviceModelError(ValueError):
    """The device-model file cannot be used; the message names the file, device and field."""


@dataclass(frozen=True)
class CustomDevice:
    """The figures of one custom device: errors are average gate infidelities and symmetric
    readout flip probabilities; None T1/T2 mean no relaxation or dephasing."""

    name: str
    qubits: int
    connectivity: tuple[tuple[int, int], ...] | None
    """Undirected pairs; None for all-to-all."""
    basis: tuple[tuple[str, str], ...]
    """(Qiskit gate name, class) pairs."""
    one_qubit_error: float
    two_qubit_error: float
    readout_error: float
    one_qubit_duration_s: float
    two_qubit_duration_s: float
    t1_s: float | None
    t2_s: float | None
    source: str


def _number(device: Mapping[str, Any], where: str, name: str, *, upper: float | None) -> float:
    value = device.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DeviceModelError(f"{where}.{name} must be a number, got {value!r}")
    if value < 0 or (upper is not None and value >= upper):
        bound = f"in [0, {upper})" if upper is not None else "at least 0"
        raise DeviceModelError(f"{where}.{name} must be {bound}, got {value!r}")
    return float(value)


def _time_constant(device: Mapping[str, Any], where: str, name: str) -> float | None:
    if device.get(name) is None:
        return None
    value = _number(device, where, name, upper=None)
    if value == 0:
        raise DeviceModelError(f"{where}.{name} must be positive or null, got 0")
    return value


def _connectivity(value: Any, where: str, qubits: int) -> tuple[tuple[int, int], ...] | None:
    if value == "all_to_all":
        return None
    if not isinstance(value, list) or not value:
        raise DeviceModelError(f'{where}.connectivity must be "all_to_all" or a list of pairs')
    pairs = []
    for pair in value:
        valid = isinstance(pair, list) and len(pair) == 2 and all(
            isinstance(q, int) and not isinstance(q, bool) and 0 <= q < qubits for q in pair
        )  # fmt: skip
        if not valid or pair[0] == pair[1]:
            raise DeviceModelError(
                f"{where}.connectivity has {pair!r}: pairs of distinct qubits in 0..{qubits - 1}"
            )
        pairs.append((pair[0], pair[1]))
    return tuple(sorted({(min(p), max(p)) for p in pairs}))


def _basis(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not value:
        raise DeviceModelError(f"{where}.basis must be an object of gate name → class")
    for gate, kind in value.items():
        if kind not in GATE_CLASSES:
            raise DeviceModelError(f"{where}.basis.{gate} must be one of {', '.join(GATE_CLASSES)}")
        known = TWO_QUBIT_GATES if kind == "two_qubit" else ONE_QUBIT_GATES
        if gate not in known:
            raise DeviceModelError(
                f"{where}.basis.{gate} is not a {kind.replace('_', '-')} gate this platform "
                f"simulates ({', '.join(sorted(known))})"
            )
    missing = {"rz", "sx"} - set(value)
    if missing or "two_qubit" not in value.values():
        raise DeviceModelError(f"{where}.basis needs rz, sx and a two-qubit gate")
    return tuple(sorted(value.items()))


def parse_device(device_id: str, device: Any, where: str) -> CustomDevice:
    if not isinstance(device, dict):
        raise DeviceModelError(f"{where} must be an object")
    unknown = sorted(set(device) - FIELDS)
    if unknown:
        raise DeviceModelError(f"{where} has unknown fields: {', '.join(unknown)}")
    missing = sorted(FIELDS - {"t1_s", "t2_s"} - set(device))
    if missing:
        raise DeviceModelError(f"{where} misses fields: {', '.join(missing)}")
    qubits = device["qubits"]
    if isinstance(qubits, bool) or not isinstance(qubits, int) or not 2 <= qubits <= 1000:
        raise DeviceModelError(f"{where}.qubits must be an integer from 2 to 1000")
    for name in ("name", "source"):
        if not isinstance(device[name], str) or not device[name]:
            raise DeviceModelError(f"{where}.{name} must be a non-empty string")
    t1, t2 = _time_constant(device, where, "t1_s"), _time_constant(device, where, "t2_s")
    return CustomDevice(
        name=device["name"],
        qubits=qubits,
        connectivity=_connectivity(device["connectivity"], where, qubits),
        basis=_basis(device["basis"], where),
        one_qubit_error=_number(device, where, "one_qubit_error", upper=1.0),
        two_qubit_error=_number(device, where, "two_qubit_error", upper=1.0),
        readout_error=_number(device, where, "readout_error", upper=0.5),
        one_qubit_duration_s=_number(device, where, "one_qubit_duration_s", upper=None),
        two_qubit_duration_s=_number(device, where, "two_qubit_duration_s", upper=None),
        t1_s=t1,
        t2_s=t2,
        source=device["source"],
    )


def load_devices(path: Path) -> dict[str, CustomDevice]:
    """The devices of a ``BENCH_DEVICE_MODELS`` file, checked field by field."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise DeviceModelError(f"BENCH_DEVICE_MODELS: cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise DeviceModelError(f"BENCH_DEVICE_MODELS: {path} is not JSON: {exc}") from exc
    if (
        not isinstance(data, dict)
        or set(data) != {"devices"}
        or not isinstance(data["devices"], dict)
    ):
        raise DeviceModelError(f'{path}: the file must be {{"devices": {{"<backend_id>": …}}}}')
    return {
        device_id: parse_device(device_id, device, f"{path}: devices.{device_id}")
        for device_id, device in data["devices"].items()
    }


def with_devices(catalogue: Catalogue, devices: Mapping[str, CustomDevice]) -> Catalogue:
    """The catalogue plus one simulated backend per custom device; an id already taken is
    refused."""
    taken = sorted(set(devices) & set(catalogue.backends))
    if taken:
        raise DeviceModelError(
            f"BENCH_DEVICE_MODELS: ids already in the catalogue: {', '.join(taken)}"
        )
    return catalogue.extended(backends=[
        BackendSpec(device_id, CUSTOM, device.qubits, f"{device.name} (custom model)",
                    f"{CUSTOM}:{device_id}", custom=device)
        for device_id, device in devices.items()
    ])  # fmt: skip


def catalogue_for(catalogue: Catalogue, path: Path | None) -> Catalogue:
    return catalogue if path is None else with_devices(catalogue, load_devices(path))
