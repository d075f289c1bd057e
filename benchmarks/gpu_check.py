"""CPU or CUDA? One training step of every torch learner, timed on both, at a few sizes.

What `device = "auto"` should pick is a measurement, not a belief: tiny networks lose on a GPU
(every kernel costs a launch, every read-back a sync), large ones win. This times the learners'
own step code (the Trainer's minibatch step for `mlp`, `cnn` and `stn`, `dqn`'s `train_burst`,
`ppo`'s and `reinforce`'s `update`) on `cpu` and, when present, `cuda`, prints ms per step, and for
each learner the crossover: the parameter count from which cuda wins at every larger size
measured. Today's rule lives in neurosim/deep/device.py; the crossover is what it should say.

CPU steps run with the threads the learner would use (the Trainer: torch's default or
NEUROSIM_TORCH_THREADS; the RL agents: one). Without a GPU only the CPU column is filled in.

    python benchmarks/gpu_check.py [--target-s 0.25]

A family with a new torch learner adds its step to CASES (a plain list: a benchmark should run
whatever is installed). Sizes use CartPole's 4 observations and 2 actions, digits' 64
features and 10 classes, and the invariance tasks' 32x32 canvas.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np
import torch

from neurosim.deep.callbacks import Callback, TrainState
from neurosim.deep.device import (
    MAX_CPU_PARAMETERS,
    THREADS_ENV,
    apply_thread_limit,
    use_torch_threads,
)
from neurosim.deep.learners.mlp import MLPParams
from neurosim.deep.models.actor_critic import build_actor_critic
from neurosim.deep.models.convnet import build_cnn
from neurosim.deep.models.mlp import build_mlp
from neurosim.deep.models.q_network import build_q_network
from neurosim.deep.models.spatial_transformer import SpatialTransformer, STClassifier
from neurosim.deep.optimizers import make_optimizer
from neurosim.deep.rl import dqn, ppo, reinforce
from neurosim.deep.rl.replay import ReplayBuffer
from neurosim.deep.trainer import Trainer
from neurosim.learner import Budget
from neurosim.tasks.base import Split

WARMUP = 2  # steps before timing starts (allocations, kernel selection, lazy init)
MAX_STEPS = 2000
N_FEATURES, N_CLASSES = 64, 10  # digits
N_OBSERVATIONS, N_ACTIONS = 4, 2  # CartPole
CANVAS = (32, 32)  # the invariance tasks' images
EPISODE_LENGTH = 200  # transitions in one REINFORCE update


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def count(*nets: torch.nn.Module) -> int:
    return sum(p.numel() for net in nets for p in net.parameters())


@dataclasses.dataclass(frozen=True)
class Case:
    """One learner at one size: `seconds_per_step(device, n)` times n steps after a warm-up."""

    learner: str
    size: str
    batch: int
    parameters: int
    set_threads: Callable[[], None]  # what the learner itself does to torch's CPU threads
    seconds_per_step: Callable[[torch.device, int], float]


class StepTimer(Callback):
    """Times the Trainer's steps `start`+1 .. `stop`, synchronising only at those two ends so
    the device queue runs as full as in a real fit."""

    def __init__(self, start: int, stop: int):
        self.start, self.stop = start, stop
        self.times: dict[int, float] = {}

    def on_batch_end(self, state: TrainState) -> None:
        if state.step in (self.start, self.stop):
            synchronize(next(state.model.parameters()).device)
            self.times[state.step] = time.perf_counter()

    def seconds_per_step(self) -> float:
        return (self.times[self.stop] - self.times[self.start]) / (self.stop - self.start)


def trainer_case(
    learner: str, size: str, build: Callable[[], torch.nn.Module], n_features: int, batch: int
) -> Case:
    """The Trainer's minibatch step (Adam, cross-entropy) for a classifier built by `build`."""

    def seconds_per_step(device: torch.device, n: int) -> float:
        timer = StepTimer(WARMUP, WARMUP + n)
        samples = (WARMUP + n) * batch  # one epoch of exactly the steps timed
        rng = np.random.default_rng(0)
        data = Split(rng.random((samples, n_features)), rng.integers(0, N_CLASSES, samples))
        trainer = Trainer(
            optimizer="adam",
            lr=1e-3,
            default_epochs=1,
            batch_size=batch,
            device=str(device),
            callbacks=[timer],
        )
        trainer.fit(build, data, None, Budget(), seed=0)
        return timer.seconds_per_step()

    return Case(learner, size, batch, count(build()), apply_thread_limit, seconds_per_step)


