"""Representations compared: how alike the learners (and the pixels) see the shared probe set.

Every classifier that exposes its layers records them on the task's probe set (the same stimuli
for a spiking circuit and an MLP). Here each recorded layer's RDM is compared with the pixels'
and with every other layer's, seed by seed where both runs saw the same stimuli, by Spearman's
rho and Kendall's tau-a, and the responses themselves by linear CKA.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from neurosim.analysis.classification import mean_sd
from neurosim.analysis.representations import rdm, representation_similarity
from neurosim.metrics import Metric
from neurosim.plotting.representations import plot_rdms, plot_similarity_matrices
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Paragraph, Table, slug
from neurosim.report.grouping import RunGroup, by_task
from neurosim.report.section import section

PIXELS = "pixels"
MEASURES = {"spearman": "Spearman ρ", "tau-a": "Kendall τ_a", "cka": "linear CKA"}
_SIMILARITY = Metric("similarity", decimals=2)

_INTRO = (
    "Each layer's representational dissimilarity matrix (RDM: 1 − Pearson r between its"
    " responses to every pair of the {n} probe stimuli, {probe}) is compared with the pixels'"
    " RDM and with every other layer's, by rank (Spearman ρ; Kendall τ_a, which does not reward"
    " tied dissimilarities); linear CKA (Kornblith et al. 2019) compares the centred responses"
    " themselves and ignores rotations and overall scale. 1 means the same geometry, 0 none in"
    " common. Runs are compared seed by seed, where both saw the same stimuli; values are"
    " mean ± sd over those seeds."
)
_PIXEL_NOTE = (
    "Similarity to the pixels says how much of the input's geometry a layer keeps: a layer that"
    " groups stimuli by class rather than by ink moves away from the pixels. A sparse code (a few"
    " spikes from a few units per stimulus) leaves most pairs of stimuli with no unit in common:"
    " its RDM is flat and noisy, which lowers its similarity to every other representation."
)
_RDM_CAPTION = (
    "RDMs of seed {seed}, stimuli sorted by class (white lines: class boundaries; ticks: the"
    " class of each block). Colours are percentiles within each RDM, so panels share one scale"
    " whatever their units: dark blocks on the diagonal mean the stimuli of a class are"
    " represented alike, a checkerboard means the classes are told apart."
)
_MATRIX_CAPTION = (
    "Similarity of every pair of representations, mean over the seeds both share: left, the"
    " RDMs' Spearman ρ; right, linear CKA of the responses. Numbers are written in each cell."
)


@dataclasses.dataclass
class Recording:
    """One representation of one seed: responses (stimuli x units) and the stimuli shown."""

    values: np.ndarray
    inputs: np.ndarray
    labels: np.ndarray


@section("representations", "Representations compared", 420, needs=("activity",))
def representations(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    compared = [
        (task, probe, series)
        for task, task_groups in by_task(groups).items()
        for probe, series in _recordings(context, task_groups).items()
        if len(series) > 1  # the pixels and at least one learned layer
    ]
    blocks: list[Block] = []
    for task, probe, series in compared:
        blocks += _compared(series, task, probe, several=len(compared) > 1)
    return blocks


def _recordings(
    context: ReportContext, groups: Sequence[RunGroup]
) -> dict[str, dict[str, dict[int, Recording]]]:
    """probe name -> representation name -> seed -> Recording; the pixels first."""
    found: dict[str, dict[str, dict[int, Recording]]] = {}
    for group in groups:
        for run in group.runs:
            entries = context.entries(run, "activity", "representations")
            activity = context.load(run, entries[0]) if entries else None
            if activity is None or "input" not in activity.signals:
                continue
            series = found.setdefault(str(entries[0].meta.get("probe", "")), {PIXELS: {}})
            inputs = activity.signals["input"].values
            labels = np.asarray(activity.meta.get("labels", []), dtype=np.int64)
            series[PIXELS].setdefault(run.seed, Recording(inputs, inputs, labels))
            for layer in activity.meta.get("layers", list(activity.signals)):
                if layer != "input" and layer in activity.signals:
                    values = activity.signals[layer].values
                    name = f"{group.title} · {layer}"
                    series.setdefault(name, {})[run.seed] = Recording(values, inputs, labels)
    return found


def _compared(
    series: dict[str, dict[int, Recording]], task: str, probe: str, several: bool
) -> list[Block]:
    scores = _scores(series)
    names = list(series)
    n_stimuli = len(next(iter(series[PIXELS].values())).inputs)
    blocks: list[Block] = [Heading(f"{task}, {probe}")] if several else []
    blocks.append(Paragraph(_INTRO.format(n=n_stimuli, probe=probe)))
    blocks.append(_table(scores, [(name, PIXELS) for name in names[1:]]))
    blocks.append(Note(_PIXEL_NOTE))
    learned = [pair for pair in combinations(names[1:], 2) if scores[pair]["spearman"]]
    if learned:
        blocks.append(_table(scores, learned))
    blocks += _figures(series, scores, task)
    return blocks


def _scores(series: dict[str, dict[int, Recording]]) -> dict[tuple[str, str], dict[str, list]]:
    """(name, other) -> measure -> one value per seed on which both saw the same stimuli as
    that seed's pixels; both orders of a pair share one dict."""
    scores: dict[tuple[str, str], dict[str, list]] = {}
    for first, second in combinations(series, 2):
        scores[first, second] = scores[second, first] = {measure: [] for measure in MEASURES}
    for seed, pixels in series[PIXELS].items():
        members = {
            name: recordings[seed].values
            for name, recordings in series.items()
            if seed in recordings and _same(recordings[seed].inputs, pixels.inputs)
        }
        similarity = representation_similarity(members, tuple(MEASURES))
        for i, j in combinations(range(len(similarity.names)), 2):
            pair = scores[similarity.names[i], similarity.names[j]]
            for measure, matrix in similarity.matrices.items():
                pair[measure].append(float(matrix[i, j]))
    return scores


