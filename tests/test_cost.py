"""What a run will cost, before and after: ``POST /run``'s ``estimated_cost`` against prices
worked out by hand from the published tables, the same counts as what the played services
receive (and, for Azure, bill), and budgets (``max_cost``, the tenant's) refusing a run
before anything of it is recorded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import responses
from api_fixtures import API, KEY_A, A, B, Served, serve
from botocore.stub import ANY, Stubber
from flask.testing import FlaskClient
from ibm_quantum_schemas.executor import version_2_0 as executor_schema
from played_azure import CONNECTION_STRING, PlayedAzure, played_azure
from played_ibm import CREDENTIALS as IBM_CREDENTIALS
from played_ibm import PlayedIBM
from qiskit import QuantumCircuit, qasm2

from bench_api import platform
from bench_api.app import create_app
from bench_common.catalogue import CATALOGUE, WorkloadSpec
from bench_common.circuit_loads import CircuitLoad
from bench_common.evidence import verify_report
from bench_common.metrics import analyse_mirror, mirror_statistics
from bench_common.pricing import Budgets
from bench_common.redis_server import RedisServer
from bench_common.reporting import assemble_report, environment_info
from bench_common.runtime import Runtime
from bench_common.settings import Settings
from bench_common.store import Run, RunFilter, SQLiteStore
from bench_common.timeutil import format_time, now
from bench_common.workload_types import WorkloadType
from bench_sdk import QCOSClient
from bench_sdk.errors import ValidationError
from bench_workers import simulator, workloads
from bench_workers.executors.azure import AzureExecutor
from bench_workers.executors.base import JobSpec
from bench_workers.executors.braket import AwsTasks, BraketExecutor
from bench_workers.executors.ibm import IBMExecutor

FORTE = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1"
BRAKET_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "BENCH_BRAKET_S3_BUCKET": "amazon-braket-qcos-bench-test",
}
AZURE_CREDENTIALS = {"AZURE_QUANTUM_CONNECTION_STRING": CONNECTION_STRING}
CREDENTIALS = BRAKET_CREDENTIALS | AZURE_CREDENTIALS | IBM_CREDENTIALS

# By hand, from the published prices (bench_common/providers.py) and the circuits each
# workload runs: Bell 3 (population, XX, YY), GHZ-5 17 (population and 16 settings).
FORTE_BELL_GHZ5_100 = 20 * 0.30 + 20 * 100 * 0.08  # 20 tasks, 2000 shots: USD 166.00
GARNET_GHZ5_1000 = 17 * 0.30 + 17 * 1000 * 0.00145  # USD 29.75
FORTE_GHZ5_100 = 17 * 0.30 + 17 * 100 * 0.08  # USD 141.10
# Bell on H2, one job per circuit at C = 100: H and CX in each, then nothing (ZZ), H on both
# (XX) or S†·H on both (YY); Nm = 4 (two preparations, two measurements):
# ZZ 5 + 100·(1 + 10 + 20)/5000 = 5.62, XX 5 + 100·(3 + 10 + 20)/5000 = 5.66,
# YY 5 + 100·(5 + 10 + 20)/5000 = 5.70 HQC, at USD 13.50 an HQC.
H2_BELL_HQC = 5.62 + 5.66 + 5.70
H2_BELL_100 = H2_BELL_HQC * 13.50  # USD 229.23
# Two Sampler jobs of 4.1 s each, and 20 circuits × 1024 shots × 250 µs, at USD 1.60 a second.
BRISBANE_BELL_GHZ5_1024 = (2 * 4.1 + 20 * 1024 * 250e-6) * 1.60  # 13.32 s: USD 21.312


def client_of(settings: Settings, **changes: Any) -> FlaskClient:
    return create_app(replace(settings, **changes)).test_client()


@pytest.fixture
def live(api_settings: Settings) -> FlaskClient:
    """The API with every provider's credentials: its Braket, Azure and IBM runs are
    hardware runs (queued on a broker nobody consumes)."""
    return client_of(api_settings, provider_env=CREDENTIALS)


def post_run(client: FlaskClient, body: dict[str, Any], headers: dict[str, str] = A) -> Any:
    return client.post(f"{API}/run", headers=headers, json=body)


def accepted_cost(client: FlaskClient, body: dict[str, Any]) -> tuple[Run, dict[str, Any]]:
    """The recorded run of an accepted request, and the answer's ``estimated_cost``."""
    answer = post_run(client, body)
    assert answer.status_code == 202, answer.json
    run = platform.of(client.application).runtime.store.get_run(answer.json["benchmark_id"])
    assert run is not None and run.execution_mode == "hardware"
    cost: dict[str, Any] = answer.json["estimated_cost"]
    assert set(cost) == {"currency", "amount", "basis"} and cost["currency"] == "USD"
    return run, cost


