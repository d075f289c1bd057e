"""`esn`: the echo-state network (Jaeger 2001), the non-spiking reference for the liquid.

    x(t) = (1 - a) x(t - 1) + a f(W x(t - 1) + W_in u(t) + b),   f = tanh or identity

W lives on a named graph (or is a random orthogonal matrix) and is scaled to a spectral
radius; below 1 the state forgets its initial condition (the echo-state property), and how
slowly it forgets sets the memory capacity. Only the linear readout of x is trained.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Literal

import networkx as nx
import numpy as np
from scipy.stats import ortho_group

from neurosim.activity import Activity, Signal
from neurosim.analysis.memory_capacity import MemoryCapacity, measure
from neurosim.errors import ParameterError
from neurosim.families.sequences import N_PROBE_SEQUENCES
from neurosim.graphs import adjacency, make_graph
from neurosim.learner import Recorder
from neurosim.registry import LEARNERS
from neurosim.reservoirs import RIDGES, ReservoirLearner, ReservoirParams, graph_record
from neurosim.tasks.sequences import SequenceTask


@dataclasses.dataclass
class ESNParams(ReservoirParams):
    graph: Literal["orthogonal", "erdos-renyi", "watts-strogatz", "distance"] = "erdos-renyi"
    activation: Literal["tanh", "linear"] = "tanh"
    spectral_radius: float = 0.9
    input_scaling: float = 1.0  # W_in and the memory probe's input weights ~ U(-s, s)
    bias_scaling: float = 0.2  # b ~ U(-s, s): breaks tanh's symmetry, so products of inputs show
    leak: float = 1.0  # a: 1 updates fully each step, smaller integrates over steps
    units_shown: int = 20  # units in the recorded state trace

    def checks(self) -> list[tuple[str, bool, str]]:
        return super().checks() + [
            ("spectral_radius", self.spectral_radius >= 0, "must be >= 0"),
            ("input_scaling", self.input_scaling > 0, "must be > 0"),
            ("bias_scaling", self.bias_scaling >= 0, "must be >= 0"),
            ("leak", 0 < self.leak <= 1, "must lie in (0, 1]"),
            ("units_shown", self.units_shown >= 1, "must be >= 1"),
        ]


@LEARNERS.register("esn")
class ESNLearner(ReservoirLearner):
    """An echo-state network with a ridge or logistic readout; numpy only."""

    name = "esn"
    Params = ESNParams

    def _build(self, task: SequenceTask, n_train: int) -> None:
        p = self.params
        rng = np.random.default_rng(task.seed)
        if p.graph == "orthogonal":
            matrix = ortho_group.rvs(p.n_units, random_state=rng)
            self.graph_ = nx.complete_graph(p.n_units, create_using=nx.DiGraph)
        else:
            self.graph_ = make_graph(
                p.graph,
                p.n_units,
                int(rng.integers(2**31)),
                mean_degree=p.mean_degree,
                rewire=p.rewire,
                distance_lambda=p.distance_lambda,
                distance_c=p.distance_c,
            )
            sources, targets = adjacency(self.graph_)
            matrix = np.zeros((p.n_units, p.n_units))
            matrix[targets, sources] = rng.standard_normal(len(sources))
        radius = np.abs(np.linalg.eigvals(matrix)).max()
        if radius < 1e-12:
            raise ParameterError(
                f"learner 'esn': field 'graph': the '{p.graph}' graph drawn has no cycle, so its "
                "weights cannot be scaled to a spectral radius (raise mean_degree)"
            )
        self.w_ = matrix * (p.spectral_radius / radius)
        self.w_in_ = rng.uniform(-p.input_scaling, p.input_scaling, (task.n_inputs, p.n_units))
        self.w_probe_ = rng.uniform(-p.input_scaling, p.input_scaling, (1, p.n_units))
        self.bias_ = rng.uniform(-p.bias_scaling, p.bias_scaling, p.n_units)
        self.mc_seed_ = int(rng.integers(2**31))

    def run(self, x: np.ndarray, w_in: np.ndarray, every_step: bool) -> np.ndarray:
        """States after each step (n, steps, units), or after the last one (n, units)."""
        p = self.params
        f = np.tanh if p.activation == "tanh" else (lambda z: z)
        h = np.zeros((len(x), p.n_units))
        kept = np.empty((len(x), x.shape[1], p.n_units), dtype=np.float32) if every_step else None
        drive = x @ w_in + self.bias_  # (n, steps, units): the input part of every step at once
        for t in range(x.shape[1]):
            h = (1 - p.leak) * h + p.leak * f(h @ self.w_.T + drive[:, t])
            if kept is not None:
                kept[:, t] = h
        return kept if kept is not None else h

    def states(self, task: SequenceTask, x: np.ndarray) -> np.ndarray:
        return self.run(np.asarray(x, dtype=np.float64), self.w_in_, task.per_step)

    def cost(self, task: SequenceTask) -> dict:
        """MACs per sequence from the weights: each step the recurrent matrix's nonzeros and
        the input weights, then the readout at every step it reads. Training adds, per penalty
        tried, the normal equations' sums; the validation passes, linear solves and logistic
        fits are not counted, so it is a floor."""
        p = self.params
        step = int(np.count_nonzero(self.w_)) + self.w_in_.size
        weights = getattr(self.readout_, "weights_", None)  # intercept row, then weights
        model = getattr(self.readout_, "model_", None)  # logistic regression (class targets)
        per_read = (0 if weights is None else weights[1:].size) + (
            0 if model is None else model.coef_.size
        )
        reads = task.steps if task.per_step else 1
        sequence = task.steps * step + reads * per_read
        tried = 1 if p.ridge is not None or "val" not in task.splits else len(RIDGES)
        rows = 0 if weights is None else weights.shape[0]
        normal_equations = reads * rows * (rows + (0 if weights is None else weights.shape[1]))
        training = sequence + tried * normal_equations
        test = task.split("test").x
        start = time.perf_counter()
        self.outputs(task, test)
        return {
            "op": "MAC",
            "train_ops_per_sample": float(training),
            "inference_ops_per_sample": float(sequence),
            "inference_seconds_per_sample": (time.perf_counter() - start) / len(test),
            "how": f"counted from the weights, per sequence of {task.steps} steps: the recurrent"
            f" matrix's {int(np.count_nonzero(self.w_))} nonzeros (numpy multiplies it dense)"
            f" and the {self.w_in_.size} input weights each step, the readout's {per_read}"
            f" weights at each step read ({reads} per sequence); training: the states and"
            f" readout of each training sequence, plus for each of the {tried} penalties tried"
            " the normal equations' X^T X and X^T y sums (none for a logistic readout); the"
            " validation passes (one per penalty), the linear solves, the logistic fits and"
            " the memory-capacity probe are not counted, so training is a floor",
        }

    def graph_record(self) -> dict[str, object]:
        radius = float(np.abs(np.linalg.eigvals(self.w_)).max())
        return graph_record(self.params.graph, self.graph_, radius)

    def memory_capacity(self) -> MemoryCapacity:
        p = self.params
        return measure(
            lambda u: self.run(u[:, :, None], self.w_probe_, every_step=True),
            copies=p.mc_copies,
            length=p.mc_length,
            lags=p.mc_lags,
            seed=self.mc_seed_,
        )

    def record_activity(self, task: SequenceTask, recorder: Recorder) -> None:
        probe = task.probe_set(N_PROBE_SEQUENCES)
        trace = self.run(probe.x[:1].astype(np.float64), self.w_in_, every_step=True)[0]
        shown = trace[:, : self.params.units_shown]
        activity = Activity(signals={"state": Signal(t=np.arange(task.steps), values=shown)})
        recorder.activity(activity, probe=probe.name, name="states")
