"""The one supervised training loop: minibatches on a device, within a Budget, keeping the best
val model, logging History rows, with callbacks watching.

Every supervised torch learner trains through it (classifiers, recurrent nets), so budgets, early
stopping and learning curves mean the same thing for each; an Objective says what is minimised
and scored. It owns the device: models are built on the CPU and moved here.
Runs are reproducible from the seed: torch's generator is seeded before the model is built
(its init draws from it) and numpy's Generator draws one permutation per epoch.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from neurosim.deep.callbacks import Callback, TrainState
from neurosim.deep.device import apply_thread_limit, is_device_name, resolve_device
from neurosim.deep.objectives import Classification, Data, Objective
from neurosim.deep.optimizers import make_optimizer
from neurosim.learner import Budget, History, Stopwatch


@dataclasses.dataclass
class TrainResult:
    """The trained model (the best val one where there is a val split) and how it got there."""

    model: nn.Module
    device: torch.device
    history: History
    best_epoch: int  # the epoch whose model was kept (the last one without a val split)


class BestModel:
    """The weights with the best val score so far (higher is better); ties go to the later epoch,
    which has trained longer (on a small val split accuracies tie often)."""

    def __init__(self) -> None:
        self.score = -float("inf")
        self.epoch = 0
        self.state: dict[str, torch.Tensor] | None = None

    def offer(self, epoch: int, score: float, model: nn.Module) -> None:
        if score >= self.score:
            self.score, self.epoch = score, epoch
            self.state = {key: value.clone() for key, value in model.state_dict().items()}

    def restore(self, model: nn.Module) -> None:
        if self.state is not None:
            model.load_state_dict(self.state)


# The parameters every learner on the Trainer has, under these names (Trainer.from_params).
TRAINING_FIELDS = (
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "batch_size",
    "patience",
    "device",
)


def training_checks(p: object) -> list[tuple[str, bool, str]]:
    """`check_fields` rows for the TRAINING_FIELDS (the optimizer's name is checked by its
    Literal type), so every learner on the Trainer refuses a bad value in the same words."""
    return [
        ("lr", math.isfinite(p.lr) and p.lr > 0, "must be a finite number > 0"),
        ("momentum", 0 <= p.momentum < 1, "must be in [0, 1)"),
        ("weight_decay", p.weight_decay >= 0, "must be >= 0"),
        ("batch_size", p.batch_size >= 1, "must be >= 1"),
        ("patience", p.patience is None or p.patience >= 0, "must be >= 0"),
        ("device", is_device_name(p.device), "must be 'auto' or a torch device"),
    ]


class Trainer:
    """Minibatch backprop on an Objective's losses, with early stopping on its val figure.

    The default objective is cross-entropy, keeping the best val accuracy. Each epoch visits the
    training set in a fresh random order, cut short by a `samples` budget (exactly that many
    samples in all) or by `wall_time_s` (checked after every batch). A batch gives one optimizer
    step per loss the objective yields for it. With `clip_grad_norm` the gradient of every step
    is rescaled to at most that L2 norm (all parameters together) before the optimizer uses it.
    With a val split the best val model is kept and `patience` epochs without a new best stop
    training (0 or None: never). One History row per epoch: epoch, samples, train_loss (the mean
    of each batch's mean loss, weighted by batch size), the objective's train figures (for
    classification train_accuracy) and, with a val split, its val figures (val_accuracy).
    """

    def __init__(
        self,
        *,
        optimizer: str,
        lr: float,
        default_epochs: int,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        batch_size: int = 32,
        patience: int | None = None,
        device: str = "auto",
        callbacks: Sequence[Callback] = (),
        objective: Objective | None = None,
        clip_grad_norm: float | None = None,
        l1: float = 0.0,
        keep_best: bool = True,
    ):
        self.optimizer = optimizer
        self.lr = lr
        self.default_epochs = default_epochs
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.patience = patience
        self.device = device
        self.callbacks = list(callbacks)
        self.objective = objective if objective is not None else Classification()
        self.clip_grad_norm = clip_grad_norm
        self.l1 = l1
        self.keep_best = keep_best

    @classmethod
    def from_params(cls, params: object, default_epochs: int, **options: object) -> Trainer:
        """A Trainer from a learner's parameters: the fields every trained learner shares
        (optimizer, lr, momentum, weight_decay, batch_size, patience, device), plus `options`."""
        fields = {name: getattr(params, name) for name in TRAINING_FIELDS}
        return cls(default_epochs=default_epochs, **fields, **options)

    def fit(
        self,
        build_model: Callable[[], nn.Module],
        train: Data | Callable[[int], Data],
        val: Data | None,
        budget: Budget,
        seed: int,
    ) -> TrainResult:
        """Seed, build the model with `build_model` (on the CPU), move it and train it.

        `train` may be a function of the epoch (from 1) returning that epoch's data: tasks that
        re-draw distortions or augment do so there.
        """
        apply_thread_limit()
        clock = Stopwatch(budget)
        device = resolve_device(self.device)
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        draw = train if callable(train) else None
        x, y = self.objective.to_tensors(draw(1) if draw else train, device)
        val_tensors = self.objective.to_tensors(val, device) if val is not None else None
        model = build_model().to(device)
        optimizer = make_optimizer(
            self.optimizer,
            model.parameters(),
            self.lr,
            self.momentum,
            self.weight_decay,
            device.type,
        )
        state = TrainState(model=model, optimizer=optimizer, history=History())
        best = BestModel()
        for callback in self.callbacks:
            callback.on_fit_start(state)
        for epoch in range(1, budget.resolve_epochs(self.default_epochs) + 1):
            if draw is not None and epoch > 1:
                x, y = self.objective.to_tensors(draw(epoch), device)
            order = rng.permutation(len(y))
            if budget.samples is not None:
                order = order[: max(budget.samples - state.samples, 0)]
            if len(order) == 0:
                break
            state.epoch = epoch
            train_loss = self._train_epoch(state, x, y, order, clock)
            row = {
                "epoch": epoch,
                "samples": state.samples,
                "train_loss": train_loss,
                **self.objective.train_metrics(model, x, y),
            }
            if val_tensors is None:
                best.epoch = epoch  # nothing to choose by: the last model is the kept one
            else:
                row.update(self.objective.val_metrics(model, *val_tensors))
                best.offer(epoch, self.objective.selection(row), model)
            state.history.log(**row)
            for callback in self.callbacks:
                callback.on_epoch_end(state)
            if (
                clock.expired()
                or (budget.samples is not None and state.samples >= budget.samples)
                or (self.patience and epoch - best.epoch >= self.patience)
            ):
                break
        if self.keep_best:
            best.restore(model)
        else:
            best.epoch = state.epoch
        for callback in self.callbacks:
            callback.on_fit_end(state)
        return TrainResult(model, device, state.history, best.epoch)

    def _l1_penalty(self, model: nn.Module) -> torch.Tensor:
        """l1 * sum|w| over parameters with two or more dimensions: weights, not biases."""
        weights = [p for p in model.parameters() if p.dim() > 1]
        return self.l1 * torch.stack([w.abs().sum() for w in weights]).sum()

    def _train_epoch(
        self,
        state: TrainState,
        x: torch.Tensor,
        y: torch.Tensor,
        order: np.ndarray,
        clock: Stopwatch,
    ) -> float:
        """One pass over `order` in minibatches (stopped early by the clock); the mean loss.

        A batch counts towards `samples` from its first optimizer step on.
        """
        model, optimizer = state.model, state.optimizer
        model.train()
        loss_sum = torch.zeros((), device=x.device)  # summed on the device: no sync per batch
        seen = 0
        for batch in torch.from_numpy(order).to(x.device).split(self.batch_size):
            batch_losses = []
            for loss in self.objective.losses(model, x[batch], y[batch]):
                optimizer.zero_grad(set_to_none=True)
                state.loss = loss
                (loss + self._l1_penalty(model) if self.l1 else loss).backward()
                for callback in self.callbacks:
                    callback.on_before_step(state)
                if self.clip_grad_norm is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), self.clip_grad_norm)
                optimizer.step()
                state.step += 1
                if not batch_losses:
                    state.samples += len(batch)
                batch_losses.append(loss.detach())
                for callback in self.callbacks:
                    callback.on_batch_end(state)
            loss_sum += torch.stack(batch_losses).mean() * len(batch)
            seen += len(batch)
            if clock.expired():
                break
        return (loss_sum / seen).item()
