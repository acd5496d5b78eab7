"""Layer fidelity and the error per layered gate (McKay et al., "Benchmarking quantum
processor performance at scale", arXiv:2311.05933), analysed as qiskit-experiments 0.14's
``LayerFidelityAnalysis`` does (``library/randomized_benchmarking/layer_fidelity_analysis.py``).

A chain of n qubits is cut into two layers of disjoint two-qubit gates (its even and its odd
bonds); each layer is benchmarked by simultaneous direct randomized benchmarking: m times a
random single-qubit Clifford on every chain qubit, then the layer's gates, then the inverse
of each subsystem's Clifford. A subsystem is a pair of the layer or a chain qubit outside
its pairs (single-qubit RB). Each subsystem's survival, the probability that all its bits
read 0, decays as

    P(m) = A·αᵐ + B,   PF = (1 + (d² − 1)·α)/d²   (d = 2 or 4),

its process fidelity, whatever state preparation and measurement do to A and B. Then

    LF = ∏ over both layers of every subsystem's PF,   EPLG = 1 − LF^(1/n₂q),

with n₂q = n − 1 the two-qubit gates of both layers. As in qiskit-experiments: a circuit's
survival is the posterior mean (k + ½)/(N + 1) of its all-zeros shots (Jeffreys' prior);
the samples at each length are averaged, with the standard error of their mean as the
point's uncertainty (σ = √(mean squared deviation / samples)); A, α and B are all fitted,
each within [0, 1], by weighted least squares (weights 1/σ, capped at their 90th
percentile) from qiskit-experiments' starting point, and α's uncertainty is the fit's covariance
(JᵀJ)⁻¹; a subsystem's fit is "poor" by qiskit-experiments' quality rules (``poor_fits``
counts them). Three changes, for figures and intervals that mean what they say with the
short sequences and few samples (three) a simulated run affords:

- a point's σ is never below the shot noise of its samples (their spread alone is often
  far below it by chance);
- α's variance is scaled by the reduced χ² where that exceeds 1 (Birge's ratio: the points
  scatter more than their σ say);
- B is kept within 0.3 of its ideal 1/2ⁿ, and A + B ≤ 1 (the survival of the empty
  sequence is a probability): qiskit-experiments grades a fit beyond the first "bad", and
  where a subsystem barely decays over the lengths run (a good lone qubit), a fit free of
  both trades A for B and reads noise as a fast decay (a process fidelity of 0.3 for a
  perfect qubit, with a narrow interval).

On ``eplg_10q`` of a chain whose EPLG is known (two-qubit depolarizing error only, 40
seeds), the 95 % interval held it in 29 runs as qiskit-experiments computes it, 37 with the
floor, 39 with both; with 2 % readout error too, the unconstrained fit gave EPLG 0.14
instead of 0.0125 in 3 runs (qiskit-experiments' own analysis of those counts does the
same), the constrained one never, its mean EPLG 0.01248 and its interval holding the truth
in 38 runs.

EPLG convention: 1 − LF^(1/n₂q) is the process infidelity per layered gate, as the paper
and qiskit-experiments' ``LayerFidelityAnalysis`` define it (and metriq-gym's EPLG
benchmark, which runs that analysis, reports it). IBM's platform documentation (since
September 2024) defines the EPLG it shows as the average gate infidelity
4/5·(1 − LF^(1/n₂q)) (d/(d + 1) at d = 4); ``eplg_average_gate_error`` gives that figure,
on the scale of a device's reported two-qubit gate errors.

Interval: the fits are independent, so ln LF = Σ ln PF has variance Σ (σ_PF/PF)², and
``fidelity_ci95`` is LF·exp(±1.96·σ) (EPLG's interval is its image). It covers the
statistical spread of the fitted decays (shots and random sequences, as the samples at each
length show it, and never less than the shots alone imply); not model error (decays that
are not single exponentials, crosstalk between the layers, drift between circuits), nor the
choice of chain.

Numpy only: the chain, each circuit's layer, length, sample and subsystems, and the
device's width, are in the circuits' meta, so an evidence bundle is enough.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from bench_common.metrics import (
    Z_95,
    Analysis,
    CircuitMeta,
    Counts,
    Measured,
    Statistics,
    bit_columns,
)

if TYPE_CHECKING:
    from bench_common.catalogue import WorkloadSpec

ESTIMATOR = (
    "layer-fidelity-v1: qiskit-experiments' fits with a shot-noise floor, chi2 scaling "
    "and B near 1/2^n; eplg = 1 - LF^(1/n2q), the process infidelity"
)
AVERAGE_GATE = 4 / 5
"""d/(d + 1) at d = 4: a two-qubit process infidelity as an average gate infidelity."""
JEFFREYS = 0.5
"""qiskit-experiments' Beta prior on a survival probability (its ``Probability`` node)."""
WEIGHT_PERCENTILE = 90
"""Weights above this percentile are capped at it (qiskit-experiments' outlier guard)."""
TAIL = 0.3
"""How far B may lie from its ideal 1/2ⁿ: qiskit-experiments grades a fit beyond it "bad"
(a biased tail); here such fits are out of the domain."""
GUESS_STRONG_DECAY = 0.6
"""Below this guessed α, qiskit-experiments takes A from the first point as it stands."""
DAMPING = 1e-3
MAX_DAMPING = 1e12
MAX_STEPS = 500
TOLERANCE = 1e-12
"""Relative improvement of the cost below which the fit has converged."""
TINY = 1e-300
RCOND = 1e-12
"""Singular values of JᵀJ below this share of the largest are a flat direction (a decay
rate of exactly 1, where A and B trade off), left out of the covariance."""
LAYERS = 2
"""The chain's even bonds, then its odd ones."""
Subsystem = tuple[int, ...]


