"""The control family: what every control agent shares: the budget in env steps, the learning
curve and the metrics.

Agents differ in how they learn; they must not differ in how they are scored. ControlAgent owns
the evaluation schedule (a greedy evaluation every `eval_every` env steps), the record of
training episodes, and the final metrics, so DQN, PPO and a spiking agent land in one table.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import ClassVar

import numpy as np

from neurosim.errors import UserError
from neurosim.learner import Budget, History, Learner, Recorder
from neurosim.metrics import METRICS, Metric
from neurosim.tasks.control import ControlTask, Policy

TRAIN_WINDOW = 10  # training episodes averaged into each curve point


class LearningCurve:
    """Training episodes and greedy evaluations against env steps and wall time.

    Each evaluation becomes one History row: `samples` (= env steps, the shared x axis),
    `env_steps`, `episodes`, `wall_s` (training time only: evaluation time is excluded so agents
    that evaluate more often are not penalised), `eval_return` (mean) and `eval_return_sd`, and
    `train_return` (mean of the last TRAIN_WINDOW training episodes).
    """

    def __init__(self, task: ControlTask, budget_env_steps: int, eval_every: int | None = None):
        self.task = task
        self.budget_env_steps = budget_env_steps
        self.eval_every = task.eval_every or eval_every or max(1, budget_env_steps // 20)
        self.history = History()
        self.episode_returns: list[float] = []
        self.episode_end_steps: list[int] = []
        self.next_eval = self.eval_every
        self.best_return = -np.inf
        self.steps_to_solve: float = np.nan
        self.wall_s_to_solve: float = np.nan
        self._start = time.perf_counter()
        self._excluded = 0.0

    @property
    def wall_s(self) -> float:
        return time.perf_counter() - self._start - self._excluded

    def episode(self, env_steps: int, episode_return: float) -> None:
        self.episode_returns.append(float(episode_return))
        self.episode_end_steps.append(int(env_steps))

    def due(self, env_steps: int) -> bool:
        return env_steps >= self.next_eval

    def evaluate(self, env_steps: int, policy: Policy) -> float:
        """Run the greedy evaluation now, log it, and return its mean (agents keep the best)."""
        wall_s = self.wall_s
        eval_start = time.perf_counter()
        returns = self.task.evaluate_policy(policy)
        self._excluded += time.perf_counter() - eval_start
        self.log(env_steps, wall_s, returns)
        while self.next_eval <= env_steps:
            self.next_eval += self.eval_every
        return float(np.mean(returns))

    def log(self, env_steps: int, wall_s: float, returns: np.ndarray) -> None:
        mean = float(np.mean(returns))
        recent = self.episode_returns[-TRAIN_WINDOW:]
        self.history.log(
            samples=env_steps,
            env_steps=env_steps,
            episodes=len(self.episode_returns),
            wall_s=wall_s,
            eval_return=mean,
            eval_return_sd=float(np.std(returns)),
            train_return=float(np.mean(recent)) if recent else np.nan,
        )
        self.best_return = max(self.best_return, mean)
        if np.isnan(self.steps_to_solve) and mean >= self.task.solved_return:
            self.steps_to_solve, self.wall_s_to_solve = env_steps, wall_s

    def auc(self) -> float:
        """Mean greedy return over the budget: the area under the step-wise evaluation curve
        divided by the budget (the curve holds each value until the next evaluation, and the
        stretch before the first evaluation counts at that first value)."""
        steps = self.history.column("env_steps")
        returns = self.history.column("eval_return")
        if len(steps) == 0:
            return np.nan
        edges = np.append(steps, max(self.budget_env_steps, steps[-1]))
        widths = np.diff(np.concatenate([[0.0], edges[1:]]))
        return float(np.sum(widths * returns) / edges[-1])

    def last_episodes_mean(self, n: int = 50) -> float:
        recent = self.episode_returns[-n:]
        return float(np.mean(recent)) if recent else np.nan


RETURN = {"decimals": 1}  # returns in one style, whatever their size
METRICS.declare(
    Metric(
        "mean_return",
        "mean return of the kept model's final greedy episodes",
        "",
        True,
        True,
        **RETURN,
    ),
    Metric("sd_return", "sd of the final greedy returns", "", **RETURN),
    Metric("best_eval_return", "best mean return of a greedy evaluation", "", True, **RETURN),
    Metric(
        "steps_to_solve",
        "env steps until the greedy mean first reached the threshold",
        "",
        False,
        True,
        decimals=0,
    ),
    Metric(
        "wall_s_to_solve",
        "training wall time until the threshold (evaluations excluded)",
        "s",
        False,
    ),
    Metric(
        "auc_return",
        "mean greedy return over the budget (area under the curve)",
        "",
        True,
        True,
        **RETURN,
    ),
    Metric(
        "last50_train_return",
        "mean return of the last 50 training episodes",
        "",
        True,
        True,
        **RETURN,
    ),
    Metric("train_episodes", "training episodes played", "", decimals=0),
)


class ControlAgent(Learner):
    """A Learner for ControlTasks. Subclasses implement `train` and `act` (greedy)."""

    task_family = ControlTask
    budget_fields = frozenset({"env_steps"})
    metrics = (
        "mean_return",
        "sd_return",
        "best_eval_return",
        "steps_to_solve",
        "wall_s_to_solve",
        "auc_return",
        "last50_train_return",
        "train_episodes",
    )
    artifacts: ClassVar[tuple[str, ...]] = ("json",)  # the training episodes
    # Agents whose budget is not env steps (the spiking agent counts episodes) override these:
    # the env-step budget when the spec gives none (None: the task's), and the evaluation
    # interval when the task sets none (None: 1/20 of the budget).
    default_env_steps: ClassVar[int | None] = None
    default_eval_every: ClassVar[int | None] = None

    def fit(self, task: ControlTask, budget: Budget, recorder: Recorder) -> History:
        if not isinstance(task, ControlTask):
            raise UserError(f"learner '{self.name}' needs a control task, got '{task.name}'")
        env_steps = budget.env_steps or self.default_env_steps or task.spec.default_env_steps
        self.curve_ = LearningCurve(task, env_steps, self.default_eval_every)
        self.train(task, env_steps, self.curve_, recorder)
        self.final_returns_ = task.evaluate_policy(self.act)
        recorder.json(
            "episodes",
            {
                "returns": self.curve_.episode_returns,
                "end_env_steps": self.curve_.episode_end_steps,
            },
        )
        return self.curve_.history

    @abstractmethod
    def train(
        self, task: ControlTask, env_steps: int, curve: LearningCurve, recorder: Recorder
    ) -> None:
        """Interact for `env_steps` steps, reporting episodes and evaluations to `curve`."""

    @abstractmethod
    def act(self, observation: np.ndarray) -> int:
        """The greedy action of the agent as it stands after training (its kept model)."""

    def evaluate(self, task: ControlTask, split: str) -> dict[str, float]:
        """Final greedy evaluation plus the learning-curve figures of the fit."""
        curve = self.curve_
        return {
            "mean_return": float(np.mean(self.final_returns_)),
            "sd_return": float(np.std(self.final_returns_)),
            # NaN, not -inf, when no evaluation ran (a budget shorter than the interval)
            "best_eval_return": float(curve.best_return) if curve.history.rows else np.nan,
            "steps_to_solve": float(curve.steps_to_solve),
            "wall_s_to_solve": float(curve.wall_s_to_solve),
            "auc_return": curve.auc(),
            "last50_train_return": curve.last_episodes_mean(50),
            "train_episodes": float(len(curve.episode_returns)),
        }