def mlp_case(hidden: list[int], batch: int) -> Case:
    p = MLPParams(hidden=hidden, batch_size=batch)
    return trainer_case(
        "mlp",
        f"hidden {hidden}",
        lambda: build_mlp(N_FEATURES, hidden, N_CLASSES, p.activation, p.dropout),
        N_FEATURES,
        batch,
    )


def image_case(learner: str, channels: list[int], batch: int) -> Case:
    """`cnn` or `stn` (affine transformer in front of the same cnn) on 32x32 canvas digits."""

    def build() -> torch.nn.Module:
        cnn = build_cnn(CANVAS, N_CLASSES, channels, 5, 128, 0.0)
        return cnn if learner == "cnn" else STClassifier(SpatialTransformer(CANVAS), cnn)

    return trainer_case(learner, f"channels {channels}", build, CANVAS[0] * CANVAS[1], batch)


def dqn_case(net_arch: list[int], batch: int) -> Case:
    p = dqn.DQNParams(net_arch=net_arch, batch_size=batch)

    def seconds_per_step(device: torch.device, n: int) -> float:
        q_network = build_q_network(N_OBSERVATIONS, net_arch, N_ACTIONS).to(device)
        target = build_q_network(N_OBSERVATIONS, net_arch, N_ACTIONS).to(device)
        target.requires_grad_(False)
        optimizer = make_optimizer(
            p.optimizer, q_network.parameters(), p.lr, device_type=device.type
        )
        rng = np.random.default_rng(0)
        buffer = ReplayBuffer(10_000, N_OBSERVATIONS)
        for _ in range(10_000):
            observation = rng.normal(size=N_OBSERVATIONS)
            buffer.add(observation, int(rng.integers(N_ACTIONS)), 1.0, observation, False)

        def burst(steps: int) -> None:
            params = dataclasses.replace(p, gradient_steps=steps)
            dqn.train_burst(params, buffer, rng, q_network, target, optimizer)
            synchronize(device)

        burst(WARMUP)
        start = time.perf_counter()
        burst(n)
        return (time.perf_counter() - start) / n

    net = build_q_network(N_OBSERVATIONS, net_arch, N_ACTIONS)
    return Case(
        "dqn", f"net_arch {net_arch}", batch, count(net), use_torch_threads, seconds_per_step
    )


def ppo_case(hidden: list[int], batch: int) -> Case:
    """A rollout of exactly one minibatch, so each of `n_epochs` passes is one step."""
    p = ppo.PPOParams(hidden=hidden, batch_size=batch)

    def seconds_per_step(device: torch.device, n: int) -> float:
        actor, critic = (
            net.to(device) for net in build_actor_critic(N_OBSERVATIONS, hidden, N_ACTIONS)
        )
        parameters = [*actor.parameters(), *critic.parameters()]
        optimizer = make_optimizer(p.optimizer, parameters, p.lr, device_type=device.type)
        rollout = ppo.Batch(
            observations=torch.randn(batch, N_OBSERVATIONS, device=device),
            actions=torch.randint(0, N_ACTIONS, (batch,), device=device),
            log_probs=torch.full((batch,), -math.log(N_ACTIONS), device=device),
            advantages=torch.randn(batch, device=device),
            returns=torch.randn(batch, device=device),
        )

        def passes(epochs: int) -> None:
            params = dataclasses.replace(p, n_epochs=epochs)
            ppo.update(params, actor, critic, optimizer, rollout, p.clip_range)
            synchronize(device)

        passes(WARMUP)
        start = time.perf_counter()
        passes(n)
        return (time.perf_counter() - start) / n

    nets = build_actor_critic(N_OBSERVATIONS, hidden, N_ACTIONS)
    return Case("ppo", f"hidden {hidden}", batch, count(*nets), use_torch_threads, seconds_per_step)


def reinforce_case(hidden: list[int]) -> Case:
    p = reinforce.ReinforceParams(hidden=hidden)

    def seconds_per_step(device: torch.device, n: int) -> float:
        actor, critic = (
            net.to(device) for net in build_actor_critic(N_OBSERVATIONS, hidden, N_ACTIONS)
        )
        optimizers = (
            make_optimizer(p.optimizer, actor.parameters(), p.lr, device_type=device.type),
            make_optimizer(p.optimizer, critic.parameters(), p.value_lr, device_type=device.type),
        )
        observations = torch.randn(EPISODE_LENGTH, N_OBSERVATIONS, device=device)
        actions = torch.randint(0, N_ACTIONS, (EPISODE_LENGTH,), device=device)
        returns = torch.randn(EPISODE_LENGTH, device=device)

        def steps(n_steps: int) -> None:
            for _ in range(n_steps):
                reinforce.update(
                    actor, critic, optimizers, observations, actions, returns, p.normalize_advantage
                )
            synchronize(device)

        steps(WARMUP)
        start = time.perf_counter()
        steps(n)
        return (time.perf_counter() - start) / n

    nets = build_actor_critic(N_OBSERVATIONS, hidden, N_ACTIONS)
    return Case(
        "reinforce",
        f"hidden {hidden}",
        EPISODE_LENGTH,
        count(*nets),
        use_torch_threads,
        seconds_per_step,
    )


