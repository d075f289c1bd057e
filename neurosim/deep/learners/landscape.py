"""`mlp-landscape`: an mlp that, once trained, looks at the loss landscape it trained on.

It trains exactly as `mlp` (same Trainer, same seed: the same network), watching the weights with
ParameterSnapshots, and trains a second network from another seed for mode connectivity. Then it
measures, on a fixed subsample of the training set (the test split for the test lines):
the loss along init -> solution and solution -> partner's solution, a filter-normalised 2-D
slice around the solution, the loss on the plane of the trajectory's principal directions with
the trajectory projected onto it, and the Hessian's top eigenvalues and negative fraction at
several snapshots along training. Everything is recorded as `arrays` artifacts; the headline
figures (sharpness, rise, barrier, negative fractions) are metrics.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurosim.analysis.landscape import barrier, between, max_rise
from neurosim.deep.callbacks import FirstLayerAtStart, ParameterSnapshots
from neurosim.deep.hessian import (
    hessian_vector_product,
    n_parameters,
    negative_fraction,
    spectral_density,
)
from neurosim.deep.landscape import (
    assign,
    classification_probe,
    covering_grid,
    filter_normalised_direction,
    flatten,
    flatten_snapshot,
    interpolate,
    plane,
    trajectory_plane,
)
from neurosim.deep.learners.mlp import MLPLearner, MLPParams
from neurosim.deep.objectives import to_tensors
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS
from neurosim.tasks.base import ClassificationTask, Split

LANDSCAPE_METRICS = (
    "sharpness",
    "init_max_rise",
    "seed_barrier",
    "negative_fraction_init",
    "negative_fraction_solution",
)


@dataclasses.dataclass
class LandscapeParams(MLPParams):
    """MLPParams plus how finely the landscape is looked at.

    `landscape_samples` training samples (a seeded subsample) score every line, slice and Hessian;
    the lines run over alpha in [-line_margin, 1 + line_margin] at `line_points` points; the
    slices are `grid` x `grid`, the random one over [-span, span] in units of the filter-normalised
    direction (1 = a step as long as each row of the solution). About `snapshots` snapshots are
    taken over the epoch budget; the Hessian is examined at `hessian_points` of them (first and
    last included) with `lanczos_steps` Lanczos steps and `slq_probes` SLQ probe vectors.
    The partner network for mode connectivity trains from seed + `partner_seed_offset`.
    With `steps` both networks train for that many optimizer steps (rounded up to whole epochs)
    in place of the epoch budget: a batch-size sweep then compares minima reached after equal
    optimisation, not large batches stopped early (Keskar et al. trained every batch size to
    convergence).
    Lanczos resolves the spectrum to about its width / `lanczos_steps`: on digits at
    initialisation 20 steps put the bulk of near-zero eigenvalues below zero (88 % "negative"
    against a dense count of 10 %), 40 steps give 8 %.
    """

    landscape_samples: int = 500
    line_points: int = 25
    line_margin: float = 0.25
    grid: int = 21
    span: float = 1.0
    snapshots: int = 40
    hessian_points: int = 6
    lanczos_steps: int = 40
    slq_probes: int = 5
    partner_seed_offset: int = 1000
    steps: int | None = None

    def validate(self, owner: str) -> None:
        super().validate(owner)
        check_fields(
            owner,
            self,
            [
                ("landscape_samples", self.landscape_samples >= 1, "must be >= 1"),
                ("line_points", self.line_points >= 3, "must be >= 3"),
                ("line_margin", 0 <= self.line_margin <= 1, "must be in [0, 1]"),
                ("grid", self.grid >= 3, "must be >= 3"),
                ("span", math.isfinite(self.span) and self.span > 0, "must be a number > 0"),
                ("snapshots", self.snapshots >= 2, "must be >= 2"),
                ("hessian_points", self.hessian_points >= 2, "must be >= 2"),
                ("lanczos_steps", self.lanczos_steps >= 2, "must be >= 2"),
                ("slq_probes", self.slq_probes >= 1, "must be >= 1"),
                ("partner_seed_offset", self.partner_seed_offset != 0, "must not be 0"),
                ("steps", self.steps is None or self.steps >= 1, "must be >= 1"),
            ],
        )


@LEARNERS.register("mlp-landscape")
class LandscapeLearner(MLPLearner):
    """mlp, then its loss landscape: lines, slices, trajectory plane and Hessian spectra."""

    name = "mlp-landscape"
    Params = LandscapeParams
    metrics = ("accuracy", *LANDSCAPE_METRICS)
    artifacts = MLPLearner.artifacts  # its landscapes are arrays too

    def fit(self, task: ClassificationTask, budget: Budget, recorder: Recorder) -> History:
        p = self.params
        if p.steps is not None:
            epochs = math.ceil(p.steps / math.ceil(len(task.split("train").y) / p.batch_size))
            budget = dataclasses.replace(budget, epochs=epochs)
        snapshots, start = (
            ParameterSnapshots(self._snapshot_every(task, budget)),
            FirstLayerAtStart(),
        )
        result = self.train(task, budget, task.seed, callbacks=[snapshots, start])
        self.initial_weights_ = start.weights
        partner = self.train(task, budget, task.seed + p.partner_seed_offset)
        self.model_, self.device_ = result.model, result.device
        self.history_, self.best_epoch_ = result.history, result.best_epoch
        model = copy.deepcopy(result.model).cpu()
        steps_and_path = snapshots.arrays()
        path = torch.from_numpy(flatten_snapshot(model, steps_and_path)).to(torch.float32)
        arrays = self._landscape(task, model, path, flatten(partner.model))
        arrays["hessian"] = self._hessian_along(task, model, path, steps_and_path["steps"])
        self.scores_ = self._scores(arrays)
        if recorder.enabled:
            for name, found in arrays.items():
                recorder.arrays(f"landscape_{name}", **found)
            self._record(task, recorder)
        return self.history_

    def evaluate(self, task: ClassificationTask, split: str) -> dict[str, float]:
        """Accuracy on `split`; the landscape figures are of the training loss, the same for
        every split."""
        return super().evaluate(task, split) | self.scores_

    def _snapshot_every(self, task: ClassificationTask, budget: Budget) -> int:
        """Steps between snapshots so that the epoch (or sample) budget gives ~`snapshots`."""
        p = self.params
        n_train = len(task.split("train").y)
        steps = budget.resolve_epochs(self.default_epochs) * math.ceil(n_train / p.batch_size)
        if budget.samples is not None:
            steps = min(steps, math.ceil(budget.samples / p.batch_size))
        return max(1, steps // p.snapshots)

    def _subsample(self, task: ClassificationTask) -> tuple[torch.Tensor, torch.Tensor]:
        train = task.split("train")
        rng = np.random.default_rng(task.seed)
        keep = rng.permutation(len(train.y))[: self.params.landscape_samples]
        return to_tensors(Split(train.x[keep], train.y[keep]), torch.device("cpu"))

    def _landscape(
        self, task: ClassificationTask, model: nn.Module, path: torch.Tensor, other: torch.Tensor
    ) -> dict[str, dict[str, np.ndarray]]:
        p = self.params
        train = classification_probe(*self._subsample(task))
        test = classification_probe(*to_tensors(task.split("test"), torch.device("cpu")))
        solution = flatten(model)
        alphas = np.linspace(-p.line_margin, 1 + p.line_margin, p.line_points)
        lines = {"alphas": alphas}
        for line, start, end in (("init", path[0], solution), ("seed", solution, other)):
            for split, probe in (("train", train), ("test", test)):
                for key, values in interpolate(model, start, end, alphas, probe).items():
                    lines[f"{line}_{split}_{key}"] = values
        generator = torch.Generator().manual_seed(task.seed)
        d1 = filter_normalised_direction(model, generator)
        d2 = filter_normalised_direction(model, generator)
        offsets = np.linspace(-p.span, p.span, p.grid)
        random_slice = {"alphas": offsets, "betas": offsets}
        random_slice |= plane(model, solution, d1, d2, offsets, offsets, train)
        pca = trajectory_plane(path.numpy(), solution.numpy())
        xs = covering_grid(pca.coordinates[:, 0], p.grid)
        ys = covering_grid(pca.coordinates[:, 1], p.grid)
        directions = torch.from_numpy(pca.directions).to(solution.dtype)
        pca_slice = {
            "alphas": xs,
            "betas": ys,
            "coordinates": pca.coordinates,
            "explained": pca.explained,
        }
        pca_slice |= plane(model, solution, directions[0], directions[1], xs, ys, train)
        return {"lines": lines, "slice": random_slice, "pca": pca_slice}

    def _hessian_along(
        self, task: ClassificationTask, model: nn.Module, path: torch.Tensor, steps: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Top-3 eigenvalues and the negative fraction at `hessian_points` snapshots and at the
        kept solution (the last row; its step is the last snapshot's, marked by `is_solution`)."""
        p = self.params
        x, y = self._subsample(task)
        chosen = np.unique(np.linspace(0, len(path) - 1, p.hessian_points).round().astype(int))
        points = [*path[chosen], flatten(model)]
        probe_model = copy.deepcopy(model).eval()
        tops, fractions = [], []
        for point in points:
            assign(probe_model, point)
            hvp = hessian_vector_product(probe_model, lambda: F.cross_entropy(probe_model(x), y))
            n = n_parameters(probe_model)
            density = spectral_density(hvp, n, p.lanczos_steps, p.slq_probes, seed=task.seed)
            tops.append(density.nodes[0][::-1][:3])  # extreme Ritz values converge first
            fractions.append(negative_fraction(density))
        return {
            "steps": np.append(steps[chosen], steps[-1]),
            "is_solution": np.append(np.zeros(len(chosen), bool), True),
            "top": np.array(tops),
            "negative_fraction": np.array(fractions),
        }

    @staticmethod
    def _scores(arrays: dict[str, dict[str, np.ndarray]]) -> dict[str, float]:
        lines, hessian = arrays["lines"], arrays["hessian"]
        alphas = lines["alphas"]
        return {
            "sharpness": float(hessian["top"][-1, 0]),
            "init_max_rise": max_rise(between(alphas, lines["init_train_loss"])),
            "seed_barrier": barrier(between(alphas, lines["seed_train_loss"])),
            "negative_fraction_init": float(hessian["negative_fraction"][0]),
            "negative_fraction_solution": float(hessian["negative_fraction"][-1]),
        }
