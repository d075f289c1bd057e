"""`descent`: one point (x, y) moved over a 2-D test function by a torch optimizer, by name.

The six optimizers of `neurosim.deep.optimizers` on a surface whose minima and saddles are known,
so their paths can be drawn and their speed counted in steps. Optional Gaussian gradient noise
(sd `gradient_noise`, seeded from the run's seed) makes the gradients stochastic, as minibatch
gradients are: on a saddle's stable manifold exact gradients never leave it, noisy ones do.

The budget is `samples`: one sample is one gradient evaluation, i.e. one step. Two parameters
gain nothing from a GPU (each step is a few tiny kernels), so the point stays on the CPU, in
float64 so a point on the stable manifold stays exactly on it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from neurosim.deep.optimizers import OptimizerName, make_optimizer
from neurosim.families.optimization import Descent, Point, SurfaceLearner, SurfaceTask
from neurosim.learner import Budget, History, Recorder
from neurosim.params import check_fields
from neurosim.registry import LEARNERS

DEFAULT_STEPS = 1000


@dataclasses.dataclass
class DescentParams:
    """The optimizer, its step size and the gradient noise; `log_every`: steps per History row
    (the trajectory artifact keeps every step)."""

    optimizer: OptimizerName = "sgd"
    lr: float = 1e-3
    momentum: float = 0.9  # used by 'momentum' and 'nesterov' only
    gradient_noise: float = 0.0  # sd of Gaussian noise added to each gradient component
    log_every: int = 10

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("lr", 0 < self.lr < math.inf, "must be a finite number > 0"),
                ("momentum", 0 <= self.momentum < 1, "must be in [0, 1)"),
                ("gradient_noise", 0 <= self.gradient_noise < math.inf, "must be finite, >= 0"),
                ("log_every", self.log_every >= 1, "must be >= 1"),
            ],
        )


def derivatives(task: SurfaceTask, point: Point) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of the task's function at `point`, by autograd."""

    def f(p: torch.Tensor) -> torch.Tensor:
        return task.f(p[0], p[1], torch)

    p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    (gradient,) = torch.autograd.grad(f(p), p)
    hessian = torch.autograd.functional.hessian(f, p.detach())
    return gradient.numpy(), hessian.numpy()


@LEARNERS.register("descent")
class DescentLearner(SurfaceLearner):
    """A point descending a surface with torch.optim; stops early only beyond the task's bound."""

    name = "descent"
    Params = DescentParams
    budget_fields = frozenset({"samples"})

    def fit(self, task: SurfaceTask, budget: Budget, recorder: Recorder) -> History:
        steps = budget.samples if budget.samples is not None else DEFAULT_STEPS
        p = self.params
        point = torch.tensor(task.start, dtype=torch.float64, requires_grad=True)
        optimizer = make_optimizer(p.optimizer, [point], p.lr, p.momentum)
        noise = torch.Generator().manual_seed(task.seed)
        points, losses = [task.start], []
        history = History()
        for step in range(steps + 1):
            optimizer.zero_grad()
            loss = task.f(point[0], point[1], torch)
            losses.append(loss.item())
            last = step == steps or math.hypot(*points[-1]) > task.bound
            if step % p.log_every == 0 or last:
                x, y = points[-1]
                history.log(samples=step, loss=losses[-1], x=x, y=y)
            if last:
                break
            loss.backward()
            if p.gradient_noise > 0:
                point.grad += p.gradient_noise * torch.randn(
                    2, generator=noise, dtype=torch.float64
                )
            optimizer.step()
            points.append(tuple(point.detach().tolist()))
        self.record_descent(recorder, Descent(np.array(points), np.array(losses)))
        return history

    def derivatives(self, task: SurfaceTask, point: Point) -> tuple[np.ndarray, np.ndarray]:
        return derivatives(task, point)
