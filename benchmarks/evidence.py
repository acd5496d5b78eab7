"""Evidence core speed: sealing and verifying a report; ledger cost at 10^3 and 10^6 leaves."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bench_common.evidence import KeyStore, Ledger, verify_report
from bench_common.reporting import assemble_report, environment_info
from bench_common.results import CircuitRecord, WorkloadResult
from benchmarks.timing import median_seconds, row

SIZES = (1_000, 1_000_000)


class _Run:
    id = "9d0f1e7a-6b7c-4d3e-8f90-123456789abc"
    tenant_id = "bench"
    backend_id = "ibm_brisbane"
    provider = "ibm"
    execution_mode = "simulated"
    shots = 10_000
    seed = 1
    thresholds = None


def _results(rng: np.random.Generator) -> list[WorkloadResult]:
    """Six workloads with a few hundred distinct outcomes each, as a noisy device gives."""
    results = []
    for qubits in (2, 5, 10, 50, 100, 10):
        outcomes = {hex(int(rng.integers(0, 2 ** min(qubits, 31)))) for _ in range(300)}
        counts = {key: int(rng.integers(1, 60)) for key in outcomes}
        record = CircuitRecord.of(
            name="population", meta={"role": "population"}, shots=sum(counts.values()),
            logical_qasm3="OPENQASM 3.0;\n" * qubits, executed_qasm3="OPENQASM 3.0;\n" * qubits,
            statistics={"outcomes": len(counts)}, counts=counts, inline=True,
        )  # fmt: skip
        results.append(
            WorkloadResult(
                id=f"w{qubits}_{len(results)}",
                type="GHZ_SCALING",
                qubits=qubits,
                fidelity=float(rng.random()),
                fidelity_ci95=[0.1, 0.9],
                execution_time_ms=5.0,
                gate_count=qubits,
                depth=qubits,
                metrics={"population": 0.9},
                circuits=[record],
                calibration={"timestamp": "2026-01-01T00:00:00Z", "t1": [100.0] * qubits},
            )
        )
    return results


def _ledger_costs(directory: Path, keys: KeyStore, size: int) -> tuple[float, float]:
    with Ledger(directory / f"log-{size}", keys.signer, "bench/log", fsync=False) as ledger:
        batch = 100_000
        for start in range(0, size, batch):
            ledger.extend(b'{"n":%d}' % i for i in range(start, min(size, start + batch)))
        counter = iter(range(size, size + 10_000))
        append = median_seconds(lambda: ledger.append(b'{"n":%d}' % next(counter)), 200)
        rng = np.random.default_rng(3)
        proof = median_seconds(lambda: ledger.inclusion_proof(int(rng.integers(0, size))), 500)
    return append, proof


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        keys = KeyStore.open(directory / "keys", "bench-key")
        results = _results(np.random.default_rng(7))
        environment = environment_info()
        created_at = "2026-11-24T00:00:00Z"
        report, _ = assemble_report(_Run(), results, environment, created_at, keys.signer)
        keyring = keys.public_keyring()
        seal = median_seconds(
            lambda: assemble_report(_Run(), results, environment, created_at, keys.signer),
            30,
        )
        verify = median_seconds(lambda: verify_report(report, keyring), 30)
        print("report: six workloads, about 1 800 distinct outcomes in the bundle")
        row("canonicalize + hash + sign (report and bundle), median", seal * 1e3, "ms")
        row("verify one report, median", verify * 1e3, "ms")
        costs = {size: _ledger_costs(directory, keys, size) for size in SIZES}
    small, large = costs[SIZES[0]], costs[SIZES[1]]
    for size, (append, proof) in costs.items():
        row(f"ledger append (signed checkpoint) at {size:,} leaves", append * 1e3, "ms")
        row(f"ledger inclusion proof at {size:,} leaves", proof * 1e6, "µs")
    row("append ratio 10^6 / 10^3 (target <= 3)", large[0] / small[0], "x")
    row("inclusion-proof ratio 10^6 / 10^3 (target <= 3)", large[1] / small[1], "x")