def refusal(answer: Any) -> str:
    """The message of a budget refusal, which must be a 400 VALIDATION_ERROR on max_cost."""
    assert answer.status_code == 400, answer.json
    assert answer.json["code"] == "VALIDATION_ERROR"
    assert list(answer.json["details"]) == ["max_cost"]
    message: str = answer.json["message"]
    return message


def runs_of(client: FlaskClient, tenant_id: str) -> list[Any]:
    store = platform.of(client.application).runtime.store
    return store.list_runs(RunFilter(tenant_id=tenant_id, limit=10))


@pytest.mark.parametrize(
    ("backend_id", "workload_ids", "shots", "amount", "quoted"),
    [
        ("ionq_forte", ["bell_state", "ghz_5q"], 100, FORTE_BELL_GHZ5_100,
         ["20 tasks", "2000 shots × USD 0.08", FORTE, "aws.amazon.com/braket/pricing"]),
        ("iqm_garnet", ["ghz_5q"], 1000, GARNET_GHZ5_1000,
         ["17 tasks", "17000 shots × USD 0.00145", "iqm/Garnet"]),
        ("quantinuum_h2", ["bell_state"], 100, H2_BELL_100,
         ["16.9800 HQC × USD 13.5", "over 3 jobs", "N1q = 9, N2q = 3 and Nm = 12",
          "learn.microsoft.com/en-us/azure/quantum/pricing", "not confirmed"]),
        ("ibm_brisbane", ["bell_state", "ghz_5q"], 1024, BRISBANE_BELL_GHZ5_1024,
         ["13.320 s", "2 jobs × 4.1 s + 20 circuits × 1024 shots × 250 µs",
          "ibm.com/quantum/pricing", "not confirmed"]),
    ],
    ids=["braket-ionq-forte", "braket-iqm-garnet", "azure-quantinuum-h2", "ibm-brisbane"],
)  # fmt: skip
def test_a_hardware_run_is_priced_as_by_hand_from_the_published_prices(
    live: FlaskClient, backend_id: str, workload_ids: list[str], shots: int, amount: float,
    quoted: list[str],
) -> None:  # fmt: skip
    request = {"backend_id": backend_id, "workloads": workload_ids, "shots": shots}
    _, cost = accepted_cost(live, request)
    assert cost["amount"] == pytest.approx(amount, rel=1e-9)
    for text in quoted:
        assert text in cost["basis"], cost["basis"]
    assert "At most" not in cost["basis"] and "averaged" not in cost["basis"]


def test_drawn_circuits_are_priced_by_their_expected_gates(live: FlaskClient) -> None:
    """GHZ-10 draws 16 of its 512 settings: on average half the letters are Y (S†·H), so
    each setting changes the basis with 15 gates; the mirror circuits' Paulis and CX are
    drawn too."""
    _, cost = accepted_cost(live, {"backend_id": "quantinuum_h2", "workloads": ["ghz_10q"],
                                   "shots": 200})  # fmt: skip
    one, two, spam = 17 + 16 * 15, 17 * 9, 2 * 17 * 10
    hqc = 5 * 17 + 200 * (one + 10 * two + 5 * spam) / 5000
    assert cost["amount"] == pytest.approx(hqc * 13.5, rel=1e-9)
    assert "averaged over the circuits drawn" in cost["basis"]