def lengths(spec: WorkloadSpec) -> list[int]:
    """The spec's sequence lengths (``params["lengths"]``, space-separated)."""
    return [int(length) for length in str(spec.params["lengths"]).split()]


def circuits(spec: WorkloadSpec) -> int:
    """Both layers at every length, ``samples`` random sequences each."""
    return LAYERS * len(lengths(spec)) * int(spec.params["samples"])


def subsystems_text(subsystems: Sequence[Subsystem]) -> str:
    return " ".join("-".join(map(str, qubits)) for qubits in subsystems)


def parse_subsystems(meta: CircuitMeta) -> tuple[int, list[Subsystem]]:
    """The device's width and the circuit's subsystems (pairs ``a-b``, lone qubits ``q``):
    disjoint, one or two qubits each, within the width."""
    width = int(meta["width"])
    items = str(meta["subsystems"]).split()
    subsystems = [tuple(int(q) for q in item.split("-")) for item in items]
    qubits = [q for sub in subsystems for q in sub]
    if (not subsystems or len(set(qubits)) != len(qubits) or not all(0 <= q < width for q in qubits)
            or not all(1 <= len(sub) <= 2 for sub in subsystems)):  # fmt: skip
        raise ValueError(f"subsystems {meta['subsystems']!r} are not disjoint on {width} qubits")
    return width, subsystems


def statistics(meta: CircuitMeta, counts: Counts, qubits: int) -> Statistics:
    """Per subsystem (in the meta's order), the shots where all its bits read 0; ``qubits``
    is the workload's nominal width, the register is the device's."""
    width, subsystems = parse_subsystems(meta)
    bits, tally = bit_columns(counts, width)
    return {"survived": [int(tally @ ~bits[:, list(sub)].any(axis=1)) for sub in subsystems]}


@dataclass(frozen=True)
class Decay:
    """A fitted P(m) = a·αᵐ + b, α's standard error and the weighted reduced χ²."""

    a: float
    alpha: float
    b: float
    alpha_stderr: float
    reduced_chisq: float


Vector = NDArray[np.float64]


def feasible(theta: Vector, qubits: int) -> Vector:
    """(a, α, b) moved into the fit's domain: each in [0, 1], b within ``TAIL`` of its ideal
    1/2ⁿ, and a + b ≤ 1 (b kept, a lowered)."""
    ideal = 0.5**qubits
    low, high = np.array([0.0, 0.0, max(0.0, ideal - TAIL)]), np.array([1.0, 1.0, ideal + TAIL])
    inside: Vector = np.clip(theta, low, high)
    inside[0] = min(inside[0], 1.0 - inside[2])
    return inside


def initial_guess(x: Vector, y: Vector, qubits: int) -> Vector:
    """qiskit-experiments' starting point (``_ProcessFidelityAnalysis._generate_fit_guesses``
    with ``guess.rb_decay``): B at its ideal 1/2ⁿ, α the mean per-layer ratio of the points
    above it, A from the first point."""
    b = 0.5**qubits
    above = y > b
    xs, ys = x[above], y[above] - b
    if len(xs) == 0:
        alpha = 0.0
    elif len(xs) == 1:
        alpha = float((ys[0] / (1 - b)) ** (1 / xs[0]))
    else:
        alpha = float(np.mean((ys[1:] / ys[:-1]) ** (1 / np.diff(xs))))
    a = y[0] - b if alpha < GUESS_STRONG_DECAY else (y[0] - b) / alpha ** x[0]
    return feasible(np.array([a, alpha, b], dtype=float), qubits)


