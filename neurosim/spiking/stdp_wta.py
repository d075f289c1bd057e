"""`stdp-wta`: unsupervised STDP in a winner-take-all circuit, read out by label vote and probe.

Diehl & Cook (2015): no labels reach the network while it learns. Labels are attached afterwards
from a frozen pass over the training set (each neuron takes the class it answers most), and a
logistic regression on the spike counts measures how much the code carries linearly.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from neurosim.activity import Activity, SpikeTrains
from neurosim.errors import ParameterError, UserError
from neurosim.families.classification import Classifier
from neurosim.learner import Budget, History, Recorder
from neurosim.plasticity import find_rule
from neurosim.registry import LEARNERS
from neurosim.spiking.decoding import (
    assign_labels,
    counts_per_presentation,
    fit_linear_probe,
    vote,
)
from neurosim.spiking.diehl_cook import (
    CircuitConfig,
    DiehlCookCircuit,
    SimulationResult,
    check_rule_fits,
)
from neurosim.spiking.rule_check import rule_from_params
from neurosim.tasks.base import ClassificationTask

CURVE_BLOCK = 100  # training images per point of the online learning curve
CURVE_MEMORY = 500  # images whose responses assign labels for the next block
# What the circuit hands a rule besides its own traces; rate rules read spike traces as rates.
SUPPORTED_SIGNALS = {"spike": {"v_post"}, "rate": {"x_pre", "y_post"}}


@dataclasses.dataclass
class STDPWTAParams:
    n_neurons: int = 100
    rule: str = "stdp-triplet"
    # override rule parameters, e.g. {nu_post = "0.02"}: rules are swept like any parameter
    rule_parameters: dict[str, str] = dataclasses.field(default_factory=dict)
    theta_plus_mv: float | None = None  # None: 0.1 mV / epochs (theta only grows)
    input_gain: float = 2.0
    max_rate_hz: float = 100.0
    presentation_ms: float = 350.0
    rest_ms: float = 150.0
    min_spikes: int = 5
    weight_norm: float = 12.0
    w_init_max: float = 0.3
    probe_c: float = 1.0
    schedule_slack: float = 1.2
    raster_digits: int = 5

    def content_fingerprint(self) -> str:
        """What the rule file says, so that editing it in place gives new run ids."""
        return find_rule(self.rule).with_parameters(**self.rule_parameters).fingerprint()

    def validate(self, owner: str) -> None:
        for name in ("n_neurons", "input_gain", "max_rate_hz", "presentation_ms", "weight_norm"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"{owner}: field '{name}' must be positive")
        if self.schedule_slack < 1:
            raise ParameterError(f"{owner}: field 'schedule_slack' must be >= 1")
        rule = rule_from_params(self.rule, self.rule_parameters, owner, check_rule_fits)
        unsupported = set(rule.signals) - SUPPORTED_SIGNALS[rule.kind]
        if unsupported:
            raise ParameterError(
                f"{owner}: field 'rule': '{rule.name}' reads {sorted(unsupported)}, which this "
                f"circuit does not provide to {rule.kind} rules (it provides "
                f"{sorted(SUPPORTED_SIGNALS[rule.kind])})"
            )


@LEARNERS.register("stdp-wta")
class STDPWTALearner(Classifier):
    """Diehl & Cook's spiking network, one compiled Brian2 simulation per fit."""

    name = "stdp-wta"
    Params = STDPWTAParams
    # no wall_time_s: the whole schedule runs as one compiled simulation
    budget_fields = frozenset({"epochs", "samples"})
    metrics = ("accuracy", "probe_accuracy", "spikes_per_image")
    artifacts = ("receptive_fields", "json", "activity", "predictions")

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        p = self.params
        rng = np.random.default_rng(task.seed)
        epochs = budget.resolve_epochs(self.default_epochs)
        train = task.split("train")
        order = np.concatenate([rng.permutation(len(train)) for _ in range(epochs)])
        if budget.samples is not None:
            order = order[: budget.samples]
        eval_splits = [name for name in ("train", "val", "test") if name in task.splits]
        rows = [train.x[order]] + [task.split(name).x for name in eval_splits]
        images = np.concatenate(rows)
        initial_weights = rng.uniform(0, p.w_init_max, (p.n_neurons, task.n_features))
        result = self._simulate(
            task, images, initial_weights, len(order), epochs, int(rng.integers(2**31))
        )

        counts = counts_per_presentation(
            result.exc_times,
            result.exc_units,
            result.accepted_times,
            p.presentation_ms / 1000 + 0.001,
            p.n_neurons,
        )
        self.training_counts_ = counts[: len(order)]
        self.responses_: dict[str, np.ndarray] = {}
        offset = len(order)
        for name in eval_splits:
            n = len(task.split(name))
            self.responses_[name] = counts[offset : offset + n]
            offset += n
        self.assignments_ = assign_labels(self.responses_["train"], train.y, task.n_classes)
        self.probe_ = fit_linear_probe(self.responses_["train"], train.y, c=p.probe_c)
        self.weights_ = result.weights
        self.theta_mv_ = result.theta_mv
        self.task_key_ = (task.name, task.seed, tuple(len(s) for s in task.splits.values()))
        self.stats_ = {
            "images_presented": int(len(images)),
            "presentations": int(len(images) + np.sum(result.accepted_intensity - 2)),
            "simulated_s": float(result.accepted_times[-1]),
            "binary_rounds": result.rounds,
            "binary_wall_s": result.wall_time_s,
            "build_s": result.compile_time_s,
            "ms_per_image": 1000 * result.wall_time_s / len(images),
            "mean_spikes_per_image": float(counts.sum(axis=1).mean()),
        }
        history = self._learning_curve(train.y[order], task)
        self._record(task, result, recorder)
        return history

    def _simulate(
        self,
        task: ClassificationTask,
        images: np.ndarray,
        weights: np.ndarray,
        n_plastic: int,
        epochs: int,
        seed: int,
    ) -> SimulationResult:
        """Run the compiled circuit over the whole schedule (in several rounds if silent images
        needed many re-presentations)."""
        p = self.params
        rule = find_rule(p.rule).with_parameters(**p.rule_parameters)
        period_s = (p.presentation_ms + p.rest_ms) / 1000
        config = CircuitConfig(
            n_inputs=task.n_features,
            n_neurons=p.n_neurons,
            n_rows=len(images),
            duration_s=round(len(images) * period_s * p.schedule_slack + 1.0, 3),
            presentation_ms=p.presentation_ms,
            rest_ms=p.rest_ms,
            max_rate_hz=p.max_rate_hz,
            min_spikes=p.min_spikes,
            input_gain=p.input_gain,
            theta_plus_mv=p.theta_plus_mv if p.theta_plus_mv is not None else 0.1 / epochs,
            weight_norm=p.weight_norm,
        )
        return DiehlCookCircuit(config, rule).present(images, weights, n_plastic, seed)

    def _learning_curve(self, train_labels: np.ndarray, task: ClassificationTask) -> History:
        """Online accuracy while learning: each block is labelled by the neurons' assignments
        from the responses just before it (Diehl & Cook's performance monitor)."""
        history = History()
        counts = self.training_counts_
        for end in range(2 * CURVE_BLOCK, len(counts) + 1, CURVE_BLOCK):
            start = end - CURVE_BLOCK
            memory = slice(max(0, start - CURVE_MEMORY), start)
            assignments = assign_labels(counts[memory], train_labels[memory], task.n_classes)
            predicted = vote(counts[start:end], assignments, task.n_classes)
            history.log(samples=end, train_accuracy=np.mean(predicted == train_labels[start:end]))
        final = {"samples": len(counts), "train_accuracy": self._vote_accuracy(task, "train")}
        if "val" in self.responses_:
            final["val_accuracy"] = self._vote_accuracy(task, "val")
        history.log(**final)
        return history

    def _vote_accuracy(self, task: ClassificationTask, split: str) -> float:
        return float(np.mean(self.predict(task, split) == task.split(split).y))

    def _responses(self, task: ClassificationTask, split: str) -> np.ndarray:
        key = (task.name, task.seed, tuple(len(s) for s in task.splits.values()))
        if key != getattr(self, "task_key_", None):
            raise UserError(
                "learner 'stdp-wta' records its responses while fitting: "
                "evaluate it on the task it was fit on"
            )
        return self.responses_[split]

    def predict(self, task: ClassificationTask, split: str) -> np.ndarray:
        return vote(self._responses(task, split), self.assignments_, task.n_classes)

    def evaluate(self, task: ClassificationTask, split: str) -> dict[str, float]:
        counts = self._responses(task, split)
        y = task.split(split).y
        return {
            "accuracy": float(np.mean(self.predict(task, split) == y)),
            "probe_accuracy": float(self.probe_.score(counts.astype(np.float64), y)),
            "spikes_per_image": float(counts.sum(axis=1).mean()),
        }

    def _record(
        self, task: ClassificationTask, result: SimulationResult, recorder: Recorder
    ) -> None:
        if not recorder.enabled:
            return
        recorder.receptive_fields(
            self.weights_,
            signed=False,
            image_shape=task.image_shape,
            assignments=self.assignments_,
            theta_mv=self.theta_mv_,
        )
        recorder.json("simulation", self.stats_)
        test = task.split("test")
        first_test_row = len(result.accepted_rows) - len(test)
        shown = min(self.params.raster_digits, len(test))
        ends = result.accepted_times[first_test_row : first_test_row + shown]
        presentation = self.params.presentation_ms / 1000
        t0, t1 = ends[0] - presentation - 0.05, ends[-1] + 0.05
        populations = {
            "exc": (result.exc_times, result.exc_units),
            "inh": (result.inh_times, result.inh_units),
        }
        activity = Activity(
            spikes={
                name: SpikeTrains(times - t0, units, self.params.n_neurons).window(0, t1 - t0)
                for name, (times, units) in populations.items()
            },
            meta={
                "time_offset_s": t0,  # times are relative to this moment of the simulation
                "onsets": (ends - presentation - t0).tolist(),
                "labels": test.y[:shown].tolist(),
                "presentation_s": presentation,
                "images": test.x[:shown].tolist(),
                "image_shape": list(task.image_shape),
            },
        )
        recorder.activity(activity, probe=task.probe_set(shown).name, name="probe")
