"""`stdp-wta`: unsupervised STDP in a winner-take-all circuit, read out by label vote and probe.

Diehl & Cook (2015): no labels reach the network while it learns. Labels are attached afterwards
from a frozen pass over the training set (each neuron takes the class it answers most), and a
logistic regression on the spike counts measures how much the code carries linearly.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from sklearn.pipeline import Pipeline

from neurosim.activity import Activity
from neurosim.analysis.cost import synaptic_events
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
from neurosim.spiking.encoding import poisson_rates
from neurosim.spiking.presentations import Stimuli, presentation_activity
from neurosim.spiking.protocols.weight_dependence import weight_dependence_summary
from neurosim.spiking.rule_check import rule_from_params
from neurosim.tasks.base import ClassificationTask

CURVE_BLOCK = 100  # training images per point of the online learning curve
CURVE_MEMORY = 500  # images whose responses assign labels for the next block
# What the circuit hands a rule besides its own traces; rate rules read spike traces as rates.
SUPPORTED_SIGNALS = {"spike": {"v_post"}, "rate": {"x_pre", "y_post"}}
# Replays compile schedules of 16, 32, 64, ... rows, so replays of similar length share a binary.
REPLAY_ROWS = 16


@dataclasses.dataclass
class STDPWTAParams:
    n_neurons: int = 100
    rule: str = "stdp-triplet"
    # override rule parameters, e.g. {nu_post = 0.02, tau_plus = "10 ms"}: a number where the
    # parameter is dimensionless; validate() turns them into the rule's text, which ids hash
    rule_parameters: dict[str, str | float] = dataclasses.field(default_factory=dict)
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
    # after the test split, the raster digits shown this many times more (plasticity off), so
    # trial-to-trial variability has repeated presentations of one stimulus to work on
    probe_repeats: int = 10

    def content_fingerprint(self) -> str:
        """What the rule file says, so that editing it in place gives new run ids."""
        return find_rule(self.rule).with_parameters(**self.rule_parameters).fingerprint()

    def validate(self, owner: str) -> None:
        for name in ("n_neurons", "input_gain", "max_rate_hz", "presentation_ms", "weight_norm"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"{owner}: field '{name}' must be positive")
        if self.probe_repeats < 0:
            raise ParameterError(f"{owner}: field 'probe_repeats' must be >= 0")
        if self.schedule_slack < 1:
            raise ParameterError(f"{owner}: field 'schedule_slack' must be >= 1")
        rule = rule_from_params(self.rule, self.rule_parameters, owner, check_rule_fits)
        self.rule_parameters = {key: rule.parameters[key] for key in self.rule_parameters}
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
    representation_unit = "spikes"
    artifacts = ("receptive_fields", "json", "activity", "predictions", "arrays")

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
        # last, so the rows before (and the metrics) are the same with and without them
        shown = min(p.raster_digits, len(task.split("test")))
        repeated = np.tile(task.split("test").x[:shown], (p.probe_repeats, 1))
        images = np.concatenate([*rows, repeated])
        n_task_rows = len(images) - len(repeated)
        self.initial_weights_ = rng.uniform(0, p.w_init_max, (p.n_neurons, task.n_features))
        result = self._simulate(
            task, images, self.initial_weights_, len(order), epochs, int(rng.integers(2**31))
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
        ends = result.accepted_times
        self.stats_ = {
            "images_presented": int(n_task_rows),
            "presentations": int(n_task_rows + np.sum(result.accepted_intensity[:n_task_rows] - 2)),
            "simulated_s": float(ends[n_task_rows - 1]),
            "repeat_presentations": int(len(repeated)),
            "repeat_simulated_s": float(ends[-1] - ends[n_task_rows - 1]),
            "binary_rounds": result.rounds,
            "binary_wall_s": result.wall_time_s,
            "build_s": result.compile_time_s,
            "ms_per_image": 1000 * result.wall_time_s / len(images),
            "mean_spikes_per_image": float(counts[:n_task_rows].sum(axis=1).mean()),
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
        theta_mv: np.ndarray | None = None,
        n_rows: int | None = None,
    ) -> SimulationResult:
        """Run the compiled circuit over the whole schedule (in several rounds if silent images
        needed many re-presentations), compiled for `n_rows` rows (default: the images')."""
        p = self.params
        rule = find_rule(p.rule).with_parameters(**p.rule_parameters)
        period_s = (p.presentation_ms + p.rest_ms) / 1000
        n_rows = n_rows or len(images)
        config = CircuitConfig(
            n_inputs=task.n_features,
            n_neurons=p.n_neurons,
            n_rows=n_rows,
            duration_s=round(n_rows * period_s * p.schedule_slack + 1.0, 3),
            presentation_ms=p.presentation_ms,
            rest_ms=p.rest_ms,
            max_rate_hz=p.max_rate_hz,
            min_spikes=p.min_spikes,
            input_gain=p.input_gain,
            theta_plus_mv=p.theta_plus_mv if p.theta_plus_mv is not None else 0.1 / epochs,
            weight_norm=p.weight_norm,
        )
        return DiehlCookCircuit(config, rule).present(images, weights, n_plastic, seed, theta_mv)

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

    def cost(self, task: ClassificationTask) -> dict:
        """Synaptic events per presentation: each input spike reaches all n excitatory neurons,
        each excitatory spike its one inhibitory partner, each inhibitory spike the other n - 1.

        Excitatory spikes are the counted ones (plastic presentations for training, the frozen
        test pass for inference); input spikes their expectation, rate x presentation time;
        inhibitory spikes equal excitatory ones (each drives its partner over threshold once,
        as every stored recording shows).
        """
        p = self.params
        n = p.n_neurons
        fan_out = {"input": n, "exc": 1, "inh": n - 1}

        def events(x: np.ndarray, counts: np.ndarray) -> float:
            inputs = poisson_rates(x, p.max_rate_hz).sum(axis=1) * p.presentation_ms / 1000
            exc = counts.sum(axis=1).mean()
            return float(synaptic_events({"input": inputs.mean(), "exc": exc, "inh": exc}, fan_out))

        stats = self.stats_
        retries = stats["presentations"] / stats["images_presented"] - 1
        return {
            "op": "synaptic event",
            "train_ops_per_sample": events(task.split("train").x, self.training_counts_),
            "inference_ops_per_sample": events(task.split("test").x, self.responses_["test"]),
            "inference_seconds_per_sample": stats["ms_per_image"] / 1000,
            "how": f"presynaptic spikes x synapses each reaches (input x {n}, excitatory x 1,"
            f" inhibitory x {n - 1}) per {p.presentation_ms:g} ms presentation: excitatory"
            " spikes counted, input spikes expected from the Poisson rates (training: the"
            " training split's mean image), inhibitory spikes equal to excitatory ones;"
            f" re-presentations of silent images ({100 * retries:.1f} % more presentations),"
            " plasticity's own updates and the rest periods are not counted; seconds per"
            " inference: the compiled simulation's wall time per presented image",
        }

    def representations(self, task: ClassificationTask, x: np.ndarray) -> dict[str, np.ndarray]:
        """Excitatory spike counts per presentation (`exc`), from the frozen test pass of `fit`:
        the circuit answers only the images it was shown, so `x` must open the test split."""
        test = task.split("test").x
        if not np.array_equal(x, test[: len(x)]):
            raise UserError(
                "learner 'stdp-wta' has spike counts for its task's test images only: "
                "ask for representations of the first test images (the probe set)"
            )
        return {"exc": self._responses(task, "test")[: len(x)]}

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
        self._record_rule(recorder)
        recorder.arrays(
            "final_state",
            weights=self.weights_,
            theta_mv=self.theta_mv_,
            assignments=self.assignments_,
            initial_weights=self.initial_weights_,
            **_linear_probe_arrays(self.probe_),
        )
        p, test = self.params, task.split("test")
        shown = min(p.raster_digits, len(test))
        first_test_row = len(result.accepted_rows) - len(test) - shown * p.probe_repeats
        stretches = [(first_test_row, shown)]
        if p.probe_repeats:
            stretches.append((first_test_row + len(test), shown * p.probe_repeats))
        ids = np.tile(np.arange(shown), 1 + p.probe_repeats)
        stimuli = Stimuli(test.x[:shown], ids, test.y[:shown], task.image_shape)
        activity = self._presentations(result, stretches, stimuli, self.assignments_)
        recorder.activity(activity, probe=task.probe_set(shown).name, name="probe")

    def _record_rule(self, recorder: Recorder) -> None:
        """The rule's weight dependence (windows at three weights, stationary distribution),
        computed once per rule and machine, so a report can set what a rule does at one synapse
        beside what the circuit learned with it. Only spike rules that read no signal have it."""
        p = self.params
        rule = find_rule(p.rule).with_parameters(**p.rule_parameters)
        if rule.kind != "spike" or rule.signals:
            return
        summary = weight_dependence_summary(rule)
        recorder.json(
            "rule_characterisation",
            {"rule": rule.name, "fingerprint": rule.fingerprint(), **summary},
        )

    def _presentations(
        self,
        result: SimulationResult,
        stretches: list[tuple[int, int]],
        stimuli: Stimuli,
        assignments: np.ndarray,
    ) -> Activity:
        p = self.params
        return presentation_activity(
            result,
            stretches,
            stimuli,
            n_neurons=p.n_neurons,
            presentation_s=p.presentation_ms / 1000,
            rest_s=p.rest_ms / 1000,
            assignments=np.asarray(assignments).tolist(),  # each exc unit's class, -1: silent
        )

    def replay(
        self,
        task: ClassificationTask,
        state: dict[str, np.ndarray],
        x: np.ndarray,
        repeats: int = 1,
    ) -> Activity:
        """The stored circuit (weights and thresholds from "final_state") shown each row of `x`
        `repeats` times in turn, plasticity off: the "probe" Activity of `fit`, for any stimuli.

        The final Activity.weights["input_exc"] are the weights after the replay, equal to the
        stored ones (nothing learns).
        """
        p = self.params
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or len(x) == 0 or x.shape[1] != task.n_features:
            raise UserError(
                f"learner 'stdp-wta' replays images of {task.n_features} pixels ({task.name}), "
                f"got an array of shape {x.shape}: pass rows of the task's inputs"
            )
        if repeats < 1:
            raise UserError(f"learner 'stdp-wta': repeats must be at least 1, got {repeats}")
        if state["weights"].shape != (p.n_neurons, task.n_features):
            raise UserError(
                f"learner 'stdp-wta': the stored weights have shape {state['weights'].shape}, not "
                f"({p.n_neurons}, {task.n_features}): replay with the run's own task and params"
            )
        ids = np.tile(np.arange(len(x)), repeats)
        capacity = REPLAY_ROWS * 2 ** max(0, math.ceil(math.log2(len(ids) / REPLAY_ROWS)))
        result = self._simulate(
            task, x[ids], state["weights"], 0, 1, task.seed, state["theta_mv"], capacity
        )
        probe = task.probe_set(len(x))
        labels = probe.y if len(probe) == len(x) and np.array_equal(probe.x, x) else None
        stimuli = Stimuli(x, ids, labels, task.image_shape)
        activity = self._presentations(result, [(0, len(ids))], stimuli, state["assignments"])
        activity.weights["input_exc"] = result.weights
        return activity


def _linear_probe_arrays(probe: Pipeline) -> dict[str, np.ndarray]:
    """The probe (standardise, then logistic regression) folded into one linear map on raw
    counts: class scores = counts @ probe_coef.T + probe_intercept, one column per probe_classes."""
    scaler, model = probe[0], probe[-1]
    coef = model.coef_ / scaler.scale_
    return {
        "probe_coef": coef,
        "probe_intercept": model.intercept_ - coef @ scaler.mean_,
        "probe_classes": model.classes_,
    }
