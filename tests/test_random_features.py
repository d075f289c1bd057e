"""random-features against theory: with at least as many features as training images the
minimum-norm least-squares fit interpolates (train accuracy 1, zero training residual), its readout
is pinv(Φ) Y, and test error peaks at the interpolation threshold n_features = n_train (double
descent, Belkin et al. 2019) on a small seeded digits problem."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.analysis.generalization import onehot_mse
from neurosim.artifacts import Recorder
from neurosim.baselines.random_features import RandomFeaturesLearner
from neurosim.errors import ParameterError
from neurosim.learner import Budget
from neurosim.tasks import make_task

N_TRAIN = 100


def fitted(n_features: int, seed: int = 0, kind: str = "fourier") -> tuple:
    task = make_task("digits-lab", seed, train_size=N_TRAIN)
    learner = RandomFeaturesLearner(n_features=n_features, kind=kind)
    learner.fit(task, Budget(), Recorder())
    return learner, task


# ReLU features of these pixels are nearly linear (the biases dominate), so at exactly
# n_features = n_train their matrix is numerically rank-deficient: only Fourier interpolates there.
@pytest.mark.parametrize(
    ("n_features", "kind"), [(N_TRAIN, "fourier"), (4 * N_TRAIN, "fourier"), (4 * N_TRAIN, "relu")]
)
def test_at_or_past_the_threshold_the_fit_interpolates(n_features, kind):
    learner, task = fitted(n_features, kind=kind)
    train = learner.evaluate(task, "train")
    assert train["accuracy"] == 1.0
    assert train["onehot_mse"] < 1e-6  # the targets themselves, not just their argmax


def test_below_the_threshold_it_cannot_interpolate():
    learner, task = fitted(N_TRAIN // 4)
    assert learner.evaluate(task, "train")["onehot_mse"] > 0.05


@pytest.mark.parametrize("n_features", [N_TRAIN // 2, 3 * N_TRAIN])
def test_the_readout_is_the_minimum_norm_solution(n_features):
    learner, task = fitted(n_features)
    train = task.split("train")
    phi = learner.features(train.x)
    targets = np.eye(10)[train.y]
    np.testing.assert_allclose(learner.readout_, np.linalg.pinv(phi) @ targets, atol=1e-6)


def test_test_error_peaks_at_the_interpolation_threshold():
    for seed in (0, 1, 2):
        errors = {}
        for n in (N_TRAIN // 4, N_TRAIN, 4 * N_TRAIN):
            learner, task = fitted(n, seed)
            errors[n] = 1 - learner.evaluate(task, "test")["accuracy"]
        # measured over seeds 0-7: about 0.2, 0.75 and 0.12
        assert errors[N_TRAIN] > errors[N_TRAIN // 4] + 0.2, (seed, errors)
        assert errors[N_TRAIN] > errors[4 * N_TRAIN] + 0.2, (seed, errors)


def test_same_seed_same_model_and_the_metrics_agree():
    (a, task), (b, _) = fitted(60), fitted(60)
    np.testing.assert_array_equal(a.readout_, b.readout_)
    outputs = a.outputs(task, "test")
    scores = a.evaluate(task, "test")
    assert scores["onehot_mse"] == pytest.approx(onehot_mse(outputs, task.split("test").y))
    assert scores["accuracy"] == pytest.approx(
        np.mean(a.predict(task, "test") == task.split("test").y)
    )


def test_onehot_mse_by_hand():
    outputs = np.array([[1.0, 0.0], [0.5, 0.5]])
    assert onehot_mse(outputs, np.array([0, 1])) == pytest.approx((0 + 0.5) / 2)


@pytest.mark.parametrize(("field", "value"), [("n_features", 0), ("scale", 0.0)])
def test_bad_parameters_name_the_field(field, value):
    with pytest.raises(ParameterError, match=f"random-features.*'{field}'"):
        RandomFeaturesLearner(**{field: value})