def cases() -> list[Case]:
    """Every torch learner's step, defaults first, then wider nets until a GPU should win."""
    return [
        *(mlp_case(hidden, batch) for batch in (32, 512) for hidden in ([100], [1024], [2048] * 2)),
        *(
            image_case(learner, channels, batch)
            for learner in ("cnn", "stn")
            for batch in (64, 512)
            for channels in ([16, 32], [64, 128])
        ),
        *(dqn_case(net_arch, 64) for net_arch in ([256] * 2, [1024] * 2, [2048] * 2)),
        *(ppo_case(hidden, 256) for hidden in ([64] * 2, [256] * 2, [1024] * 2)),
        *(reinforce_case(hidden) for hidden in ([64] * 2, [1024] * 2)),
    ]


def measure(case: Case, device: torch.device, target_s: float, default_threads: int) -> float:
    """Seconds per step: a short run estimates the step, a second one of ~target_s times it."""
    torch.set_num_threads(default_threads)
    case.set_threads()
    torch.manual_seed(0)
    estimate = case.seconds_per_step(device, 2)
    n = int(min(max(target_s / max(estimate, 1e-9), 2), MAX_STEPS))
    return case.seconds_per_step(device, n)


def crossover(rows: list[tuple[int, float, float]]) -> str:
    """The smallest parameter count from which cuda wins at every larger size measured."""
    rows = sorted(rows)
    wins = [cuda < cpu for _, cpu, cuda in rows]
    if not wins[-1]:
        return "cpu wins at the largest size measured: no crossover"
    first = len(wins)
    while first > 0 and wins[first - 1]:
        first -= 1
    if first == 0:
        return f"cuda wins at every size measured (from {rows[0][0]:,} parameters)"
    return f"cuda wins from {rows[first][0]:,} parameters (cpu at {rows[first - 1][0]:,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-s", type=float, default=0.25, help="timed seconds per cell")
    args = parser.parse_args()

    default_threads = torch.get_num_threads()
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
        print(f"cuda: {torch.cuda.get_device_name(0)} (torch {torch.__version__})")
    else:
        print(
            f"cuda: absent (torch {torch.__version__}, CUDA build: {torch.version.cuda}); cpu only"
        )
    print(
        f"cpu: torch default {default_threads} threads; {THREADS_ENV} honoured as the learners do"
    )

    header = f"{'learner':<10} {'size':<22} {'batch':>5} {'params':>10} {'thr':>3}"
    print(f"\n{header} {'cpu ms/step':>12} {'cuda ms/step':>12}  faster")
    results: dict[tuple[str, int], list[tuple[int, float, float]]] = {}
    for case in cases():
        cpu = measure(case, devices[0], args.target_s, default_threads)
        threads = torch.get_num_threads()
        cuda = (
            measure(case, devices[1], args.target_s, default_threads) if len(devices) > 1 else None
        )
        faster = "" if cuda is None else ("cuda" if cuda < cpu else "cpu")
        cuda_text = "–" if cuda is None else f"{cuda * 1e3:.3f}"
        print(
            f"{case.learner:<10} {case.size:<22} {case.batch:>5} {case.parameters:>10,} "
            f"{threads:>3} {cpu * 1e3:>12.3f} {cuda_text:>12}  {faster}",
            flush=True,
        )
        if cuda is not None:
            results.setdefault((case.learner, case.batch), []).append((case.parameters, cpu, cuda))

    print("\ncrossover (where device='auto' should switch to cuda):")
    if not results:
        print("  unknown: cuda is absent here; run this on a machine with a GPU")
    for (learner, batch), rows in results.items():
        print(f"  {learner} (batch {batch}): {crossover(rows)}")
    print(
        "today's rule (neurosim/deep/device.py): mlp, cnn and stn take cuda whenever present "
        f"(resolve_device); the RL agents keep nets of <= {MAX_CPU_PARAMETERS:,} parameters "
        "on the cpu (choose_device)"
    )


if __name__ == "__main__":
    main()