def _same(inputs: np.ndarray, other: np.ndarray) -> bool:
    return inputs.shape == other.shape and np.array_equal(inputs, other)


def _table(scores: dict[tuple[str, str], dict[str, list]], pairs: list[tuple[str, str]]) -> Table:
    """One row per pair: each measure's mean ± sd over the seeds compared."""
    with_pixels = all(second == PIXELS for _, second in pairs)
    headers = ["representation", *([] if with_pixels else ["compared with"])]
    rows = []
    for first, second in pairs:
        values = scores[first, second]
        cells = [_SIMILARITY.format(*mean_sd(values[m]), len(values[m])) for m in MEASURES]
        rows.append([first, *([] if with_pixels else [second]), *cells, len(values["spearman"])])
    return Table([*headers, *MEASURES.values(), "seeds"], rows)


def _figures(
    series: dict[str, dict[int, Recording]],
    scores: dict[tuple[str, str], dict[str, list]],
    task: str,
) -> list[Figure]:
    seed = min(series[PIXELS])
    pixels = series[PIXELS][seed]
    n = len(pixels.inputs)
    labels = pixels.labels if len(pixels.labels) == n else np.zeros(n, dtype=np.int64)
    shown = {
        name: rdm(recordings[seed].values, square=True)
        for name, recordings in series.items()
        if seed in recordings and _same(recordings[seed].inputs, pixels.inputs)
    }
    names = list(series)
    matrices = {}
    for measure, title in (("spearman", f"RDMs: {MEASURES['spearman']}"), ("cka", "linear CKA")):
        matrix = np.eye(len(names))
        for i, j in combinations(range(len(names)), 2):
            values = scores[names[i], names[j]][measure]
            matrix[i, j] = matrix[j, i] = np.mean(values) if values else np.nan
        matrices[title] = matrix
    return [
        Figure.from_matplotlib(
            plot_rdms(shown, labels),
            f"rdms_{slug(task)}",
            f"RDMs on the probe set, seed {seed}",
            _RDM_CAPTION.format(seed=seed),
        ),
        Figure.from_matplotlib(
            plot_similarity_matrices(names, matrices),
            f"representation_similarity_{slug(task)}",
            "representation-by-representation similarity",
            _MATRIX_CAPTION,
        ),
    ]