def _model(theta: Vector, x: Vector) -> tuple[Vector, Vector]:
    """a·αˣ + b and its Jacobian in (a, α, b)."""
    a, alpha, b = theta
    powers = alpha**x
    slope = a * x * alpha ** np.maximum(x - 1, 0)
    return a * powers + b, np.column_stack([powers, slope, np.ones_like(x)])


def fit_decay(x: Vector, y: Vector, sigma: Vector, qubits: int) -> Decay:
    """Weighted least squares of a·αˣ + b (the model of qiskit-experiments'
    ``_ProcessFidelityAnalysis``), from its starting point: a local fit, as lmfit's is, by
    Levenberg–Marquardt steps projected into the domain (``feasible``). The covariance is
    (JᵀJ)⁻¹ of the weighted residuals, as lmfit gives it when every point has an
    uncertainty, scaled up by the reduced χ² where that exceeds 1 (the points scatter more
    than their uncertainties say)."""
    raw = 1 / np.where(np.isclose(sigma, 0.0), np.finfo(float).eps, sigma)
    w = np.clip(raw, 0.0, np.percentile(raw, WEIGHT_PERCENTILE))

    def cost(theta: NDArray[np.float64]) -> float:
        return float(np.sum((w * (_model(theta, x)[0] - y)) ** 2))

    theta = initial_guess(x, y, qubits)
    current, damping = cost(theta), DAMPING
    for _ in range(MAX_STEPS):
        model, jacobian = _model(theta, x)
        weighted = w[:, None] * jacobian
        normal = weighted.T @ weighted
        gradient = weighted.T @ (w * (model - y))
        step = np.linalg.lstsq(normal + damping * np.diag(np.diag(normal) + TINY), -gradient,
                               rcond=None)[0]  # fmt: skip
        trial = feasible(theta + step, qubits)
        trial_cost = cost(trial)
        if trial_cost < current:
            converged = current - trial_cost <= TOLERANCE * current
            theta, current, damping = trial, trial_cost, damping / 3
            if converged:
                break
        else:
            damping *= 4
            if damping > MAX_DAMPING:
                break
    weighted = w[:, None] * _model(theta, x)[1]
    covariance = np.linalg.pinv(weighted.T @ weighted, rcond=RCOND, hermitian=True)
    reduced_chisq = current / max(len(x) - 3, 1)
    variance = max(float(covariance[1, 1]), 0.0) * max(1.0, reduced_chisq)
    a, alpha, b = (float(v) for v in theta)
    return Decay(a, alpha, b, math.sqrt(variance), reduced_chisq)


@dataclass(frozen=True)
class SubsystemFit:
    layer: int
    qubits: Subsystem
    decay: Decay

    @property
    def dimension(self) -> int:
        return 1 << len(self.qubits)

    @property
    def process_fidelity(self) -> float:
        d2 = self.dimension**2
        return (1 + (d2 - 1) * self.decay.alpha) / d2

    @property
    def process_fidelity_stderr(self) -> float:
        d2 = self.dimension**2
        return (d2 - 1) / d2 * self.decay.alpha_stderr

    def poor(self) -> bool:
        """qiskit-experiments' "bad" fit quality: large SPAM (A + B < 0.7), a biased tail
        (B off its ideal 1/2ⁿ by more than 0.3, or 0), or reduced χ² above 3 or exactly 0."""
        d = self.decay
        return (d.a + d.b < 0.7 or d.b <= 0 or abs(d.b - 1 / self.dimension) > 0.3
                or d.reduced_chisq > 3.0 or d.reduced_chisq == 0)  # fmt: skip


@dataclass(frozen=True)
class Survivals:
    """Every circuit's survival per subsystem of one layer, by length."""

    subsystems: list[Subsystem]
    lengths: list[int]
    values: list[list[float]]
    """Per circuit (in ``lengths`` order), the posterior-mean survival of each subsystem."""
    shots: list[int]


