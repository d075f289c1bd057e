"""RDMs, their comparison and linear CKA against hand-computed cases and CKA's invariances; the
classifiers' record of their layers on the probe set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import ortho_group

from neurosim.activity import Activity
from neurosim.analysis.representations import (
    compare_rdms,
    condensed,
    linear_cka,
    rdm,
    representation_similarity,
)
from neurosim.artifacts import ArtifactEntry, Artifacts
from neurosim.deep.models.convnet import build_cnn
from neurosim.deep.models.mlp import build_mlp
from neurosim.deep.representations import layer_responses, named_layers
from neurosim.errors import UserError
from neurosim.families.representations import REPRESENTATION_PROBE_SIZE
from neurosim.learner import Budget, Learner, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import Task, make_task

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 12))


def test_cka_of_a_representation_with_itself_is_one():
    assert linear_cka(X, X) == pytest.approx(1.0, abs=1e-12)


def test_cka_is_invariant_to_an_orthogonal_rotation():
    q = ortho_group.rvs(12, random_state=1)
    assert linear_cka(X, X @ q) == pytest.approx(1.0, abs=1e-12)


def test_cka_is_invariant_to_isotropic_scaling_and_a_shift():
    assert linear_cka(X, 7.5 * X + 3.0) == pytest.approx(1.0, abs=1e-12)


def test_cka_is_not_invariant_to_anisotropic_scaling():
    """What separates CKA from CCA: stretching one axis changes it."""
    stretched = X * np.r_[20.0, np.ones(11)]
    assert linear_cka(X, stretched) < 0.5


def test_cka_of_independent_representations_is_small():
    """For independent Gaussian X (n x p) and Y (n x q), E[CKA] ~ sqrt(p q) / n when n >> p, q:
    here 10 / 1000 = 0.01; 0.05 is five times that."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(1000, 10)), rng.normal(size=(1000, 10))
    assert linear_cka(x, y) < 0.05


def test_rdm_is_one_minus_pearson_r_on_a_hand_computed_case():
    responses = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 3.0, 2.0]])
    # r(0, 1) = -1, r(0, 2) = 0.5, r(1, 2) = -0.5 (patterns centred: [-1 0 1], [1 0 -1], [-1 1 0])
    np.testing.assert_allclose(rdm(responses), [2.0, 0.5, 1.5], atol=1e-12)
    square = rdm(responses, square=True)
    np.testing.assert_allclose(square, square.T, atol=1e-12)
    np.testing.assert_allclose(np.diag(square), 0.0, atol=1e-12)
    np.testing.assert_allclose(condensed(square), [2.0, 0.5, 1.5], atol=1e-12)


def test_spearman_of_an_rdm_with_itself_and_a_monotone_transform_is_one():
    d = rdm(X[:15])
    assert compare_rdms(d, d, "spearman") == pytest.approx(1.0)
    assert compare_rdms(d, np.exp(3 * d) - 1, "spearman") == pytest.approx(1.0)
    assert compare_rdms(d, -d, "spearman") == pytest.approx(-1.0)


def test_tau_a_on_hand_counted_pairs():
    """4 stimuli: 6 dissimilarities, 15 pairs of them. Swapping two values makes 1 pair
    discordant: tau-a = (14 - 1) / 15. Tying two values leaves 14 concordant, 0 discordant:
    tau-a = 14 / 15, where tau-b's tie correction would give 14 / sqrt(15 * 14) = 0.966."""
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    swapped = np.array([1.0, 3.0, 2.0, 4.0, 5.0, 6.0])
    tied = np.array([1.0, 1.0, 3.0, 4.0, 5.0, 6.0])
    assert compare_rdms(a, swapped, "tau-a") == pytest.approx(13 / 15)
    assert compare_rdms(a, tied, "tau-a") == pytest.approx(14 / 15)


def test_silent_stimuli_are_left_out_of_the_comparison():
    """A stimulus no unit answers has no correlation distance; the other pairs still count."""
    counts = RNG.poisson(3.0, size=(8, 20)).astype(float)
    silent = counts.copy()
    silent[2] = 0.0
    d = rdm(silent)
    assert np.isnan(d).sum() == 7  # the pairs of stimulus 2
    assert compare_rdms(d, rdm(counts), "spearman") == pytest.approx(1.0)