def test_simulated_runs_have_no_estimated_cost(client: FlaskClient) -> None:
    for backend_id in ("ionq_forte", "quantinuum_h2", "ibm_brisbane", "simulator"):
        answer = post_run(client, {"backend_id": backend_id, "max_cost": 0})
        assert answer.status_code == 202, answer.json
        assert answer.json["estimated_cost"] is None  # nothing is billed, nor held to max_cost
        assert answer.json["warning"].startswith("DEV MODE")


def test_max_cost_refuses_a_run_and_records_nothing(live: FlaskClient) -> None:
    request = {"backend_id": "ionq_forte", "workloads": ["ghz_5q"], "shots": 100}
    message = refusal(post_run(live, request | {"max_cost": 100}))
    assert "USD 100.00 (max_cost) is exceeded: the estimated cost is USD 141.10" in message
    assert "17 tasks" in message  # and how the estimate was reached
    assert runs_of(live, "tenant-a") == []
    _, cost = accepted_cost(live, request | {"max_cost": 141.2})
    assert cost["amount"] == pytest.approx(FORTE_GHZ5_100)


@pytest.mark.parametrize("bad", [-0.01, "10", True, None, [], {"usd": 1}])
def test_max_cost_must_be_a_number_at_least_zero(live: FlaskClient, bad: object) -> None:
    answer = post_run(live, {"backend_id": "ionq_forte", "max_cost": bad})
    if bad is None:  # JSON null: no budget asked for
        assert answer.status_code == 202, answer.json
        return
    assert answer.status_code == 400 and answer.json["code"] == "VALIDATION_ERROR"
    assert "max_cost" in answer.json["details"]


def test_a_campaign_over_budget_on_one_backend_records_nothing(live: FlaskClient) -> None:
    """Garnet's run costs USD 7.57, Forte's USD 141.10: with max_cost 50 the campaign is
    refused, and neither run nor the campaign stays."""
    body = {"backend_ids": ["iqm_garnet", "ionq_forte"], "workloads": ["ghz_5q"],
            "shots": 100, "max_cost": 50}  # fmt: skip
    message = refusal(live.post(f"{API}/campaigns", headers=A, json=body))
    assert "USD 141.10" in message
    assert runs_of(live, "tenant-a") == []
    assert live.get(f"{API}/campaigns", headers=A).json["campaigns"] == []


def test_the_tenant_s_budget_applies_and_max_cost_can_only_lower_it(
    api_settings: Settings,
) -> None:
    client = client_of(api_settings, provider_env=CREDENTIALS,
                       run_budgets="tenant-a:150, *:20")  # fmt: skip
    request = {"backend_id": "ionq_forte", "workloads": ["ghz_5q"], "shots": 100}
    _, cost = accepted_cost(client, request)  # USD 141.10 within tenant-a's USD 150
    assert cost["amount"] == pytest.approx(FORTE_GHZ5_100)
    assert "USD 100.00 (max_cost)" in refusal(post_run(client, request | {"max_cost": 100}))
    for asked in ({}, {"max_cost": 1000}):  # tenant-b falls under "*"
        message = refusal(post_run(client, request | asked, B))
        assert "USD 20.00 (the tenant's budget) is exceeded" in message
    assert runs_of(client, "tenant-b") == []
    cheap = post_run(client, {"backend_id": "iqm_garnet", "workloads": ["bell_state"],
                              "shots": 100}, B)  # fmt: skip
    assert cheap.status_code == 202  # 3 × 0.30 + 300 × 0.00145 = USD 1.335
    assert cheap.json["estimated_cost"]["amount"] == pytest.approx(1.335)


@pytest.mark.parametrize(
    "text", ["tenant-a", "tenant-a:lots", ":5", "tenant-a:-1", "tenant-a:nan", "a:1,a:2"]
)
def test_a_malformed_budget_setting_stops_the_start(api_settings: Settings, text: str) -> None:
    with pytest.raises(ValueError, match="BENCH_RUN_BUDGETS"):
        Budgets.parse(text)
    with pytest.raises(ValueError, match="BENCH_RUN_BUDGETS"):
        create_app(replace(api_settings, run_budgets=text))


