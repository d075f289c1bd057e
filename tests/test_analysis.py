"""Classification statistics against hand-computed values (spike trains: test_spike_statistics)."""

import numpy as np
import pytest

from neurosim.analysis import confusion_matrix, mean_sd, row_normalise


def test_confusion_matrix_matches_hand_count():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    expected = np.array([[1, 1, 0], [0, 2, 1], [1, 0, 0]])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, 3), expected)


def test_confusion_matrix_keeps_absent_classes_and_rejects_bad_labels():
    assert confusion_matrix([0], [0], 4).shape == (4, 4)
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([0, 3], [0, 1], 3)


def test_row_normalise_leaves_empty_rows_zero():
    fractions = row_normalise(np.array([[1, 3], [0, 0]]))
    np.testing.assert_allclose(fractions, [[0.25, 0.75], [0, 0]])


def test_mean_sd_uses_sample_sd_and_ignores_nan():
    assert mean_sd([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1.0))
    assert mean_sd([0.5, np.nan]) == (0.5, 0.0)
    assert all(np.isnan(mean_sd([])))
