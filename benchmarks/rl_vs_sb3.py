"""neurosim's `dqn` and `ppo` beside Stable-Baselines3 with the same hyperparameters, same machine.

For each agent and seed, both implementations train on the same seeded environment for the same
env-step budget, one torch thread each, and are scored by the same protocol: a greedy evaluation
of 20 episodes (neurosim's evaluation seeds) every `eval_every` env steps, with evaluation time
left out of the training wall time. Prints, per seed, env steps and wall time until the greedy
mean first reaches the threshold (475 on CartPole-v1), the final greedy mean, and the ratios
neurosim / SB3. Target: wall time to solve no worse than SB3's (ratio <= 1).

Runs alternate (neurosim seed 0, SB3 seed 0, neurosim seed 1, ...) so that load on a shared
machine hits both alike. SB3 is needed for this script only (`make bench-rl` installs it):

    python benchmarks/rl_vs_sb3.py [--agents dqn ppo] [--seeds 0 1 2] [--task cartpole]

neurosim's `dqn` runs twice: as configured by default (double-DQN target) and with
`double_q = false`, SB3's max target, which makes it the same algorithm as SB3's DQN. neurosim's
agents keep the best-evaluated model and SB3 the last, which changes the final score, not the
steps or time to solve. PPO matches SB3's algorithm. Every agent gets rl-baselines3-zoo's
hyperparameters, which are neurosim's defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable

import numpy as np
import torch

from neurosim.deep.rl.dqn import DQNParams
from neurosim.deep.rl.ppo import PPOParams
from neurosim.families.control import LearningCurve
from neurosim.learner import Budget, Recorder
from neurosim.registry import LEARNERS
from neurosim.tasks import make_task
from neurosim.tasks.control import ControlTask

BUDGETS = {"dqn": 50_000, "ppo": 100_000}
# neurosim configurations run beside SB3's agent: label -> learner parameters
VARIANTS = {"dqn": {"dqn": {}, "dqn max-target": {"double_q": False}}, "ppo": {"ppo": {}}}


@dataclasses.dataclass
class Outcome:
    steps_to_solve: float
    wall_s_to_solve: float
    final_return: float
    fit_s: float


def run_neurosim(agent: str, params: dict, task: ControlTask, env_steps: int) -> Outcome:
    learner = LEARNERS.get(agent)(**params)
    start = time.perf_counter()
    learner.fit(task, Budget(env_steps=env_steps), Recorder())
    fit_s = time.perf_counter() - start
    metrics = learner.evaluate(task, "eval")
    return Outcome(
        metrics["steps_to_solve"], metrics["wall_s_to_solve"], metrics["mean_return"], fit_s
    )


def sb3_dqn(task: ControlTask, p: DQNParams):
    from stable_baselines3 import DQN

    return DQN(
        "MlpPolicy",
        task.make_env(),
        learning_rate=p.lr,
        buffer_size=p.buffer_size,
        learning_starts=p.learning_starts,
        batch_size=p.batch_size,
        gamma=p.gamma,
        train_freq=p.train_freq,
        gradient_steps=p.gradient_steps,
        target_update_interval=p.target_update_interval,
        exploration_fraction=p.exploration_fraction,
        exploration_initial_eps=p.exploration_initial_eps,
        exploration_final_eps=p.exploration_final_eps,
        max_grad_norm=p.max_grad_norm,
        policy_kwargs={"net_arch": list(p.net_arch)},
        seed=task.seed,
        device="cpu",
    )


def sb3_ppo(task: ControlTask, p: PPOParams):
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    def linear(start: float) -> Callable[[float], float] | float:
        # SB3 passes the remaining progress, 1 -> 0: rl-zoo's lin_X
        return (lambda remaining: remaining * start) if p.lr_schedule == "linear" else start

    return PPO(
        "MlpPolicy",
        make_vec_env(task.env_id, n_envs=p.n_envs, seed=task.seed),
        learning_rate=linear(p.lr),
        n_steps=p.n_steps,
        batch_size=p.batch_size,
        n_epochs=p.n_epochs,
        gamma=p.gamma,
        gae_lambda=p.gae_lambda,
        clip_range=(lambda r: r * p.clip_range) if p.clip_schedule == "linear" else p.clip_range,
        ent_coef=p.ent_coef,
        vf_coef=p.vf_coef,
        max_grad_norm=p.max_grad_norm,
        normalize_advantage=p.normalize_advantage,
        policy_kwargs={"net_arch": {"pi": list(p.hidden), "vf": list(p.hidden)}},
        seed=task.seed,
        device="cpu",
    )


def run_sb3(agent: str, task: ControlTask, env_steps: int) -> Outcome:
    from stable_baselines3.common.callbacks import BaseCallback

    model = sb3_dqn(task, DQNParams()) if agent == "dqn" else sb3_ppo(task, PPOParams())
    curve = LearningCurve(task, env_steps)  # its clock starts now, with training, as in neurosim

    def greedy(observation: np.ndarray) -> int:
        return int(model.predict(observation, deterministic=True)[0])

    class Evaluate(BaseCallback):
        """neurosim's evaluation schedule and clock, inside SB3's loop."""

        def _on_step(self) -> bool:
            if curve.due(self.num_timesteps):
                curve.evaluate(self.num_timesteps, greedy)
            return True

    start = time.perf_counter()
    model.learn(total_timesteps=env_steps, callback=Evaluate())
    fit_s = time.perf_counter() - start
    final = float(np.mean(task.evaluate_policy(greedy)))
    return Outcome(curve.steps_to_solve, curve.wall_s_to_solve, final, fit_s)


def describe(outcome: Outcome) -> str:
    if np.isnan(outcome.steps_to_solve):
        solved = "not solved"
    else:
        solved = f"{outcome.steps_to_solve / 1000:5.1f}k steps {outcome.wall_s_to_solve:6.1f} s"
    return f"{solved:>24} | final {outcome.final_return:5.1f} | fit {outcome.fit_s:6.1f} s"


def ratio(ours: float, theirs: float) -> str:
    if np.isnan(ours) or np.isnan(theirs) or theirs == 0:
        return "  – "
    return f"{ours / theirs:4.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", nargs="+", choices=sorted(BUDGETS), default=sorted(BUDGETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--task", default="cartpole")
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        import stable_baselines3
    except ImportError:
        raise SystemExit("this benchmark needs stable-baselines3: run `make bench-rl`") from None
    print(f"stable-baselines3 {stable_baselines3.__version__}, torch {torch.__version__}, 1 thread")
    for agent in args.agents:
        env_steps = BUDGETS[agent]
        print(f"\n{agent} on {args.task}, {env_steps} env steps")
        outcomes: dict[str, list[Outcome]] = {label: [] for label in [*VARIANTS[agent], "SB3"]}
        for seed in args.seeds:
            task = make_task(args.task, seed)
            for label, params in VARIANTS[agent].items():
                outcomes[label].append(run_neurosim(agent, params, task, env_steps))
            outcomes["SB3"].append(run_sb3(agent, task, env_steps))
            theirs = outcomes["SB3"][-1]
            print(f"  seed {seed}")
            for label, results in outcomes.items():
                ours = results[-1]
                line = f"    {label:<15} {describe(ours)}"
                if label != "SB3":
                    line += (
                        f" | / SB3: steps {ratio(ours.steps_to_solve, theirs.steps_to_solve)}"
                        f", wall to solve {ratio(ours.wall_s_to_solve, theirs.wall_s_to_solve)}"
                        f", fit {ratio(ours.fit_s, theirs.fit_s)}"
                    )
                print(line, flush=True)
        for label, results in outcomes.items():
            solved = sum(np.isfinite(r.steps_to_solve) for r in results)
            walls = [r.wall_s_to_solve for r in results if np.isfinite(r.wall_s_to_solve)]
            wall = f"{np.mean(walls):.1f} s" if walls else "–"
            print(
                f"  {label:<15} solved {solved}/{len(results)}, mean wall to solve {wall},"
                f" mean fit {np.mean([r.fit_s for r in results]):.1f} s"
            )


if __name__ == "__main__":
    main()
