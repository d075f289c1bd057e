"""Krotov & Hopfield's competing hidden units: the local rule against hand-computed cases and its
theory (p-norms relax to 1, the anti-Hebbian k-th unit spreads units apart), and the readout on
digits against the paper's accuracy figure."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurosim.deep.learners.krotov_hopfield import (
    KrotovHopfieldLearner,
    competition,
    krotov_update,
)
from neurosim.errors import ParameterError
from neurosim.learner import Budget, Recorder
from neurosim.tasks import make_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def digits_train() -> np.ndarray:
    return make_task("digits", 0).split("train").x


def off_diagonal_correlations(w: torch.Tensor) -> torch.Tensor:
    c = torch.corrcoef(w)
    return c[~torch.eye(len(c), dtype=torch.bool)]


def test_single_update_matches_the_hand_computed_one():
    # p = 3: |W|^(p-2) W = [[1, 0, .25], [0, 1, 0]]; v = [1, 2, 2] drives unit 1 with 1.5 and
    # unit 2 with 2, so unit 2 is the winner (g = 1) and unit 1 the k = 2nd (g = -0.4).
    w = torch.tensor([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]], dtype=torch.float64)
    v = torch.tensor([[1.0, 2.0, 2.0]], dtype=torch.float64)
    update = krotov_update(w, v, p=3.0, k=2, delta=0.4)
    winner = [1.0, 2.0, 2.0] - 2.0 * np.array([0.0, 1.0, 0.0])  # v - I W
    second = -0.4 * ([1.0, 2.0, 2.0] - 1.5 * np.array([1.0, 0.0, 0.5]))
    np.testing.assert_allclose(update.numpy(), [second, winner])
    normalized = KrotovHopfieldLearner(hidden=2, k=2, delta=0.4).step_direction(w, v)
    np.testing.assert_allclose(normalized.numpy(), np.array([second, winner]) / 2.0)


def test_small_steps_change_the_p_norm_as_the_theory_says():
    # d(||W||_p^p) = p eps sum_a g I (1 - ||W||_p^p) to first order in eps.
    gen = torch.Generator().manual_seed(0)
    w = torch.rand(5, 8, generator=gen, dtype=torch.float64) * 0.5
    v = torch.rand(4, 8, generator=gen, dtype=torch.float64)
    p, eps = 3.0, 1e-7
    currents = v @ (w.abs().pow(p - 1) * w.sign()).T
    drive = (competition(currents, 2, 0.4) * currents).sum(dim=0)
    norm = w.abs().pow(p).sum(dim=1)
    moved = (w + eps * krotov_update(w, v, p, 2, 0.4)).abs().pow(p).sum(dim=1)
    np.testing.assert_allclose((moved - norm) / eps, p * drive * (1 - norm), rtol=1e-5)


def test_every_winning_unit_converges_to_unit_p_norm():
    learner = KrotovHopfieldLearner(
        device="cpu", hidden=4, k=2, delta=0.0, normalize=False, eps0=0.01,
        unsupervised_batch_size=1, unsupervised_epochs=10, init="uniform",
    )  # fmt: skip
    w = learner.learn_features(digits_train(), seed=0)
    norms = w.abs().pow(3).sum(dim=1)
    start = KrotovHopfieldLearner(hidden=4, k=2, init="uniform", unsupervised_epochs=0)
    assert (start.learn_features(digits_train(), seed=0).abs().pow(3).sum(dim=1) > 10).all()
    np.testing.assert_allclose(norms.numpy(), 1.0, atol=1e-2)


def test_the_anti_hebbian_unit_keeps_units_apart():
    x = digits_train()
    common = {"device": "cpu", "hidden": 20, "k": 2, "unsupervised_epochs": 100}
    competing = KrotovHopfieldLearner(delta=0.4, **common).learn_features(x, seed=0)
    hebbian = KrotovHopfieldLearner(delta=0.0, **common).learn_features(x, seed=0)
    spread = off_diagonal_correlations(competing)
    assert spread.max() < 0.8 and spread.mean() < 0.4
    assert spread.mean() < off_diagonal_correlations(hebbian).mean() - 0.1


def fit_digits(seed: int, **params: object) -> float:
    task = make_task("digits", seed)
    learner = KrotovHopfieldLearner(device="cpu", **params)
    learner.fit(task, Budget(), Recorder(None))
    return learner.evaluate(task, "test")["accuracy"]


def test_the_readout_on_learned_units_reaches_the_papers_accuracy_on_digits():
    learned = [fit_digits(seed) for seed in range(3)]
    untrained = [fit_digits(seed, unsupervised_epochs=0) for seed in range(3)]
    assert np.mean(learned) >= 0.96
    assert np.mean(learned) >= np.mean(untrained) + 0.02  # the rule, not the readout, did it


def test_receptive_fields_are_the_learned_weights(tmp_path):
    task = make_task("digits", 0, subset=200)
    learner = KrotovHopfieldLearner(device="cpu", hidden=8, k=2, unsupervised_epochs=2)
    learner.fit(task, Budget(epochs=2), Recorder(tmp_path))
    assert learner.weights_.shape == (8, 64)
    assert any(tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("field", "value"), [("k", 101), ("k", 1), ("p", 1.5), ("eps0", 0.0), ("hidden", 1)]
)
def test_bad_parameters_are_refused_by_name(field: str, value: object):
    with pytest.raises(ParameterError, match=f"'{field}'"):
        KrotovHopfieldLearner(**{field: value})
