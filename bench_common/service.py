"""Accepting a benchmark run, for the API, ``bench run`` and the scheduler alike: validate,
place, price, record, hand to a dispatcher, estimate.

Nothing here knows Celery: the dispatcher is a small protocol (``BrokerDispatcher`` sends
the run to the workers by task name; ``bench run`` executes in its own process). Every
refusal is a ``BenchError`` whose code the edge turns into an HTTP status or an exit code.
"""

from __future__ import annotations

import math
import secrets
import statistics
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, TypedDict

from bench_common.catalogue import BackendSpec, Catalogue
from bench_common.circuit_loads import CircuitLoad, load_of
from bench_common.documents import Thresholds
from bench_common.errors import BenchError, ErrorCode
from bench_common.placement import placement
from bench_common.pricing import Budgets, EstimatedCost, unpriced
from bench_common.settings import Settings
from bench_common.store import Run, Store
from bench_common.timeutil import format_time, now

MAX_SHOTS = 100_000
MAX_SEED = 2**53 - 1
DEFAULT_SHOTS = 1024
DEV_MODE_WARNING = "DEV MODE: Using SimulatorExecutor. Results are simulated."
FALLBACK_SECONDS_PER_WORKLOAD = 2.0


class DispatchError(Exception):
    """The run could not be handed over (broker down); nothing of it may stay recorded."""


class Dispatcher(Protocol):
    def dispatch(self, run: Run) -> None:
        """Hand a recorded run to whatever executes it; raise ``DispatchError`` if it
        cannot be handed over."""
        ...


class RunRequest(TypedDict, total=False):
    """A ``POST /run`` body (after schema validation) or a scheduled run's request."""

    backend_id: str
    workloads: list[str] | None
    shots: int
    seed: int | None
    thresholds: Thresholds | None
    max_cost: float | None
    """USD: a hardware run estimated to cost more is refused (so is one that cannot be
    priced); it can only lower the tenant's budget."""
    campaign_id: str
    """Set by the campaign service, never by a client (the API schema has no such field)."""
    schedule: str
    """Set by the scheduler: the schedule's name, so the run's figures are watched for drift."""


class Accepted(TypedDict):
    """The ``POST /run`` answer."""

    benchmark_id: str
    status: str
    estimated_time_seconds: float
    message: str
    warning: str | None
    estimated_cost: EstimatedCost | None


@dataclass(frozen=True)
class Submission:
    run: Run
    estimated_time_seconds: float
    warning: str | None
    estimated_cost: EstimatedCost | None

    def to_json(self) -> Accepted:
        return {
            "benchmark_id": self.run.id,
            "status": "queued",
            "estimated_time_seconds": self.estimated_time_seconds,
            "message": f"Benchmark {self.run.id} queued for execution on {self.run.backend_id}",
            "warning": self.warning,
            "estimated_cost": self.estimated_cost,
        }


def _invalid(field: str, problem: str) -> BenchError:
    return BenchError(ErrorCode.VALIDATION_ERROR, f"{field} {problem}", {field: [problem]})


@dataclass(frozen=True)
class Checked:
    """A request that passed every check, with its defaults filled in."""

    backend: BackendSpec
    workloads: list[str]
    shots: int
    seed: int
    thresholds: Thresholds | None
    max_cost: float | None


def check_thresholds(thresholds: Thresholds | None, workloads: list[str]) -> None:
    """Thresholds may name only workloads of the request, each a fidelity in [0, 1]."""
    for workload_id, threshold in (thresholds or {}).items():
        if workload_id not in workloads:
            raise _invalid("thresholds", f"names {workload_id!r}, which the request does not run")
        if not 0.0 <= threshold["min_fidelity"] <= 1.0:
            raise _invalid("thresholds", f"min_fidelity of {workload_id!r} must be in [0, 1]")


def check_request(catalogue: Catalogue, request: RunRequest) -> Checked:
    """The request with defaults filled in (a seed drawn when absent), or a ``BenchError``
    naming what is wrong."""
    backend_id = request.get("backend_id", "")
    if backend_id not in catalogue.backends:
        raise BenchError(ErrorCode.INVALID_BACKEND, f"Unknown backend {backend_id!r}",
                         {"backend_id": backend_id})  # fmt: skip
    workloads = request.get("workloads")
    chosen = list(catalogue.default_workloads if workloads is None else workloads)
    invalid = [w for w in chosen if w not in catalogue.workloads]
    if invalid:
        raise BenchError(ErrorCode.INVALID_WORKLOAD, f"Unknown workloads: {', '.join(invalid)}",
                         {"invalid": invalid})  # fmt: skip
    if not chosen or len(set(chosen)) != len(chosen):
        raise _invalid("workloads", "must be a non-empty list without duplicates")
    backend = catalogue.backends[backend_id]
    too_wide = [w for w in chosen if catalogue.workloads[w].qubits > backend.qubits]
    if too_wide:
        raise BenchError(ErrorCode.INVALID_WORKLOAD,
                         f"Workloads wider than {backend.id} ({backend.qubits} qubits): "
                         f"{', '.join(too_wide)}",
                         {"too_wide": too_wide, "backend_qubits": backend.qubits})  # fmt: skip
    shots = request.get("shots", DEFAULT_SHOTS)
    if not 1 <= shots <= MAX_SHOTS:
        raise _invalid("shots", f"must be between 1 and {MAX_SHOTS}")
    seed = request.get("seed")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise _invalid("seed", f"must be between 0 and {MAX_SEED}")
    drawn = secrets.randbelow(2**32) if seed is None else seed
    thresholds = request.get("thresholds")
    check_thresholds(thresholds, chosen)
    max_cost = request.get("max_cost")
    if max_cost is not None and not 0.0 <= max_cost < math.inf:
        raise _invalid("max_cost", "must be a number ≥ 0")
    return Checked(backend, chosen, shots, drawn, thresholds or None, max_cost)


