"""Rate encoding and spike-count decoding, against hand-computed cases and Brian2 itself."""

import numpy as np

from neurosim.spiking.decoding import assign_labels, counts_per_presentation, vote
from neurosim.spiking.encoding import RATE_EQUATION, poisson_rates


def test_poisson_rates_formula():
    x = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(poisson_rates(x, 100.0), [0, 50, 100])
    np.testing.assert_allclose(poisson_rates(x, 100.0, intensity=3), [0, 75, 150])


def test_brian2_input_group_fires_at_the_encoded_rates():
    """The equation the network uses, run in Brian2 (numpy target), matches poisson_rates."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    pixels = np.array([[0.0, 0.25, 0.5, 1.0]])
    images = b2.TimedArray(pixels, dt=1 * b2.ms)
    group = b2.NeuronGroup(
        4,
        f"row : 1\nintensity : 1\npresenting : 1\n{RATE_EQUATION}",
        threshold="rand() < rate * dt",
        namespace={"images": images, "max_rate": 80 * b2.Hz},
        name="encoder",
        dt=1 * b2.ms,
    )
    group.intensity = 3
    group.presenting = 1
    monitor = b2.SpikeMonitor(group, name="encoder_spikes")
    net = b2.Network(group, monitor)
    b2.seed(1)
    duration = 20.0
    net.run(duration * b2.second)
    measured = np.bincount(np.array(monitor.i[:]), minlength=4) / duration
    expected = poisson_rates(pixels[0], 80.0, intensity=3)
    # Poisson counts: sd = sqrt(rate * T); allow 4 sd
    tolerance = 4 * np.sqrt(expected * duration) / duration + 1e-9
    assert np.all(np.abs(measured - expected) <= tolerance)
    assert measured[0] == 0


def test_counts_per_presentation_uses_half_open_windows():
    times = np.array([0.05, 0.10, 0.35, 0.36, 0.9])
    units = np.array([0, 1, 1, 0, 2])
    counts = counts_per_presentation(times, units, np.array([0.35, 1.0]), 0.35, 3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 0, 1]])


def test_label_assignment_and_vote_hand_case():
    # neuron 0 answers class 0, neuron 1 class 1, neuron 2 never fires
    counts = np.array([[5, 1, 0], [4, 0, 0], [0, 6, 0], [1, 3, 0]])
    labels = np.array([0, 0, 1, 1])
    assignments = assign_labels(counts, labels, n_classes=3)
    np.testing.assert_array_equal(assignments, [0, 1, -1])
    np.testing.assert_array_equal(vote(counts, assignments, 3), [0, 0, 1, 1])


def test_vote_averages_over_assigned_neurons():
    # class 0 has two neurons (mean 3), class 1 one neuron firing 4: class 1 wins
    assignments = np.array([0, 0, 1])
    assert vote(np.array([[6, 0, 4]]), assignments, 2)[0] == 1