def toy_type(name: str, **fields: Any) -> WorkloadType:
    return WorkloadType(name, ".workloads:mirror_circuit", mirror_statistics, analyse_mirror,
                        **fields)  # fmt: skip


def test_a_run_that_cannot_be_priced_says_why_and_no_budget_admits_it(
    api_settings: Settings,
) -> None:
    catalogue = CATALOGUE.extended(
        workload_types=[
            toy_type("DECIDED", circuits=lambda spec: None),
            toy_type("BOUNDED", circuits=lambda spec: None,
                     load=lambda spec, backend: CircuitLoad(backend.qubits, upper_bound=True)),
            toy_type("UNGATED"),
        ],
        workloads=[WorkloadSpec("decided", "DECIDED", "The device decides", 2),
                   WorkloadSpec("bounded", "BOUNDED", "At most one per qubit", 2),
                   WorkloadSpec("ungated", "UNGATED", "One circuit, gates unstated", 2)],
    )  # fmt: skip
    settings = replace(api_settings, provider_env=CREDENTIALS)
    client = create_app(settings, runtime=Runtime(settings, catalogue)).test_client()

    _, cost = accepted_cost(client, {"backend_id": "ionq_forte", "workloads": ["decided"]})
    assert cost["amount"] is None and "decided" in cost["basis"]
    message = refusal(post_run(client, {"backend_id": "ionq_forte", "workloads": ["decided"],
                                        "max_cost": 1e6}))  # fmt: skip
    assert "cannot be held to: the run cannot be priced" in message
    # Bounded by the device's width: at most 36 tasks of 10 shots on Forte.
    _, cost = accepted_cost(client, {"backend_id": "ionq_forte", "workloads": ["bounded"],
                                     "shots": 10})  # fmt: skip
    assert cost["amount"] == pytest.approx(36 * 0.30 + 360 * 0.08)
    assert cost["basis"].startswith("At most: the device decides how many circuits bounded")
    # Priced by its circuit count on Braket, but HQCs need gate counts it does not state.
    _, cost = accepted_cost(client, {"backend_id": "ionq_forte", "workloads": ["ungated"]})
    assert cost["amount"] == pytest.approx(0.30 + 1024 * 0.08)
    _, cost = accepted_cost(client, {"backend_id": "quantinuum_h2", "workloads": ["ungated"]})
    assert cost["amount"] is None and "gate counts" in cost["basis"]


def logical_gates(circuit: QuantumCircuit) -> tuple[int, int, int]:
    """Single-qubit gates, two-qubit gates and measurements, as Qiskit's circuit holds them
    (barriers are not gates)."""
    one = two = measured = 0
    for instruction in circuit.data:
        name, width = instruction.operation.name, len(instruction.qubits)
        measured += name == "measure"
        one += name not in ("measure", "barrier") and width == 1
        two += name != "barrier" and width == 2
    return one, two, measured


def test_every_type_s_load_is_what_its_builder_builds() -> None:
    """The numpy-free loads against the circuits the workers build (real Qiskit circuits):
    exact where the circuits are fixed, else the mean over 8 seeds within 4 of its
    standard errors."""
    checked = set()
    for spec in CATALOGUE.workloads.values():
        kind = CATALOGUE.type_of(spec)
        if kind.load is None:
            continue
        backend = CATALOGUE.backends["ibm_fez"]
        load = kind.load(spec, backend)
        assert load.gates is not None and not load.upper_bound
        assert load.circuits == kind.circuits(spec), spec.id
        counts = []
        for seed in range(8 if load.gates.mean else 1):
            built = workloads.build(spec, kind, np.random.default_rng(seed), backend)
            assert len(built) == load.circuits
            counts.append(np.sum([logical_gates(c.logical()) for c in built], axis=0))
        drawn = np.array(counts, dtype=float)
        expected = [load.gates.one_qubit, load.gates.two_qubit, load.gates.measurements]
        if load.gates.mean:
            error = drawn.std(axis=0, ddof=1) / np.sqrt(len(drawn))
            assert np.all(np.abs(drawn.mean(axis=0) - expected) <= 4 * error + 1e-9), spec.id
            assert drawn.std(axis=0)[0] > 0, spec.id  # the draw does vary the gates
        else:
            assert drawn[0].tolist() == expected, spec.id
        checked.add(kind.name)
    assert checked >= {"BELL_STATE", "GHZ_SCALING", "DEPTH_STRESS", "MIRROR", "CHSH"}


