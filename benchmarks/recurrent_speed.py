"""How much do neurosim's recurrent paths cost? Training sequences per second, side by side.

Three loops train the same LSTM (sizes of `adding`: 2 inputs, one value read after the last
step) on the same random sequences for one epoch each, interleaved over several rounds:

- bare: `nn.LSTM` + `nn.Linear`, `torch.optim.Adam`, MSE, gradient clipping: what anyone writes.
- fused: the `lstm` learner's loop, the Trainer with the BPTT objective on the fused path.
- readable: the same loop on the readable cells (a Python loop over steps).

Acceptance: fused within 10 % of bare. Prints the median sequences per second of each and the
ratios to bare. The Trainer builds Adam with torch's fused kernel (`make_optimizer`), the bare loop
with torch's default, so fused may come out ahead. On a shared machine rates swing from round to
round: the rounds interleave the loops, so a busy spell slows all three alike.

    .venv/bin/python benchmarks/recurrent_speed.py [--steps 100] [--hidden 64] [--batch 32]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurosim.deep.bptt import SequenceObjective
from neurosim.deep.learners.recurrent import LSTMLearner
from neurosim.deep.trainer import Trainer
from neurosim.learner import Budget
from neurosim.tasks.base import Split
from neurosim.tasks.sequences import SequenceTask

CLIP = 1.0  # the learners' default clip_grad_norm
LR = 0.01


def random_data(n: int, steps: int, seed: int = 0) -> Split:
    rng = np.random.default_rng(seed)
    return Split(rng.random((n, steps, 2), dtype=np.float32), rng.random(n))


def bare(data: Split, hidden: int, batch: int) -> float:
    """Seconds for one epoch of a hand-written loop."""
    torch.manual_seed(0)
    lstm, readout = nn.LSTM(2, hidden, batch_first=True), nn.Linear(hidden, 1)
    params = [*lstm.parameters(), *readout.parameters()]
    optimizer = torch.optim.Adam(params, lr=LR)
    x, y = torch.as_tensor(data.x), torch.as_tensor(data.y, dtype=torch.float32)
    start = time.perf_counter()
    for index in torch.randperm(len(x)).split(batch):
        out, _ = lstm(x[index])
        loss = F.mse_loss(readout(out[:, -1])[:, 0], y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, CLIP)
        optimizer.step()
    return time.perf_counter() - start


def neurosim_loop(path: str) -> Callable[[Split, int, int], float]:
    def run(data: Split, hidden: int, batch: int) -> float:
        """Seconds for one epoch of the Trainer, as the `lstm` learner sets it up."""
        learner = LSTMLearner(hidden=hidden, path=path)
        task = SequenceTask(
            name="adding",
            seed=0,
            splits={"train": data},
            n_outputs=1,
            target="value",
            per_step=False,
            lag=data.x.shape[1],
            baseline_loss=1 / 6,
            baseline="",
        )
        trainer = Trainer(
            optimizer="adam",
            lr=LR,
            default_epochs=1,
            batch_size=batch,
            device="cpu",
            objective=SequenceObjective("value", False, task.score),
            clip_grad_norm=CLIP,
        )
        start = time.perf_counter()
        trainer.fit(lambda: learner.build(task), data, None, Budget(epochs=1), seed=0)
        return time.perf_counter() - start

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--sequences", type=int, default=1024, help="per epoch (fused, bare)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (experiments: 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    loops = {"bare": bare, "fused": neurosim_loop("fused"), "readable": neurosim_loop("readable")}
    sizes = {"bare": args.sequences, "fused": args.sequences, "readable": args.sequences // 4}
    data = {name: random_data(n, args.steps) for name, n in sizes.items()}
    rates: dict[str, list[float]] = {name: [] for name in loops}
    for loop in loops.values():  # warm-up: allocator, lazy init
        loop(random_data(2 * args.batch, args.steps), args.hidden, args.batch)
    for _ in range(args.rounds):
        for name, loop in loops.items():
            rates[name].append(sizes[name] / loop(data[name], args.hidden, args.batch))

    print(
        f"LSTM, {args.steps} steps, hidden {args.hidden}, batch {args.batch}, "
        f"{args.threads} torch thread(s), median of {args.rounds} rounds"
    )
    base = statistics.median(rates["bare"])
    for name, values in rates.items():
        median = statistics.median(values)
        spread = f"{min(values):.0f}-{max(values):.0f}"
        print(f"{name:>9}: {median:8.0f} sequences/s ({spread})  ratio to bare {median / base:.3f}")
    fused = statistics.median(rates["fused"]) / base
    verdict = "PASS" if fused >= 0.9 else "FAIL"
    print(f"acceptance (fused within 10 % of bare): {verdict} ({fused:.3f})")


if __name__ == "__main__":
    main()
