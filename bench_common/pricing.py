"""What a run will cost on a paid provider, before it is sent: the provider's published
prices (records in ``bench_common.providers``, each with its source and the date it was
read) applied to what the run's workloads send (``bench_common.circuit_loads``).

Every amount is in US dollars, the currency all three providers price in. The estimate is
worked out in the API process, so nothing here loads Qiskit or a provider SDK, and its
``basis`` says how it was reached: which prices, which counts, which model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypedDict

if TYPE_CHECKING:
    from bench_common.circuit_loads import CircuitLoad

USD = "USD"
WILDCARD = "*"
"""The tenant of a ``BENCH_RUN_BUDGETS`` entry that applies to every tenant not named."""


class EstimatedCost(TypedDict):
    """``estimated_cost`` of a ``POST /run`` answer (None for a simulated run): ``amount``
    in ``currency``, None when the run cannot be priced before it runs, and ``basis``, how
    the amount was reached or why there is none."""

    currency: str
    amount: float | None
    basis: str


Loads = Mapping[str, "CircuitLoad"]
"""What each workload of a run sends, by workload id."""


@dataclass(frozen=True)
class Source:
    """Where a price or a pricing rule was read, and when. ``confirmed`` is False for a
    figure the provider's own pages do not state (a third party's, or one derived from a
    plan), which every estimate built on it says."""

    url: str
    read: str
    confirmed: bool = True
    note: str = ""

    def cite(self) -> str:
        text = f"{self.url}, read {self.read}" + (f"; {self.note}" if self.note else "")
        return text if self.confirmed else f"{text}; not confirmed by the provider"


class Pricing(Protocol):
    """A provider's published prices: the cost of ``loads`` run with ``shots`` shots per
    circuit on ``device`` (``BackendSpec.device``)."""

    def estimate(self, device: str | None, loads: Loads, shots: int) -> EstimatedCost: ...


def unpriced(basis: str) -> EstimatedCost:
    return {"currency": USD, "amount": None, "basis": basis}


def priced(amount: float, basis: str, loads: Loads) -> EstimatedCost:
    """The estimate, said to be a bound when some workload's circuit count is one."""
    bounded = [workload for workload, load in loads.items() if load.upper_bound]
    if bounded:
        basis = (f"At most: the device decides how many circuits {', '.join(bounded)} "
                 f"run, counted here at their most. {basis}")  # fmt: skip
    return {"currency": USD, "amount": round(amount, 6), "basis": basis}


def circuits_of(loads: Loads) -> int:
    return sum(load.circuits for load in loads.values())


@dataclass(frozen=True)
class TaskShotPricing:
    """Amazon Braket's on-demand QPUs: a fee per task, the same on every QPU, and a fee per
    shot that depends on the device (keyed by its ARN). Each circuit is one task."""

    per_task: float
    per_shot: Mapping[str, float]
    source: Source

    def estimate(self, device: str | None, loads: Loads, shots: int) -> EstimatedCost:
        price = self.per_shot.get(device or "")
        if price is None:
            return unpriced(f"No published per-shot price is recorded for {device}")
        tasks = circuits_of(loads)
        amount = tasks * self.per_task + tasks * shots * price
        return priced(amount, f"Amazon Braket on-demand: {tasks} tasks (one per circuit) × "
                              f"USD {self.per_task} + {tasks * shots} shots × USD {price} on "
                              f"{device} ({self.source.cite()})", loads)  # fmt: skip


