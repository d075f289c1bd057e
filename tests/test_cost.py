"""Cost per sample: torch's MAC counts against hand formulas (a two-layer net, a convolution,
feedback alignment's own backward pass), synaptic events of a winner-take-all circuit on a
hand-computed case, the training wall time per sample, the runner's "cost" artifact and the
report's cost table on made-up runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from report_stores import make_run, recorder, run_in_process
from torch import nn
from torch.nn import functional

from neurosim.analysis.cost import synaptic_events, training_seconds_per_sample, with_wall_time
from neurosim.deep.cost import count_macs, inference, torch_cost
from neurosim.deep.models.feedback import direct_feedback_alignment, feedback_alignment
from neurosim.deep.models.mlp import build_mlp
from neurosim.experiment.stored_run import StoredRun
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.report.context import ReportContext
from neurosim.report.document import Paragraph, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections.cost import cost, si
from neurosim.spiking.liquid import Wiring
from neurosim.spiking.reservoir import ReservoirLearnerLSM
from neurosim.spiking.stdp_wta import STDPWTALearner
from neurosim.tasks import make_task
from neurosim.tasks.base import Split

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FORWARD = 64 * 100 + 100 * 10  # MACs of Linear(64, 100) -> ReLU -> Linear(100, 10)


def cross_entropy(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    yield functional.cross_entropy(model(x), y)


def two_layer_cost(model: nn.Module) -> dict:
    torch.manual_seed(0)
    x, y = torch.rand(32, 64), torch.randint(0, 10, (32,))
    return torch_cost(model, x, y, losses=cross_entropy, how="")


def two_layer() -> nn.Sequential:
    torch.manual_seed(0)
    return build_mlp(64, [100], 10, "relu", 0.0)


def test_two_layer_net_counts_its_weights_once_per_sample_forward():
    assert two_layer_cost(two_layer())["inference_ops_per_sample"] == FORWARD


def test_backward_costs_two_forwards_less_the_unneeded_input_gradient():
    """Backward computes each layer's weight gradient (one forward's MACs) and the gradient
    with respect to each layer's input, except the first's: the data needs none."""
    assert two_layer_cost(two_layer())["train_ops_per_sample"] == 2 * FORWARD + 100 * 10
    # with a gradient wanted for the data too, the textbook 3x forward
    model, x = two_layer(), torch.rand(32, 64, requires_grad=True)
    step = count_macs(lambda: functional.cross_entropy(model(x), torch.zeros(32).long()).backward())
    assert step / 32 == 3 * FORWARD


def test_feedback_alignment_backward_is_counted_as_written():
    """fa's autograd Function sends the error through B at every layer, the first included
    (the data's error is computed and dropped); dfa adds e B^T for its hidden layer to
    backprop's count (the readout's own input gradient is still computed, then ignored)."""
    fa = two_layer_cost(feedback_alignment(two_layer()))
    dfa = two_layer_cost(direct_feedback_alignment(two_layer()))
    assert fa["inference_ops_per_sample"] == dfa["inference_ops_per_sample"] == FORWARD
    assert fa["train_ops_per_sample"] == 3 * FORWARD
    assert dfa["train_ops_per_sample"] == 2 * FORWARD + 100 * 10 + 10 * 100


@pytest.mark.parametrize(("padding", "stride", "side"), [(1, 1, 10), (0, 2, 4)])
def test_convolution_counts_kernel_volume_per_output(padding: int, stride: int, side: int):
    conv = nn.Conv2d(3, 8, 3, padding=padding, stride=stride)
    x = torch.rand(2, 3, 10, 10)
    assert count_macs(lambda: inference(conv, x)) / 2 == side * side * 8 * (3 * 3 * 3)


@pytest.mark.parametrize("path", ["fused", "readable"])
def test_lstm_counts_four_gates_per_step_on_either_path(path: str):
    """Counted on the readable twin, the fused kernel's products are not missed: 4 gates x
    (input + recurrent weights) per step, then the readout once (the adding task's value)."""
    task = make_task("adding", 0, T=10, n_train=32, n_val=16, n_test=16)
    learner = LEARNERS.get("lstm")(hidden=16, path=path)
    learner.fit(task, Budget(epochs=1), Recorder(None))
    per_step = 4 * (task.n_inputs * 16 + 16 * 16)
    assert learner.cost(task)["inference_ops_per_sample"] == 10 * per_step + 16 * 1


def test_dqn_counts_acting_and_its_updates_per_environment_step():
    """4 observations -> 8 -> 2 actions: 48 MACs to act; an update costs three forwards per
    minibatch sample (target and online on s', online on s) and a backward (weight gradients,
    48, plus the hidden layer's input gradient, 16), 4 updates of 16 samples per 32 steps."""
    task = make_task("cartpole", 0)
    params = {"net_arch": [8], "learning_starts": 50, "train_freq": 32, "gradient_steps": 4}
    agent = LEARNERS.get("dqn")(batch_size=16, **params)
    agent.fit(task, Budget(env_steps=200), Recorder(None))
    result = agent.cost(task)
    assert result["inference_ops_per_sample"] == 48
    assert result["train_ops_per_sample"] == 48 + (3 * 48 + 48 + 16) * 16 * 4 / 32


def test_counting_leaves_the_learned_model_alone():
    model = two_layer()
    before = [p.detach().clone() for p in model.parameters()]
    two_layer_cost(model)
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_synaptic_events_weight_spikes_by_fan_out():
    # 2 presentations: inputs reach 4 neurons each, exc 1 partner, inh the other 3
    events = synaptic_events(
        {"input": np.array([10, 20]), "exc": np.array([2, 3]), "inh": np.array([2, 3])},
        {"input": 4, "exc": 1, "inh": 3},
    )
    np.testing.assert_array_equal(events, [10 * 4 + 2 + 2 * 3, 20 * 4 + 3 + 3 * 3])


class TwoPixelTask:
    """Train and test images with one white pixel: 100 Hz x 0.35 s = 35 input spikes each."""

    def split(self, name: str) -> Split:
        return Split(np.eye(2)[[0, 1, 0, 1]], np.array([0, 1, 0, 1]))


def test_stdp_wta_cost_from_its_counts_by_hand():
    learner = STDPWTALearner(n_neurons=4, max_rate_hz=100.0, presentation_ms=350.0)
    learner.training_counts_ = np.array([[1, 0, 0, 0], [2, 1, 0, 0]])  # 1 and 3 spikes
    learner.responses_ = {"test": np.array([[4, 0, 0, 0], [0, 0, 0, 2]])}  # 4 and 2 spikes
    learner.stats_ = {"presentations": 11, "images_presented": 10, "ms_per_image": 20.0}
    result = learner.cost(TwoPixelTask())
    # 35 input spikes x 4 synapses, each exc spike x 1 and its inh partner's spike x 3
    assert result["op"] == "synaptic event"
    assert result["train_ops_per_sample"] == pytest.approx(35 * 4 + 2 * (1 + 3))
    assert result["inference_ops_per_sample"] == pytest.approx(35 * 4 + 3 * (1 + 3))
    assert result["inference_seconds_per_sample"] == pytest.approx(0.02)
    assert "10.0 % more presentations" in result["how"]


def test_training_seconds_per_sample_divides_fit_by_samples_seen():
    history = [{"samples": 100.0}, {"samples": 500.0, "val_accuracy": 0.9}]
    assert training_seconds_per_sample({"fit_s": 10.0}, history) == pytest.approx(0.02)
    assert training_seconds_per_sample({"fit_s": 10.0}, []) is None
    measured = with_wall_time({"op": "MAC", "train_seconds_per_sample": 1.0}, {"fit_s": 10.0}, [])
    assert measured["train_seconds_per_sample"] == 1.0
    assert measured["inference_ops_per_sample"] is None


def test_runner_records_cost_of_mlp_and_logreg(tmp_path: Path):
    spec = """
name = "tiny-cost"
seeds = [0]

[[task]]
name = "digits"
subset = 200

[[learner]]
name = "mlp"
hidden = [8]
epochs = 2

[[learner]]
name = "logreg"
"""
    store, experiment = run_in_process(spec, tmp_path)
    costs = {
        run.learner: StoredRun.from_record(run).json("cost") for run in store.runs(experiment.name)
    }
    mlp, logreg = costs["mlp"], costs["logreg"]
    assert mlp["inference_ops_per_sample"] == 64 * 8 + 8 * 10
    assert mlp["train_ops_per_sample"] == 2 * (64 * 8 + 8 * 10) + 8 * 10
    assert logreg["inference_ops_per_sample"] == 64 * 10
    for value in costs.values():
        assert value["op"] == "MAC"
        assert value["train_seconds_per_sample"] > 0
        assert value["inference_seconds_per_sample"] > 0


def test_si_prefixes():
    assert si(15800.0) == "15.8 k"
    assert si(1.68e-6, "s") == "1.68 µs"
    assert si(2.5e9) == "2.5 G"
    assert si(0.0, "s") == "0 s"
    assert si(None) == "–"


def test_cost_table_puts_both_units_side_by_side(tmp_path: Path):
    history = [{"samples": 1000.0}]
    runs = []
    for seed in (0, 1):  # fit_s = 10 + seed
        wta = make_run(tmp_path, "stdp-wta", seed, {}, history=history)
        recorder(wta).json(
            "cost",
            {
                "op": "synaptic event",
                "train_ops_per_sample": 1e5 * (1 + seed),
                "inference_ops_per_sample": 9e4,
                "train_seconds_per_sample": None,
                "inference_seconds_per_sample": 0.02,
                "how": "spikes x fan-out",
            },
        )
        mlp = make_run(tmp_path, "mlp-adam", seed, {}, learner="mlp", history=history)
        recorder(mlp).json(
            "cost",
            {
                "op": "MAC",
                "train_ops_per_sample": 15800.0,
                "inference_ops_per_sample": 7400.0,
                "inference_seconds_per_sample": 2e-6,
                "how": "counted by torch",
            },
        )
        runs += [wta, mlp, make_run(tmp_path, "ngram", seed, {}, history=history)]
    blocks = cost(ReportContext(), group_runs(runs))
    table = blocks[0]
    assert isinstance(table, Table)
    rows = {row[0]: row[1:] for row in table.rows}
    # per sample: mean over seeds; whole fit: x 1000 samples; s per training sample: fit_s / 1000
    assert rows["stdp-wta"] == [
        "stdp",
        "synaptic event",
        "150 k",
        "150 M",
        "90 k",
        "10.5 ms",
        "20 ms",
    ]
    assert rows["mlp-adam"] == ["mlp", "MAC", "15.8 k", "15.8 M", "7.4 k", "10.5 ms", "2 µs"]
    assert rows["ngram"] == ["ngram", "–", "–", "–", "–", "10.5 ms", "–"]
    notes = [b.text for b in blocks if isinstance(b, Paragraph)]
    assert "stdp: spikes x fan-out." in notes
    assert "ngram: counts no operations." in notes


def test_three_factor_counts_two_forwards_and_two_outer_products_without_learning():
    """64 -> 8 -> 10: a forward is 592 MACs; a step samples with one forward, the update
    recomputes it and forms xi x^T (64 x 8) and (onehot - p) h^T (8 x 10)."""
    task = make_task("digits", 0, subset=100)
    learner = LEARNERS.get("three-factor")(hidden=8)
    learner.fit(task, Budget(epochs=1), Recorder(None))
    before = [t.clone() for t in learner.net_.tensors()]
    result = learner.cost(task)
    forward = 64 * 8 + 8 * 10
    assert result["inference_ops_per_sample"] == forward
    assert result["train_ops_per_sample"] == 2 * forward + 64 * 8 + 8 * 10
    assert all(torch.equal(a, b) for a, b in zip(before, learner.net_.tensors(), strict=True))


def test_krotov_hopfield_spreads_its_unsupervised_phase_over_the_readout_samples():
    """The local rule's step is two hidden x input products per sample (currents, g^T v), the
    features one, the readout's step its forward and weight gradient (8 x 10 each); the
    unsupervised epochs and the features of train and val, over the readout's samples."""
    task = make_task("digits", 0, subset=100)
    learner = LEARNERS.get("krotov-hopfield")(hidden=8, k=2, unsupervised_epochs=3)
    learner.fit(task, Budget(epochs=2), Recorder(None))
    result = learner.cost(task)
    n_train, n_val = len(task.split("train")), len(task.split("val"))
    samples = 2 * n_train  # two readout epochs
    unsupervised = 3 * n_train * 2 * 64 * 8 + (n_train + n_val) * 64 * 8
    assert result["inference_ops_per_sample"] == 64 * 8 + 8 * 10
    assert result["train_ops_per_sample"] == pytest.approx(2 * 8 * 10 + unsupervised / samples)
    assert learner.history_.rows[-1]["samples"] == samples


def test_esn_counts_its_graph_edges_and_input_weights_each_step():
    """10 units on an Erdos-Renyi graph, 2 inputs, 10 steps, one value read at the end by
    10 weights; training adds the one penalty's normal equations (11 x 11 and 11 x 1)."""
    task = make_task("adding", 0, T=10, n_train=32, n_val=16, n_test=16)
    learner = LEARNERS.get("esn")(n_units=10, mean_degree=3.0, ridge=1e-3)
    learner.fit(task, Budget(), Recorder(None))
    result = learner.cost(task)
    edges = learner.graph_.number_of_edges()
    sequence = 10 * (edges + 2 * 10) + 10
    assert result["op"] == "MAC"
    assert result["inference_ops_per_sample"] == sequence
    assert result["train_ops_per_sample"] == sequence + 11 * 12
    assert f"{edges} nonzeros" in result["how"]


class OneSequenceTask:
    """One test sequence of 2 steps on 2 channels: channel 0 at 1.0 then 0.5, channel 1 off."""

    n_inputs, steps = 2, 2

    def split(self, name: str) -> Split:
        return Split(np.array([[[1.0, 0.0], [0.5, 0.0]]]), np.array([0]))


def test_reservoir_events_weigh_its_kept_spikes_by_out_degree():
    """Units 0, 1, 3 excitatory, 2 and 4 inhibitory; edges 0->1, 0->2, 1->2, 2->0, 4->0, 4->3.
    Spikes: excitatory ranks 0, 0, 2 (units 0, 0, 3) and inhibitory rank 1 (unit 4): 2 + 2 + 0
    + 2 recurrent events. Channel 0's two input neurons reach 3 and 1 liquid neurons; at
    100 Hz for 20 ms, 2 spikes each in step 1 and 1 in step 2: 3 x (3 + 1) = 12 input events."""
    learner = ReservoirLearnerLSM(
        n_units=5, mean_degree=2.0, max_rate_hz=100.0, step_ms=20.0, inputs_per_channel=2
    )
    learner.wiring_ = Wiring(
        sources=np.array([0, 0, 1, 2, 4, 4]),
        targets=np.array([1, 2, 2, 0, 0, 3]),
        weights=np.ones(6),
        use=np.ones(6),
        depression_s=np.ones(6),
        facilitation_s=np.ones(6),
        delays=np.ones(6),
        excitatory=np.array([True, True, False, True, False]),
        input_sources=np.array([0, 0, 0, 1, 2]),  # input neurons 0, 1: channel 0; 2: channel 1
        input_targets=np.array([0, 1, 3, 2, 4]),
    )
    learner.raster_ = {
        "exc": (np.array([0.001, 0.002, 0.003]), np.array([0, 0, 2])),
        "inh": (np.array([0.004]), np.array([1])),
    }
    result = learner.cost(OneSequenceTask())
    assert result["op"] == "synaptic event"
    assert result["inference_ops_per_sample"] == pytest.approx(6 + 12)
    assert result["train_ops_per_sample"] == result["inference_ops_per_sample"]