def test_similarity_matrices_are_symmetric_with_ones_on_the_diagonal():
    rotated = X @ ortho_group.rvs(12, random_state=2)
    noise = np.random.default_rng(5).normal(size=X.shape)
    # Euclidean distances survive a rotation (correlation distances do not: they centre each
    # pattern across units, which a rotation of the units changes)
    result = representation_similarity(
        {"a": X, "rotated": rotated, "noise": noise}, method="euclidean"
    )
    assert result.names == ["a", "rotated", "noise"]
    for measure, matrix in result.matrices.items():
        np.testing.assert_allclose(matrix, matrix.T)
        np.testing.assert_allclose(np.diag(matrix), 1.0)
        assert matrix[0, 1] == pytest.approx(1.0), measure  # a rotation keeps RDMs and CKA
        assert abs(matrix[0, 2]) < 0.5, measure


def _recorded(
    name: str, params: dict, tmp_path: Path
) -> tuple[Learner, ArtifactEntry, Activity, Task]:
    task = make_task("digits", 0, subset=300)
    learner = LEARNERS.get(name)(**params)
    recorder = Recorder(tmp_path)
    learner.fit(task, Budget(epochs=3), recorder)
    learner.record(task, recorder)
    (entry,) = Artifacts(tmp_path).entries("activity", "representations")
    return learner, entry, Artifacts.load(entry), task


@pytest.mark.usefixtures("one_torch_thread")
def test_mlp_records_every_hidden_layer_and_the_logits_on_the_probe_set(tmp_path: Path):
    learner, entry, activity, task = _recorded("mlp", {"hidden": [16, 8]}, tmp_path)
    probe = task.probe_set(REPRESENTATION_PROBE_SIZE)
    assert entry.meta["probe"] == probe.name
    assert activity.meta["layers"] == ["input", "hidden", "hidden2", "output"]
    assert activity.meta["labels"] == probe.y.tolist()
    np.testing.assert_array_equal(activity.signals["input"].values, probe.x)
    shapes = {name: s.values.shape for name, s in activity.signals.items()}
    n = len(probe)
    assert shapes == {"input": (n, 64), "hidden": (n, 16), "hidden2": (n, 8), "output": (n, 10)}
    assert activity.signals["hidden"].values.min() >= 0  # after the ReLU
    predicted = activity.signals["output"].values.argmax(axis=1)
    np.testing.assert_array_equal(predicted, learner.predict(task, "test")[:n])


def test_logreg_records_its_logits(tmp_path: Path):
    learner, _, activity, task = _recorded("logreg", {}, tmp_path)
    logits = activity.signals["logits"].values
    assert activity.meta["layers"] == ["input", "logits"]
    predicted = learner.predict(task, "test")[: len(logits)]
    np.testing.assert_array_equal(logits.argmax(axis=1), predicted)


def test_stdp_wta_has_counts_only_for_its_test_images():
    task = make_task("digits", 0, subset=100)
    learner = LEARNERS.get("stdp-wta")()
    learner.responses_ = {"test": np.arange(60).reshape(20, 3)}
    learner.task_key_ = (task.name, task.seed, tuple(len(s) for s in task.splits.values()))
    test = task.split("test")
    np.testing.assert_array_equal(
        learner.representations(task, test.x[:4])["exc"], learner.responses_["test"][:4]
    )
    with pytest.raises(UserError, match="first test images"):
        learner.representations(task, test.x[1:5])


@pytest.mark.usefixtures("one_torch_thread")
def test_torch_layers_are_read_where_the_next_layer_reads_them():
    """Hidden layers after their nonlinearity (behind batch norm), conv blocks after pooling,
    and the logits: each equal to running the network up to that module."""
    x = np.random.default_rng(0).random((5, 64))
    tensor = torch.as_tensor(x, dtype=torch.float32)
    mlp = build_mlp(64, [16, 8], 10, "relu", 0.1, batch_norm=True).eval()
    responses = layer_responses(mlp, named_layers(mlp), x, torch.device("cpu"))
    assert list(responses) == ["hidden", "hidden2", "output"]
    with torch.no_grad():
        np.testing.assert_allclose(responses["hidden"], mlp[:3](tensor).numpy(), atol=1e-6)
        np.testing.assert_allclose(responses["hidden2"], mlp[:7](tensor).numpy(), atol=1e-6)
        np.testing.assert_allclose(responses["output"], mlp(tensor).numpy(), atol=1e-6)
    cnn = build_cnn((8, 8), 10, [3, 4], 3, 12, 0.0).eval()
    responses = layer_responses(cnn, named_layers(cnn), x, torch.device("cpu"))
    shapes = {name: values.shape for name, values in responses.items()}
    assert shapes == {
        "conv1": (5, 3 * 4 * 4),
        "conv2": (5, 4 * 2 * 2),
        "hidden": (5, 12),
        "output": (5, 10),
    }
    with torch.no_grad():
        np.testing.assert_allclose(
            responses["conv1"], cnn[:4](tensor).flatten(1).numpy(), atol=1e-6
        )