def survivals(measured: Sequence[Measured]) -> tuple[list[int], dict[int, Survivals]]:
    """The chain, and per layer its subsystems and survivals; every circuit must belong to
    the same chain and device, and the circuits of a layer to the same subsystems."""
    chains, widths = set(), set()
    layers: dict[int, Survivals] = {}
    for circuit in measured:
        width, subsystems = parse_subsystems(circuit.meta)
        widths.add(width)
        chains.add(str(circuit.meta["chain"]))
        layer, survived = int(circuit.meta["layer"]), circuit.statistics["survived"]
        if (not isinstance(survived, list) or len(survived) != len(subsystems)
                or circuit.shots <= 0
                or not all(0 <= k <= circuit.shots for k in survived)):  # fmt: skip
            raise ValueError(f"{circuit.name}: statistics do not match its subsystems and shots")
        found = layers.setdefault(layer, Survivals(subsystems, [], [], []))
        if found.subsystems != subsystems:
            raise ValueError(f"{circuit.name}: layer {layer} has other subsystems elsewhere")
        found.lengths.append(int(circuit.meta["length"]))
        found.shots.append(circuit.shots)
        found.values.append([(k + JEFFREYS) / (circuit.shots + 2 * JEFFREYS) for k in survived])
    if len(chains) != 1 or len(widths) != 1:
        raise ValueError("every circuit must run on one chain of one device")
    chain = [int(q) for q in chains.pop().split()]
    return chain, layers


def sample_means(lengths: list[int], values: Vector,
                 shots: list[int]) -> tuple[Vector, Vector, Vector]:  # fmt: skip
    """The distinct lengths, the mean over samples at each, and its standard error: as
    qiskit-experiments' ``sample_average`` gives it (√(mean squared deviation / samples)),
    but never below what the shots alone imply (each circuit's posterior variance
    p(1 − p)/(N + 2), averaged, over the samples)."""
    order, shots_of = np.asarray(lengths), np.asarray(shots, dtype=float)
    x = np.unique(order)
    means, errors = [], []
    for length in x:
        taken = order == length
        here, count = values[taken], np.count_nonzero(taken)
        mean = float(here.mean())
        spread = math.sqrt(float(np.mean((here - mean) ** 2)) / count)
        shot = math.sqrt(float(np.mean(here * (1 - here) / (shots_of[taken] + 2))) / count)
        means.append(mean)
        errors.append(max(spread, shot))
    return x.astype(float), np.array(means), np.array(errors)


def fits(measured: Sequence[Measured]) -> tuple[list[int], list[SubsystemFit]]:
    """The chain and each subsystem's fitted decay, layer by layer."""
    chain, layers = survivals(measured)
    fitted = []
    for layer, data in sorted(layers.items()):
        values = np.asarray(data.values)
        for index, qubits in enumerate(data.subsystems):
            x, y, sigma = sample_means(data.lengths, values[:, index], data.shots)
            if len(x) < 3:
                raise ValueError(f"layer {layer}: fitting A·α^m + B needs three lengths at least")
            fitted.append(SubsystemFit(layer, qubits, fit_decay(x, y, sigma, len(qubits))))
    return chain, fitted


def analyse(
    measured: Sequence[Measured], qubits: int, params: Mapping[str, Any], rng: np.random.Generator
) -> Analysis:
    chain, fitted = fits(measured)
    pfs = np.array([f.process_fidelity for f in fitted])
    relative = np.array([f.process_fidelity_stderr for f in fitted]) / pfs
    two_qubit_gates = sum(1 for f in fitted if len(f.qubits) == 2)
    if two_qubit_gates == 0:
        raise ValueError("the layers hold no two-qubit gate")
    lf = float(np.prod(pfs))
    spread = Z_95 * math.sqrt(float(relative @ relative))
    interval = [lf * math.exp(-spread), min(1.0, lf * math.exp(spread))]

    def eplg(value: float) -> float:
        return 1 - float(value ** (1 / two_qubit_gates))

    layers = sorted({f.layer for f in fitted})
    return Analysis(lf, interval, {
        "layer_fidelity": lf,
        "eplg": eplg(lf),
        "eplg_ci95": [eplg(interval[1]), eplg(interval[0])],
        "eplg_average_gate_error": AVERAGE_GATE * eplg(lf),
        "two_qubit_gates": two_qubit_gates,
        "chain": chain,
        "layer_fidelities": [float(np.prod([f.process_fidelity for f in fitted if f.layer == k]))
                             for k in layers],
        "process_fidelities": [[f.layer, f.qubits[0], f.qubits[1] if len(f.qubits) == 2 else -1,
                                f.process_fidelity, f.process_fidelity_stderr] for f in fitted],
        "poor_fits": sum(1 for f in fitted if f.poor()),
        "estimator": ESTIMATOR,
    })  # fmt: skip
