"""Builders of realistic signed reports for the evidence tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_common.evidence import KeyStore, Ledger, record_in_ledger
from bench_common.reporting import assemble_report, environment_info
from bench_common.results import CircuitRecord, WorkloadResult
from bench_common.timeutil import format_time, now

QASM = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n'


def circuit(
    counts: Mapping[str, int], *, name: str = "population", executed: str = QASM,
    inline: bool = True,
) -> CircuitRecord:  # fmt: skip
    """One executed circuit's evidence with the given counts."""
    return CircuitRecord.of(
        name=name, meta={"role": "population"}, shots=sum(counts.values()), logical_qasm3=QASM,
        executed_qasm3=executed, statistics={"outcomes": len(counts)}, counts=counts,
        inline=inline,
    )  # fmt: skip


def noiseless_device(qubits: int, connectivity: list[list[int]] | str) -> dict[str, Any]:
    """A custom device model (``BENCH_DEVICE_MODELS``) on CX and the usual single-qubit
    gates, with no noise at all: tests add the figures they study."""
    return {
        "qubits": qubits, "connectivity": connectivity,
        "basis": {"rz": "virtual", "sx": "one_qubit", "x": "one_qubit", "cx": "two_qubit"},
        "one_qubit_error": 0.0, "two_qubit_error": 0.0, "readout_error": 0.0,
        "one_qubit_duration_s": 5e-8, "two_qubit_duration_s": 3e-7, "t1_s": None, "t2_s": None,
    }  # fmt: skip


@dataclass
class Run:
    id: str = "0b7e7c2e-4a53-4c7b-9f0e-3f3c9a3d2b11"
    tenant_id: str = "tenant-a"
    backend_id: str = "ibm_brisbane"
    provider: str = "ibm"
    execution_mode: str = "simulated"
    shots: int = 1024
    seed: int = 1234
    thresholds: dict | None = None


def results() -> list[WorkloadResult]:
    calibration = {
        "timestamp": "2026-11-20T08:00:00Z",
        "source": "fake_brisbane",
        "qubits": {"0": {"t1_us": 231.5, "t2_us": 140.25, "readout_error": 0.0123}},
        "gates": {"ecr:0_1": {"error": 0.0071, "duration_ns": 660}},
    }
    bell = WorkloadResult(
        id="bell_state", type="BELL_STATE", qubits=2, fidelity=0.9712, fidelity_ci95=[0.96, 0.98],
        execution_time_ms=12.5, gate_count=2, depth=2, transpiled_gate_count=7,
        transpiled_depth=5, two_qubit_gate_count=1, metrics={"population": 0.985},
        circuits=[circuit({"0x0": 503, "0x3": 506, "0x2": 7, "0x1": 8},
                          executed=QASM + "rz(pi/2) q[1];\n")],
        provider_job_id=None, calibration=calibration,
    )  # fmt: skip
    ghz = WorkloadResult(
        id="ghz_5q", type="GHZ_SCALING", qubits=5, fidelity=0.91, fidelity_ci95=[0.89, 0.93],
        execution_time_ms=20.0, gate_count=5, depth=5, transpiled_gate_count=19,
        transpiled_depth=13, two_qubit_gate_count=4, metrics={"population": 0.93},
        circuits=[circuit({"0x0": 480, "0x1f": 472, "0x1": 72}),
                  circuit({"0x0": 900, "0x1f": 124}, name="parity_00", inline=False)],
        calibration=calibration,
    )  # fmt: skip
    failed = WorkloadResult.failure("depth_stress", "DEPTH_STRESS", 10, "transpiler exploded")
    return [bell, ghz, failed]


def sign(
    data_dir: Path, keys: KeyStore, created_at: str | None = None, run: Run | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A report as the finalizer makes it: signed, with a bundle and a ledger receipt."""
    with Ledger(data_dir / "ledger", None, "test/ledger") as ledger:
        report, bundle = assemble_report(
            run or Run(), results(), environment_info(), created_at or format_time(now()),
            keys.signer,
        )  # fmt: skip
        return record_in_ledger(report, ledger, keys.signer), bundle


def signed_report(data_dir: Path) -> tuple[dict[str, Any], dict[str, Any], KeyStore]:
    keys = KeyStore.open(data_dir / "keys", "test-key-2026")
    report, bundle = sign(data_dir, keys)
    return report, bundle, keys