@dataclass(frozen=True)
class HqcPricing:
    """Quantinuum on Azure Quantum: a job, here one circuit, costs
    HQC = base + C·(N1q + two_qubit_weight·N2q + spam_weight·Nm)/divisor H-System Quantum
    Credits, C its shots, N1q and N2q its single- and two-qubit gates, Nm its state
    preparations and measurements (each qubit is prepared and measured once); an HQC costs
    ``usd_per_hqc`` on the target (keyed by its id)."""

    usd_per_hqc: Mapping[str, float]
    formula: Source
    price: Source
    base: float = 5.0
    two_qubit_weight: float = 10.0
    spam_weight: float = 5.0
    divisor: float = 5000.0

    def estimate(self, device: str | None, loads: Loads, shots: int) -> EstimatedCost:
        rate = self.usd_per_hqc.get(device or "")
        if rate is None:
            return unpriced(f"No published price per HQC is recorded for {device}")
        ungated = [workload for workload, load in loads.items() if load.gates is None]
        if ungated:
            return unpriced(f"HQCs are priced by gate counts, which the types of "
                            f"{', '.join(ungated)} do not state")  # fmt: skip
        counts = [load.gates for load in loads.values() if load.gates is not None]
        jobs = circuits_of(loads)
        one = sum(c.one_qubit for c in counts)
        two = sum(c.two_qubit for c in counts)
        spam = 2 * sum(c.measurements for c in counts)
        hqc = self.base * jobs + shots * (one + self.two_qubit_weight * two
                                          + self.spam_weight * spam) / self.divisor  # fmt: skip
        averaged = ", averaged over the circuits drawn" if any(c.mean for c in counts) else ""
        return priced(hqc * rate, f"{hqc:.4f} HQC × USD {rate} per HQC ({self.price.cite()}); "
                                  f"HQC = {self.base:g} + C·(N1q + {self.two_qubit_weight:g}·N2q"
                                  f" + {self.spam_weight:g}·Nm)/{self.divisor:g} per job "
                                  f"({self.formula.cite()}), over {jobs} jobs (one per "
                                  f"circuit) of C = {shots} shots, with N1q = {one:g}, "
                                  f"N2q = {two:g} and Nm = {spam} (a preparation and a "
                                  f"measurement per qubit) estimated from the logical "
                                  f"circuits{averaged}, before compilation", loads)  # fmt: skip


@dataclass(frozen=True)
class QpuTimePricing:
    """IBM Quantum: billed by the second of QPU usage. Usage is modelled as a fixed part per
    job (one Sampler job per workload) plus, for every shot of every circuit, the device's
    repetition delay, which dominates a shot: circuits run shot by shot with the delay
    between them. The circuits' own duration (microseconds) is left out."""

    usd_per_second: float
    seconds_per_job: float
    seconds_per_shot: float
    price: Source
    model: Source

    def estimate(self, device: str | None, loads: Loads, shots: int) -> EstimatedCost:
        jobs, circuits = len(loads), circuits_of(loads)
        seconds = jobs * self.seconds_per_job + circuits * shots * self.seconds_per_shot
        return priced(seconds * self.usd_per_second,
                      f"{seconds:.3f} s of QPU usage × USD {self.usd_per_second} per second "
                      f"({self.price.cite()}); usage modelled as {jobs} jobs × "
                      f"{self.seconds_per_job:g} s + {circuits} circuits × {shots} shots × "
                      f"{self.seconds_per_shot * 1e6:g} µs ({self.model.cite()})",
                      loads)  # fmt: skip


@dataclass(frozen=True)
class Budgets:
    """The most a run may cost, in USD, by tenant: ``BENCH_RUN_BUDGETS`` as
    ``tenant:amount`` entries separated by commas, the tenant ``*`` standing for every
    tenant not named. A request's ``max_cost`` can only lower its tenant's budget."""

    by_tenant: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> Budgets:
        """The budgets ``text`` sets; ``ValueError`` naming a malformed entry."""
        budgets: dict[str, float] = {}
        for entry in filter(None, (part.strip() for part in (text or "").split(","))):
            tenant, _, amount = entry.rpartition(":")
            try:
                value = float(amount)
            except ValueError:
                value = -1.0
            if not tenant or tenant in budgets or not 0.0 <= value < float("inf"):
                raise ValueError(f"BENCH_RUN_BUDGETS: {entry!r} is not tenant:amount (a "
                                 "number ≥ 0, each tenant once)")  # fmt: skip
            budgets[tenant] = value
        return cls(budgets)

    def of(self, tenant_id: str) -> float | None:
        return self.by_tenant.get(tenant_id, self.by_tenant.get(WILDCARD))