@dataclass(frozen=True)
class RunService:
    settings: Settings
    store: Store
    catalogue: Catalogue
    dispatcher: Dispatcher
    budgets: Budgets = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Read the tenants' budgets now, so a malformed ``BENCH_RUN_BUDGETS`` stops the
        process at start-up rather than a request."""
        object.__setattr__(self, "budgets", Budgets.parse(self.settings.run_budgets))

    def plan(self, tenant_id: str, request: RunRequest, run_id: str | None = None) -> Run:
        """The queued ``Run`` for ``request``, validated, placed and held to its budget, not
        yet recorded. The id is a new UUID4 unless given (scheduled runs derive theirs)."""
        checked = check_request(self.catalogue, request)
        backend = checked.backend
        where = placement(self.catalogue, backend, self.settings.provider_env,
                          self.store.backend_statuses())  # fmt: skip
        if not where.available:
            detail = f": {where.detail}" if where.detail else ""
            raise BenchError(ErrorCode.BACKEND_UNAVAILABLE,
                             f"Backend {backend.id} is {where.status}{detail}",
                             {"backend_id": backend.id, "status": where.status})  # fmt: skip
        moment = now()
        run = Run(
            id=run_id or str(uuid.uuid4()),
            tenant_id=tenant_id,
            backend_id=backend.id,
            provider=backend.provider,
            execution_mode=where.mode,
            queue=where.queue,
            workloads=checked.workloads,
            shots=checked.shots,
            seed=checked.seed,
            thresholds=checked.thresholds,
            campaign_id=request.get("campaign_id"),
            schedule=request.get("schedule"),
            status="queued",
            created_at=format_time(moment),
            updated_at=format_time(moment),
            deadline_at=format_time(moment + timedelta(seconds=self.settings.run_deadline)),
        )
        self.check_budget(run, checked.max_cost)
        return run

    def submit(self, tenant_id: str, request: RunRequest, run_id: str | None = None) -> Submission:
        """Validate and record ``request``, then dispatch it; nothing stays if that fails."""
        run = self.plan(tenant_id, request, run_id)
        self.store.create_run(run)
        try:
            self.dispatcher.dispatch(run)
        except DispatchError as exc:
            self.store.delete_run(run.id)
            raise BenchError(ErrorCode.SERVICE_UNAVAILABLE,
                             "The broker is unreachable; nothing was queued") from exc  # fmt: skip
        return Submission(run, self.estimate_seconds(run), self.warning(run),
                          self.estimate_cost(run))  # fmt: skip

    def estimate_cost(self, run: Run) -> EstimatedCost | None:
        """What the run will cost on its provider's published prices; None when simulated,
        for nothing is billed."""
        if run.execution_mode != "hardware":
            return None
        backend = self.catalogue.backends[run.backend_id]
        pricing = self.catalogue.provider_of(backend).pricing
        if pricing is None:
            return unpriced(f"No prices are recorded for provider {backend.provider}")
        loads: dict[str, CircuitLoad] = {}
        for workload_id in run.workloads:
            spec = self.catalogue.workloads[workload_id]
            load = load_of(self.catalogue.type_of(spec), spec, backend)
            if load is None:
                return unpriced(f"The device decides how many circuits {workload_id} runs, "
                                "and its type states no bound")  # fmt: skip
            loads[workload_id] = load
        return pricing.estimate(backend.device, loads, run.shots)

    def check_budget(self, run: Run, max_cost: float | None) -> None:
        """Refuse a hardware run estimated to cost more than the lower of ``max_cost`` and
        its tenant's budget, or that cannot be priced while either applies."""
        limits = {"max_cost": max_cost, "the tenant's budget": self.budgets.of(run.tenant_id)}
        applying = {whose: limit for whose, limit in limits.items() if limit is not None}
        estimate = self.estimate_cost(run)
        if not applying or estimate is None:
            return
        whose, budget = min(applying.items(), key=lambda item: item[1])
        amount = estimate["amount"]
        if amount is None:
            problem = "cannot be held to: the run cannot be priced"
        elif amount > budget:
            problem = f"is exceeded: the estimated cost is USD {amount:.2f}"
        else:
            return
        raise BenchError(ErrorCode.VALIDATION_ERROR,
                         f"The run budget of USD {budget:.2f} ({whose}) {problem}. "
                         f"{estimate['basis']}",
                         {"max_cost": [f"budget USD {budget:.2f} {problem}"]})  # fmt: skip

    def estimate_seconds(self, run: Run) -> float:
        """Past durations of this backend's runs, scaled by the runs queued ahead on its queue."""
        past = self.store.recent_run_durations(run.backend_id, 20)
        fallback = FALLBACK_SECONDS_PER_WORKLOAD * len(run.workloads)
        per_run = statistics.median(past) if past else fallback
        ahead = max(self.store.count_active_runs(run.queue) - 1, 0)
        return round(per_run * (1 + ahead / max(self.settings.workers, 1)), 3)

    def warning(self, run: Run) -> str | None:
        """The ``warning`` of a ``POST /run`` answer: every simulated run says so."""
        if run.execution_mode != "simulated":
            return None
        return f"{DEV_MODE_WARNING} Data is stored in {self.settings.store_description}."
