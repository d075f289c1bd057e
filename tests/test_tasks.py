"""The digits task: deterministic, stratified, disjoint splits in [0, 1]."""

import numpy as np
import pytest

from neurosim.errors import ParameterError
from neurosim.tasks import make_task


def _rows(split):
    return {row.tobytes() for row in split.x}


def test_splits_are_deterministic_for_a_seed():
    a, b = make_task("digits", 3), make_task("digits", 3)
    for name in a.splits:
        np.testing.assert_array_equal(a.split(name).x, b.split(name).x)
        np.testing.assert_array_equal(a.split(name).y, b.split(name).y)


def test_different_seeds_give_different_splits_unless_split_seed_is_fixed():
    assert not np.array_equal(
        make_task("digits", 0).split("test").y, make_task("digits", 1).split("test").y
    )
    fixed = [make_task("digits", s, split_seed=7).split("test").y for s in (0, 1)]
    np.testing.assert_array_equal(*fixed)


def test_splits_cover_the_dataset_without_overlap():
    task = make_task("digits", 0)
    sizes = {name: len(split) for name, split in task.splits.items()}
    assert sizes == {"train": 1257, "val": 180, "test": 360}
    # the digits set has a few duplicate images; compare indices via exact row identity counts
    train, val, test = (_rows(task.split(n)) for n in ("train", "val", "test"))
    assert len(train & test) <= 2 and len(train & val) <= 2 and len(val & test) <= 2


def test_splits_are_stratified_and_scaled():
    task = make_task("digits", 0)
    for split in task.splits.values():
        assert split.x.min() >= 0 and split.x.max() <= 1
        shares = np.bincount(split.y, minlength=10) / len(split)
        assert np.all(np.abs(shares - 0.1) < 0.02)


def test_subset_is_stratified():
    task = make_task("digits", 0, subset=200)
    assert sum(len(s) for s in task.splits.values()) == 200
    assert set(np.unique(task.split("train").y)) == set(range(10))


def test_bad_parameter_names_the_field():
    with pytest.raises(ParameterError, match="test_fractoin"):
        make_task("digits", 0, test_fractoin=0.2)
    with pytest.raises(ParameterError, match="subset"):
        make_task("digits", 0, subset=10)
