"""Rate protocols: one postsynaptic unit learning from a stream of input samples.

The input is a 2-D `TimedArray` with one fresh sample per 1 ms step, read by the presynaptic group
as `x`. The postsynaptic activity `y` is the weighted input sum (a summed variable, updated
before the weights in every step so that x and y belong to the same sample), either linear, as
in Oja's analysis, or rectified, for firing rates that cannot go negative. The textbook settings
are those of Dayan & Abbott 2001 (Theoretical Neuroscience, ch. 8):

- principal component: zero-mean correlated Gaussian input, linear y (Oja 1982);
- homeostasis: positive correlated input, linear y; where does the mean activity settle;
- clamped: y imposed by a fixed teacher (y = u . x, independent of w); where does w settle
  (Hebbian learning with decay converges to <x y> / decay);
- selectivity: a few input patterns shown at random, rectified y; does the unit come to answer
  one of them (Bienenstock, Cooper & Munro 1982).
"""

from __future__ import annotations

import brian2 as b2
import numpy as np

from neurosim.plasticity import PlasticityRule
from neurosim.spiking.protocols.hosting import (
    host_namespace,
    release_previous_networks,
    rule_synapses,
)

STEP = 1 * b2.ms  # one input sample per step
RECORD_EVERY = 100 * b2.ms
N_INPUTS = 8
EIGENVALUES = np.array([4.0, 2.0, 1.0, 0.5, 0.3, 0.2, 0.15, 0.1])
N_PATTERNS = 3
DIVERGED_NORM = 1e6  # a weight norm beyond this is reported as divergence


def principal_component(rule: PlasticityRule, rng: np.random.Generator) -> dict[str, object]:
    """Cosine between w and the input's first principal component, and |w|, over 20 s."""
    basis = _random_basis(rng)
    x = _gaussian(rng, 20_000, basis, EIGENVALUES)
    times, weights, _ = _run(rule, x, _initial(rng))
    pc1 = basis[:, 0]
    norms = np.linalg.norm(weights, axis=1)
    cosine = np.abs(weights @ pc1) / np.where(norms > 0, norms, np.nan)
    return {
        "t_s": times.tolist(),
        "cosine_pc1": _plain(cosine),
        "norm": _plain(norms),
        "final_cosine": _number(cosine[-1]),
        "final_norm": _number(norms[-1]),
        "eigenvalues": EIGENVALUES.tolist(),
        "diverged": _diverged(norms),
    }


