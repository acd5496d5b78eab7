"""IBM Quantum Platform played over HTTP for the real ``qiskit_ibm_runtime`` client.

One dispatching ``responses`` callback answers the IAM token exchange, the instance search
(Global Search and Global Catalog), the Runtime API's backend listing, configuration,
properties and status (the calibration snapshot ``FakeBrisbane`` ships, as the service would
send it) and the job endpoints. A job is created ``Queued`` and moves on only when a test
sets its ``status`` (the SDK reads a job more than once per status check). A completed job's
result holds the noiseless samples of each circuit it received, one execution span of
``SPAN_SECONDS``, and ``QUANTUM_SECONDS`` of usage in its metrics, ``CHARGED_SECONDS`` of
them billed.

Jobs of the ``executor`` program (what the client-side ``Sampler`` submits) take a quantum
program (``ibm_quantum_schemas.executor`` params) and answer a quantum program result of the
same schema version: per item, the classical registers as boolean arrays of shape
``(shots, bits)`` (bit ``i`` in column ``i``), the chunk timing as the execution span, and the
program's passthrough data and semantic role echoed back, as the service does. Jobs of the
legacy ``sampler`` program (``legacy_job``) keep the ``SamplerV2`` shapes: pubs in, a
``PrimitiveResult`` with execution spans out.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import responses
from ibm_quantum_schemas.common import CompressedTensorModel
from ibm_quantum_schemas.executor import version_2_0 as executor_schema
from qiskit import QuantumCircuit
from qiskit.primitives import BitArray, DataBin, PrimitiveResult, SamplerPubResult
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import RuntimeDecoder, RuntimeEncoder
from qiskit_ibm_runtime.execution_span import DoubleSliceSpan, ExecutionSpans
from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS
from requests import PreparedRequest

TOKEN = "played-api-key"
CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/0123456789abcdef:bench-instance::"
CREDENTIALS = {"QISKIT_IBM_TOKEN": TOKEN, "QISKIT_IBM_INSTANCE": CRN}
RUNTIME = "https://quantum.cloud.ibm.com/api/v1"
DEVICE = "ibm_brisbane"
SPAN_SECONDS = 1.375
QUANTUM_SECONDS = 2.0
CHARGED_SECONDS = 2.25
STARTED = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PLAN_ID = "played-plan"
EXECUTOR = "executor"
LEGACY_SAMPLER = "sampler"
FAKE_FILES = "qiskit_ibm_runtime.fake_provider.backends.brisbane"

Reply = tuple[int, dict[str, str], str]


def _json(payload: Any, status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(payload)


def _error(status: int, message: str) -> Reply:
    return _json({"errors": [{"message": message, "code": status}]}, status)


def _access_token() -> str:
    issued = int(time.time())
    return jwt.encode({"iat": issued, "exp": issued + 3600, "sub": "played"}, "k" * 32)


def _fake_file(name: str) -> str:
    return resources.files(FAKE_FILES).joinpath(name).read_text("utf-8")


def _in_utc(data: Any) -> Any:
    """The snapshot's dates as the service sends them: UTC (the SDK reads them so)."""
    if isinstance(data, dict):
        return {
            key: datetime.fromisoformat(value).astimezone(UTC).isoformat()
            if key in ("date", "last_update_date")
            else _in_utc(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_in_utc(item) for item in data]
    return data


def _counts(circuit: QuantumCircuit, shots: int) -> BitArray:
    """The circuit sampled without noise (Aer's matrix-product-state method, which pays
    nothing for the device's idle qubits); one classical register, as the executor sends."""
    [register] = circuit.cregs
    counts = (
        AerSimulator(method="matrix_product_state", seed_simulator=shots)
        .run(circuit, shots=shots)
        .result()
        .get_counts()
    )
    return BitArray.from_counts(dict(counts), num_bits=register.size)


@dataclass
class PlayedJob:
    id: str
    backend: str
    tags: list[str]
    params: dict[str, Any]
    program: str = EXECUTOR
    status: str = "Queued"

    def summary(self, with_params: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "backend": self.backend,
            "state": {"status": self.status},
            "program": {"id": self.program},
            "created": STARTED.isoformat(),
            "tags": self.tags,
        }
        if with_params:
            data["params"] = self.params
        return data

    def circuits(self) -> list[QuantumCircuit]:
        """The circuits the job received, decoded as the service would."""
        if self.program == LEGACY_SAMPLER:
            pubs = json.loads(json.dumps(self.params), cls=RuntimeDecoder)["pubs"]
            return [pub[0] for pub in pubs]
        converter = QUANTUM_PROGRAM_PARAMS_CONVERTERS[self.params["schema_version"]]
        program, _ = converter.decoder(converter.model.model_validate(self.params))
        return [item.circuit for item in program.items]

    def result(self, spans: bool) -> str:
        if self.program == LEGACY_SAMPLER:
            return self._legacy_result(spans)
        received = executor_schema.ParamsModel.model_validate(self.params).quantum_program
        circuits = received.circuits.to_python()
        items = [
            executor_schema.QuantumProgramResultItemModel(
                results={
                    register.name: CompressedTensorModel.from_numpy(
                        _counts(circuit, received.shots).to_bool_array(order="little")
                    )
                    for register in circuit.cregs
                },
                metadata=executor_schema.ItemMetadataModel(),
            )
            for circuit in circuits
        ]
        chunks = [
            executor_schema.ChunkSpan(
                start=STARTED,
                stop=STARTED + timedelta(seconds=SPAN_SECONDS),
                parts=[
                    executor_schema.ChunkPart(
                        idx_item=index, size=1, permutation=[], element_range=(0, 1, 1)
                    )
                    for index in range(len(items))
                ],
            )
        ]
        result = executor_schema.QuantumProgramResultModel(
            data=items,
            metadata=executor_schema.MetadataModel(chunk_timing=chunks if spans else []),
            passthrough_data=self.params["quantum_program"].get("passthrough_data"),
            semantic_role=received.semantic_role,
        )
        return result.model_dump_json()

    def _legacy_result(self, spans: bool) -> str:
        pubs = json.loads(json.dumps(self.params), cls=RuntimeDecoder)["pubs"]
        span = DoubleSliceSpan(
            STARTED,
            STARTED + timedelta(seconds=SPAN_SECONDS),
            {i: ((shots,), slice(0, shots), slice(0, circuit.num_clbits))
             for i, (circuit, _, shots) in enumerate(pubs)},
        )  # fmt: skip
        execution = {"execution_spans": ExecutionSpans([span])} if spans else {}
        result = PrimitiveResult(
            [SamplerPubResult(DataBin(meas=_counts(circuit, shots)),
                              metadata={"circuit_metadata": {}})
             for circuit, _, shots in pubs],
            metadata={"execution": execution, "version": 2},
        )  # fmt: skip
        return json.dumps(result, cls=RuntimeEncoder)


@dataclass
class PlayedIBM:
    """The service's state; ``failures`` answers matching requests with an HTTP status (or
    raises the exception given) before the service is consulted."""

    spans: bool = True
    """Whether results carry execution spans (else only the metrics time the job)."""
    jobs: dict[str, PlayedJob] = field(default_factory=dict)
    created: int = 0
    failures: dict[str, int | Exception] = field(default_factory=dict)
    """Pattern on ``METHOD path`` → HTTP status or exception."""

    def __call__(self, request: PreparedRequest) -> Reply:
        url = urlsplit(str(request.url))
        line = f"{request.method} {url.path}"
        for pattern, failure in self.failures.items():
            if re.fullmatch(pattern, line):
                if isinstance(failure, Exception):
                    raise failure
                return _error(failure, f"Played failure {failure} on {line}")
        return self._answer(request, url.netloc, line, parse_qs(url.query))

    def _answer(
        self, request: PreparedRequest, host: str, line: str, query: dict[str, list[str]]
    ) -> Reply:
        if host == "iam.cloud.ibm.com":
            token = _access_token()
            return _json({"access_token": token, "refresh_token": "r", "token_type": "Bearer",
                          "expires_in": 3600, "expiration": int(time.time()) + 3600})  # fmt: skip
        if host == "api.global-search-tagging.cloud.ibm.com":
            return _json({"items": [{
                "crn": CRN, "name": "bench-instance", "service_plan_unique_id": PLAN_ID,
                "tags": [], "doc": {"extensions": {"allocation": "played"}},
            }]})  # fmt: skip
        if host == "globalcatalog.cloud.ibm.com":
            return _json({"overview_ui": {"en": {"display_name": "Standard"}},
                          "metadata": {"pricing": {"type": "paid"}}})  # fmt: skip
        return self._runtime(request, line, query)

    def _runtime(self, request: PreparedRequest, line: str, query: dict[str, list[str]]) -> Reply:
        method, path = line.split(" ", 1)
        parts = path.removeprefix("/api/v1/").split("/")
        if parts == ["instances", "usage"]:
            return _json({"usage_consumed_seconds": 120, "usage_limit_seconds": 36000,
                          "usage_limit_reached": False})  # fmt: skip
        if parts == ["backends"]:
            return _json({"devices": [{"name": DEVICE, "class": "device"}]})
        if parts[0] == "backends" and parts[1] != DEVICE:
            return _error(404, f"Backend {parts[1]} not found")
        if parts[0] == "backends" and parts[2] == "configuration":
            return 200, {"Content-Type": "application/json"}, _fake_file("conf_brisbane.json")
        if parts[0] == "backends" and parts[2] == "properties":
            return _json(_in_utc(json.loads(_fake_file("props_brisbane.json"))))
        if parts[0] == "backends" and parts[2] == "status":
            return _json({"state": True, "status": "active", "length_queue": 7})
        if line == "POST /api/v1/jobs":
            body = request.body if isinstance(request.body, str | bytes) else "{}"
            return self._create(json.loads(body))
        if line == "GET /api/v1/jobs":
            wanted = set(query.get("tags", []))
            found = [j.summary(False) for j in self.jobs.values() if wanted <= set(j.tags)]
            limit = int(query.get("limit", ["20"])[0])
            return _json({"jobs": found[:limit], "count": len(found)})
        job = self.jobs.get(parts[1]) if parts[0] == "jobs" else None
        if job is None:
            return _error(404, f"Not found: {path}")
        return self._job(job, method, parts[2:], query)

    def _create(self, body: dict[str, Any]) -> Reply:
        self.created += 1
        job = PlayedJob(
            id=uuid.uuid4().hex[:20],
            backend=body["backend"],
            tags=body.get("tags", []),
            params=body["params"],
            program=body["program_id"],
        )
        self.jobs[job.id] = job
        return _json({"id": job.id, "backend": job.backend})

    def _job(
        self, job: PlayedJob, method: str, rest: list[str], query: dict[str, list[str]]
    ) -> Reply:
        if not rest:
            return _json(job.summary(query.get("exclude_params") != ["true"]))
        if rest == ["results"] and job.status == "Completed":
            return 200, {"Content-Type": "text/plain"}, job.result(self.spans)
        if rest == ["results"]:
            return 200, {"Content-Type": "text/plain"}, f"Played job {job.status.lower()}"
        if rest == ["metrics"]:
            return _json({"usage": {"quantum_seconds": QUANTUM_SECONDS, "seconds": 3.0,
                                    "qpu_charge_time_seconds": CHARGED_SECONDS,
                                    "status": "complete"}})  # fmt: skip
        if rest == ["cancel"] and method == "POST":
            job.status = "Cancelled"
            return 204, {}, ""
        return _error(404, f"Not found: {method} {rest}")

    def legacy_job(self, circuits: list[QuantumCircuit], shots: int, tags: list[str]) -> PlayedJob:
        """A job of the ``sampler`` program, as the server-side ``SamplerV2`` submitted it
        (before the move to the executor), with the params JSON it sent."""
        pubs = [(circuit, None, shots) for circuit in circuits]
        params = {"pubs": pubs, "version": 2, "support_qiskit": True}
        job = PlayedJob(
            id=uuid.uuid4().hex[:20],
            backend=DEVICE,
            tags=tags,
            params=json.loads(json.dumps(params, cls=RuntimeEncoder)),
            program=LEGACY_SAMPLER,
        )
        self.jobs[job.id] = job
        return job

    def play(self, mock: responses.RequestsMock) -> None:
        """Route every request of ``mock`` here."""
        for method in ("GET", "POST", "DELETE", "PUT", "PATCH"):
            mock.add_callback(method, re.compile(r"https://.*"), callback=self)