def test_braket_is_sent_the_tasks_and_shots_that_were_priced(live: FlaskClient) -> None:
    """Every CreateQuantumTask the estimate counted, on Forte with the request's shots: one
    more or one fewer fails the stubbed Braket API."""
    run, cost = accepted_cost(live, {"backend_id": "ionq_forte", "shots": 100,
                                     "workloads": ["bell_state", "ghz_5q"]})  # fmt: skip
    executor = BraketExecutor(BRAKET_CREDENTIALS)
    assert isinstance(executor.tasks, AwsTasks)
    expected = {"clientToken": ANY, "deviceArn": FORTE, "shots": 100, "outputS3Bucket": ANY,
                "outputS3KeyPrefix": ANY, "action": ANY}  # fmt: skip
    with Stubber(executor.tasks.braket_client("us-east-1")) as stub:
        for index in range(20):
            arn = f"arn:aws:braket:us-east-1:123456789012:quantum-task/task-{index}"
            stub.add_response("create_quantum_task", {"quantumTaskArn": arn}, expected)
        for workload_id in run.workloads:
            executor.submit(JobSpec.of(workload_id, run.backend_id, run.shots, run.seed,
                                       run_id=run.id))  # fmt: skip
        stub.assert_no_pending_responses()
    assert cost["amount"] == pytest.approx(20 * 0.30 + 20 * 100 * 0.08)


def received_hqc(qasm: bytes, shots: int) -> float:
    """The HQCs of a job as Quantinuum counts them, from the OpenQASM the job received."""
    one, two, measured = logical_gates(qasm2.loads(qasm.decode()))
    return 5 + shots * (one + 10 * two + 5 * 2 * measured) / 5000


@pytest.fixture
def azure(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlayedAzure]:
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    with played_azure() as played:
        yield played


def test_quantinuum_receives_the_gates_priced_and_bills_what_was_estimated(
    live: FlaskClient, azure: PlayedAzure, tmp_path: Path
) -> None:
    """The HQCs of the circuits the played workspace receives (counted from its input blobs)
    are the estimate's; it bills each job those HQCs, and the signed report says so."""
    run, cost = accepted_cost(live, {"backend_id": "quantinuum_h2", "workloads": ["bell_state"],
                                     "shots": 100})  # fmt: skip
    executor = AzureExecutor(AZURE_CREDENTIALS)
    job = JobSpec.of("bell_state", run.backend_id, run.shots, run.seed, run_id=run.id)
    job_ids = executor.submit(job).split(",")
    hqc = {job_id: received_hqc(azure.input_of(job_id)[0], run.shots) for job_id in job_ids}
    assert sum(hqc.values()) == pytest.approx(H2_BELL_HQC)
    assert cost["amount"] == pytest.approx(sum(hqc.values()) * 13.5)
    for job_id in job_ids:
        per_shot = {"meas": ["00"] * 50 + ["11"] * 50}
        event = {"dimensionId": "hqc", "dimensionName": "HQC", "measureUnit": "hqc",
                 "amountBilled": hqc[job_id], "amountConsumed": hqc[job_id],
                 "unitPrice": 13.5}  # fmt: skip
        billed = {"currencyCode": "USD", "estimatedTotal": hqc[job_id] * 13.5,
                  "events": [event]}  # fmt: skip
        azure.succeed(job_id, per_shot, billed)
    result = executor.result(job, ",".join(job_ids))

    here = platform.of(live.application)
    report, _ = assemble_report(run, [result], environment_info(), format_time(now()),
                                here.runtime.keys.signer)  # fmt: skip
    assert verify_report(report, here.runtime.keys.public_keyring()).status == "valid"
    [row] = report["workloads"]
    assert row["metrics"]["circuits"] == 3 and row["metrics"]["total_shots"] == 300
    assert row["billed_usage"]["usage"] == [{"unit": "hqc", "quantity": pytest.approx(16.98)}]
    assert row["billed_usage"]["amount"] == pytest.approx(cost["amount"])
    assert row["billed_usage"]["currency"] == "USD"