def homeostasis(rule: PlasticityRule, rng: np.random.Generator) -> dict[str, object]:
    """Where the mean postsynaptic activity settles under positive, correlated input (60 s)."""
    basis = _random_basis(rng)
    x = np.clip(0.5 + 0.2 * _gaussian(rng, 60_000, basis, EIGENVALUES / EIGENVALUES[0]), 0, None)
    _, weights, y = _run(rule, x, _initial(rng))
    per_record = int(round(RECORD_EVERY / STEP))
    mean_y = y[: len(y) // per_record * per_record].reshape(-1, per_record).mean(axis=1)
    return {
        "t_s": ((np.arange(len(mean_y)) + 1) * float(RECORD_EVERY)).tolist(),  # block ends
        "mean_y": _plain(mean_y),
        "final_mean_y": _number(mean_y[-len(mean_y) // 10 :].mean()),
        "diverged": _diverged(np.linalg.norm(weights, axis=1)),
    }


def clamped(rule: PlasticityRule, rng: np.random.Generator) -> dict[str, object]:
    """Where w settles when y = u . x is imposed by a fixed teacher u (20 s).

    Reported against the Hebbian target <x y> = C u: the cosine between w and C u, and the gain
    |w| / |C u| (1 / decay for Hebbian learning with decay).
    """
    basis = _random_basis(rng)
    x = _gaussian(rng, 20_000, basis, EIGENVALUES)
    teacher = rng.normal(size=N_INPUTS)
    target = (basis * EIGENVALUES) @ basis.T @ teacher
    times, weights, _ = _run(rule, x, _initial(rng), teacher=teacher)
    norms = np.linalg.norm(weights, axis=1)
    cosine = (weights @ target) / (np.where(norms > 0, norms, np.nan) * np.linalg.norm(target))
    return {
        "t_s": times.tolist(),
        "cosine_target": _plain(cosine),
        "final_cosine": _number(cosine[-1]),
        "gain": _number(norms[-1] / np.linalg.norm(target)),
        "diverged": _diverged(norms),
    }


def selectivity(rule: PlasticityRule, rng: np.random.Generator) -> dict[str, object]:
    """Responses to 3 patterns shown at random for 30 s; selectivity = (max - mean others) / max.

    Pattern k is a baseline of 0.1 on every input plus 0.9 on two inputs of its own; the unit
    answers max(0, w . pattern). A selective unit answers one pattern and not the others (1); a
    unit that answers all alike scores 0.
    """
    patterns = np.full((N_PATTERNS, 2 * N_PATTERNS), 0.1)
    for k in range(N_PATTERNS):
        patterns[k, 2 * k : 2 * k + 2] += 0.9
    shown = rng.integers(N_PATTERNS, size=30_000)
    times, weights, _ = _run(rule, patterns[shown], _initial(rng, 2 * N_PATTERNS), rectify=True)
    responses = np.clip(weights @ patterns.T, 0, None)  # (time, pattern)
    final = responses[-1]
    best = int(np.argmax(final)) if np.all(np.isfinite(final)) else None
    index = None
    if best is not None and final[best] > 0:
        index = float((final[best] - np.delete(final, best).mean()) / final[best])
    return {
        "t_s": times.tolist(),
        "responses": [_plain(responses[:, k]) for k in range(N_PATTERNS)],
        "initial_responses": _plain(responses[0]),
        "final_responses": _plain(final),
        "preferred": best,
        "index": index,
        "diverged": _diverged(np.linalg.norm(weights, axis=1)),
    }


def _run(
    rule: PlasticityRule,
    samples: np.ndarray,
    w_init: np.ndarray,
    *,
    teacher: np.ndarray | None = None,
    rectify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Present `samples` (steps x inputs), one per step; returns record times (s), the weight
    vectors at those times, and y at every step."""
    release_previous_networks()
    n_steps, n_inputs = samples.shape
    stimulus = b2.TimedArray(samples, dt=STEP)
    namespace = host_namespace(rule, host_stimulus=stimulus)
    pre = b2.NeuronGroup(
        n_inputs, "x = host_stimulus(t, i) : 1", namespace=namespace, dt=STEP, name="rule_inputs"
    )
    activity = "clip(host_drive, 0, inf)" if rectify else "host_drive"
    post = b2.NeuronGroup(
        1, f"host_drive : 1\ny = {activity} : 1", namespace=namespace, dt=STEP, name="rule_output"
    )
    drive = "host_drive_post = {} * x_pre : 1 (summed)"
    plastic_drive = drive.format("w") if teacher is None else ""
    syn = rule_synapses(rule, pre, post, namespace, dt=STEP, model_extra=plastic_drive)
    syn.connect()
    syn.w = w_init
    objects = [pre, post, syn]
    if teacher is not None:  # y = u . x through fixed synapses: the plastic ones only learn
        model = "host_u : 1 (constant)\n" + drive.format("host_u")
        imposed = b2.Synapses(pre, post, model, namespace=namespace, dt=STEP, name="rule_teacher")
        imposed.connect()
        imposed.host_u = teacher
        objects.append(imposed)
    weights = b2.StateMonitor(syn, "w", record=True, dt=RECORD_EVERY, name="rule_weights")
    y = b2.StateMonitor(post, "y", record=0, dt=STEP, name="rule_activity")
    net = b2.Network(*objects, weights, y)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is a result, reported as such
        net.run(n_steps * STEP, namespace=namespace)
    order = np.argsort(np.asarray(syn.i[:]))
    return np.asarray(weights.t / b2.second), np.asarray(weights.w)[order].T, np.asarray(y.y[0])


def _random_basis(rng: np.random.Generator) -> np.ndarray:
    """An orthonormal basis (columns) in random orientation: the input's principal axes."""
    q, r = np.linalg.qr(rng.normal(size=(N_INPUTS, N_INPUTS)))
    return q * np.sign(np.diag(r))


def _gaussian(
    rng: np.random.Generator, n: int, basis: np.ndarray, variances: np.ndarray
) -> np.ndarray:
    """n zero-mean samples with covariance basis diag(variances) basis^T."""
    return (rng.normal(size=(n, len(variances))) * np.sqrt(variances)) @ basis.T


def _initial(rng: np.random.Generator, n: int = N_INPUTS) -> np.ndarray:
    """Small positive weights (a multiplicative rule cannot leave zero)."""
    return rng.uniform(0.05, 0.15, size=n)


def _diverged(norms: np.ndarray) -> bool:
    return bool(not np.all(np.isfinite(norms)) or norms[-1] > DIVERGED_NORM)


def _plain(values: np.ndarray) -> list[float | None]:
    """JSON-ready: non-finite numbers (a diverged run) become None."""
    return [_number(v) for v in np.asarray(values, dtype=float)]


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
