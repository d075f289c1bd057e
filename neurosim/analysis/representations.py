"""Representations compared: RDMs (rsatoolbox) and linear CKA, for layers shown the same stimuli.

Two learners represent a probe set alike when the stimuli one finds similar the other finds similar
too, whatever their units (spike counts, ReLU activations, logits, pixels). Representational
similarity analysis (Kriegeskorte et al. 2008) compares the stimulus-by-stimulus dissimilarity
matrices by rank (Spearman, or Kendall's tau-a, which rsatoolbox recommends when a model predicts
tied dissimilarities); linear CKA (Kornblith et al. 2019) compares the centred responses directly
and is invariant to rotations and isotropic scaling of either.

rsatoolbox takes seconds to import, so it is imported where it is used: a report without
representations never pays for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

import numpy as np

RdmMethod = Literal["correlation", "euclidean"]
CompareMethod = Literal["spearman", "tau-a"]
MEASURES: tuple[str, ...] = ("spearman", "tau-a", "cka")


def rdm(
    responses: np.ndarray, method: RdmMethod = "correlation", square: bool = False
) -> np.ndarray:
    """The dissimilarity of every pair of stimuli (rows of `responses`, stimuli x units).

    "correlation": 1 - Pearson r of the two response patterns; "euclidean": their squared
    distance per unit (rsatoolbox's). Condensed (upper triangle, row by row, as scipy's
    `squareform`) unless `square`. A stimulus that every unit answers alike (silence, say) has
    no correlation with anything: its entries are NaN, and `compare_rdms` leaves them out.
    """
    from rsatoolbox.data import Dataset
    from rsatoolbox.rdm import calc_rdm

    values = np.asarray(responses, dtype=np.float64)
    if values.ndim != 2 or len(values) < 2:
        raise ValueError("an RDM needs responses of shape (stimuli >= 2, units)")
    with np.errstate(invalid="ignore", divide="ignore"):
        rdms = calc_rdm(Dataset(values), method=method)
    return rdms.get_matrices()[0] if square else rdms.get_vectors()[0]


def condensed(matrix: np.ndarray) -> np.ndarray:
    """An RDM as its upper triangle (row by row); condensed vectors pass through."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim == 1:
        return matrix
    return matrix[np.triu_indices(len(matrix), k=1)]


def compare_rdms(a: np.ndarray, b: np.ndarray, method: CompareMethod = "spearman") -> float:
    """Rank agreement of two RDMs of the same stimuli (square or condensed), over the pairs both
    define: "spearman" (rho) or "tau-a" (Kendall's tau without tie correction)."""
    from rsatoolbox.rdm import compare

    x, y = condensed(a), condensed(b)
    if x.shape != y.shape:
        raise ValueError("RDMs of different stimulus sets cannot be compared")
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 2:
        return float("nan")
    return float(compare(x[keep][None], y[keep][None], method=method)[0, 0])


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear centred kernel alignment of two responses to the same stimuli (rows).

    CKA = <K, L> / (|K| |L|) with K = Xc Xc^T and L = Yc Yc^T the Gram matrices of the
    column-centred responses (Kornblith et al. 2019, eq. 5 with linear kernels): 1 for the same
    representation up to rotation and isotropic scaling, near 0 for unrelated ones.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) != len(y):
        raise ValueError("CKA needs responses to the same stimuli (the same number of rows)")
    k = _gram(x)
    gram_y = _gram(y)
    denominator = np.linalg.norm(k) * np.linalg.norm(gram_y)
    return float(np.sum(k * gram_y) / denominator) if denominator > 0 else float("nan")


def _gram(values: np.ndarray) -> np.ndarray:
    centred = values.reshape(len(values), -1) - values.reshape(len(values), -1).mean(axis=0)
    return centred @ centred.T


@dataclasses.dataclass(frozen=True)
class Similarity:
    """Representation-by-representation similarity under each measure (rows/columns: `names`)."""

    names: list[str]
    matrices: dict[str, np.ndarray]  # measure -> (len(names), len(names))


def representation_similarity(
    responses: Mapping[str, np.ndarray],
    measures: tuple[str, ...] = MEASURES,
    method: RdmMethod = "correlation",
) -> Similarity:
    """Every pair of representations of the same stimuli compared: RDMs by "spearman" and
    "tau-a", responses by "cka". Symmetric, with the self-similarity on the diagonal."""
    names = list(responses)
    unknown = set(measures) - set(MEASURES)
    if unknown:
        raise ValueError(f"unknown measures {sorted(unknown)}; known: {', '.join(MEASURES)}")
    rdms = {name: rdm(values, method) for name, values in responses.items()}
    matrices = {measure: np.eye(len(names)) for measure in measures}
    for i, first in enumerate(names):
        for j in range(i + 1, len(names)):
            second = names[j]
            for measure in measures:
                if measure == "cka":
                    value = linear_cka(responses[first], responses[second])
                else:
                    value = compare_rdms(rdms[first], rdms[second], measure)  # type: ignore[arg-type]
                matrices[measure][i, j] = matrices[measure][j, i] = value
    return Similarity(names, matrices)