def test_ibm_receives_the_circuits_and_shots_priced(live: FlaskClient) -> None:
    run, cost = accepted_cost(live, {"backend_id": "ibm_brisbane", "shots": 1024,
                                     "workloads": ["bell_state", "ghz_5q"]})  # fmt: skip
    played = PlayedIBM()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        played.play(mock)
        executor = IBMExecutor(IBM_CREDENTIALS)
        for workload_id in run.workloads:
            executor.submit(JobSpec.of(workload_id, run.backend_id, run.shots, run.seed,
                                       run_id=run.id))  # fmt: skip
    received = [len(job.circuits()) for job in played.jobs.values()]
    shots = {executor_schema.ParamsModel.model_validate(job.params).quantum_program.shots
             for job in played.jobs.values()}  # fmt: skip
    assert (sorted(received), shots) == ([3, 17], {1024})
    seconds = len(received) * 4.1 + sum(received) * 1024 * 250e-6
    assert cost["amount"] == pytest.approx(seconds * 96 / 60)


def test_a_simulated_row_carries_no_billed_usage() -> None:
    result = simulator.execute(JobSpec.of("bell_state", "ibm_brisbane", 200, 3))
    assert result.billed_usage is None and "billed_usage" not in result.report_entry()


@pytest.fixture
def budget_server(tmp_path: Path) -> Iterator[Served]:
    """``bench serve`` with Braket credentials (its Forte runs are hardware runs), a budget
    for tenant-b only, and a broker nobody consumes: accepted runs stay queued."""
    with RedisServer(tmp_path / "redis") as redis:
        served = serve(tmp_path / "served", BENCH_BROKER_URL=redis.url,
                       BENCH_RUN_BUDGETS="tenant-b:5", **BRAKET_CREDENTIALS)  # fmt: skip
        yield next(served)
        served.close()


def test_budgets_refuse_over_http_and_nothing_is_recorded(budget_server: Served) -> None:
    server = budget_server
    request = {"backend_id": "ionq_forte", "workloads": ["ghz_5q"], "shots": 100}
    for headers, body, whose in ((A, request | {"max_cost": 10}, "USD 10.00 (max_cost)"),
                                 (B, request, "USD 5.00 (the tenant's budget)")):  # fmt: skip
        answer = server.post(f"{API}/run", headers=headers, json=body)
        assert answer.status_code == 400, answer.text
        assert answer.headers["Content-Type"] == "application/json"
        refused = answer.json()
        assert refused["code"] == "VALIDATION_ERROR"
        assert f"{whose} is exceeded: the estimated cost is USD 141.10" in refused["message"]
        assert refused["request_id"] == answer.headers["X-Request-ID"]
        listed = server.get(f"{API}/runs", headers=headers)
        assert listed.status_code == 200 and listed.json()["runs"] == []
    bench = QCOSClient(server.url, KEY_A).bench
    with pytest.raises(ValidationError, match=r"USD 141\.10"):
        bench.run("ionq_forte", ["ghz_5q"], shots=100, max_cost=141)
    accepted = bench.run("ionq_forte", ["ghz_5q"], shots=100, max_cost=200)
    assert accepted.estimated_cost is not None
    assert accepted.estimated_cost["amount"] == pytest.approx(FORTE_GHZ5_100)
    listed = server.get(f"{API}/runs", headers=A).json()["runs"]
    assert [r["benchmark_id"] for r in listed] == [accepted.id]
    document = server.get(f"{API}/openapi.json").json()["components"]["schemas"]
    assert "max_cost" in document["RunRequest"]["properties"]
    assert "estimated_cost" in document["RunAccepted"]["properties"]
    store = SQLiteStore(server.data_dir / "bench.sqlite3")
    assert [run.id for run in store.active_runs()] == [accepted.id]
