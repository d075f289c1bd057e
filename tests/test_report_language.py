"""The language family's report: a tiny experiment run end to end (n-grams and a small LSTM on a
short synthetic text), its tables checked against the task's own numbers, and the position
arithmetic checked by hand."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from neurosim.cli import main
from neurosim.report.sections import language as sections
from neurosim.tasks import make_task
from neurosim.tasks.language import EOS_ID

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TASK = {"n_train": 3000, "n_val": 600, "n_test": 600, "vocab_size": 40}
SPEC = """
name = "lm"
description = "tiny language models"
seeds = [0, 1]

[[task]]
name = "lm-synthetic"
n_train = 3000
n_val = 600
n_test = 600
vocab_size = 40

[[learner]]
name = "ngram"
label = "unigram"
order = 1
seeds = [0]

[[learner]]
name = "ngram"
label = "kn-3"
seeds = [0]

[[learner]]
name = "rnnlm"
label = "lstm"
embedding = 8
hidden = 8
layers = 1
bptt = 10
batch_size = 4
epochs = 3
"""
TITLES = (
    "Language models",
    "Perplexity by position in the sentence",
    "Validation perplexity over training",
    "Generated text",
    "Gates over one sentence",
    "Nearest neighbours in the embedding",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("lm")
    spec = folder / "lm.toml"
    spec.write_text(SPEC)
    assert main(["run", str(spec), "--results", str(folder / "results")]) == 0
    report = folder / "results" / "lm" / "report"
    for figure in ("perplexity_by_position", "perplexity_curves"):
        assert (report / f"{figure}.png").stat().st_size > 10_000
    return (report / "report.md").read_text()


def _table(markdown: str, title: str) -> list[list[str]]:
    """The body rows of the section's tables (headers and rules left out)."""
    text = markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines()]
    return [cells for cells in rows if cells and cells[0] not in ("label", "---")]


def _rows(markdown: str, title: str) -> dict[str, list[str]]:
    return {cells[0]: cells for cells in _table(markdown, title)}


def test_every_language_section_is_written(report: str):
    titles = re.findall(r"^## (.+)$", report, flags=re.M)
    assert [t for t in titles if t in TITLES] == list(TITLES)


def test_results_divide_test_perplexity_by_the_tasks_floor(report: str):
    floor = make_task("lm-synthetic", 0, **TASK).floor_perplexity("test")
    rows = _rows(report, "Language models")
    assert set(rows) == {"unigram", "kn-3", "lstm"}
    for cells in rows.values():
        test = float(cells[4].split(" ± ")[0])
        ratio = float(cells[5].split(" ± ")[0])
        assert ratio == pytest.approx(test / floor, abs=2e-3)
        assert ratio > 1  # a model beating the source that wrote the text would be a bug
    assert rows["lstm"][2] == "2" and rows["unigram"][2] == "1"  # its own seeds
    assert f"test {floor:.2f}" in report  # the floor is stated under the table


def test_positions_count_from_each_sentence_start():
    tokens = np.array([5, 6, EOS_ID, 7, EOS_ID, 8])
    np.testing.assert_array_equal(sections._positions(tokens), [1, 2, 3, 1, 2, 1])


def test_perplexity_by_position_pools_the_tail_and_averages_seeds():
    positions = np.array([1, 2, 3, 1, 2, 3, 4])
    seed_a = np.log([0.5, 0.25, 0.1, 0.5, 0.25, 0.2, 0.1])
    seed_b = np.log([0.5, 0.25, 0.4, 0.5, 0.25, 0.2, 0.1])
    got = sections._perplexity_by_position(np.stack([seed_a, seed_b]), positions, last=3)
    tail = -np.mean([(np.log(0.1) + np.log(0.4)) / 2, np.log(0.2), np.log(0.1)])
    np.testing.assert_allclose(got, [2.0, 4.0, math.exp(tail)])


def test_sparse_positions_are_pooled_from_the_first_sparse_one():
    counts = {1: 5000, 2: 3000, 3: 500, 4: 4000}  # position 3 has fewer than the minimum, 1000
    positions = np.concatenate([np.full(n, position) for position, n in counts.items()])
    assert sections._last_position(positions) == 3


def test_every_model_writes_text_at_both_temperatures(report: str):
    drawn = {(cells[0], float(cells[2])) for cells in _table(report, "Generated text")}
    assert drawn == {(label, t) for label in ("unigram", "kn-3", "lstm") for t in (0.7, 1.0)}
