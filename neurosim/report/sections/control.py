"""Sections of the control family: returns, steps to solve, curves, training episodes and the
spiking agent's weights. They apply to groups scored on greedy "eval" episodes.

Control agents are scored by ControlAgent's protocol (metrics of the "eval" split, one History
row per greedy evaluation), so these sections need nothing agent-specific.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure as MplFigure

from neurosim.metrics import METRICS, format_value
from neurosim.plotting import plot_learning_curves, plot_weight_evolution
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Table
from neurosim.report.grouping import RunGroup, by_task
from neurosim.report.section import in_family, section
from neurosim.tasks.control import CONTROL_TASKS

FAMILY = in_family("control")
SPLIT = "eval"
RETURNS = ("mean_return", "best_eval_return", "auc_return", "last50_train_return")
SMOOTHING = 20  # training episodes in the moving mean

_CURVES_CAPTION = (
    "Mean greedy return of {episodes} evaluation episodes against environment steps (left) and"
    " training wall time (right; evaluation time excluded). Thin lines: seeds; thick: their mean;"
    " dashed: the task's threshold. Left shows sample efficiency, right what it costs on this"
    " machine."
)
_EPISODES_CAPTION = (
    "Return of every training episode (thin, exploration on) and its {n}-episode moving mean"
    " (thick), one panel per learner, one colour per seed. For agents judged on training"
    " episodes (the spiking agent) this is the curve the last-50 figure is read from."
)
_WEIGHTS_CAPTION = (
    "Top: weights at the end of training, averaged over each action population (actor) and"
    " over the critic, for every input neuron (blocks: observation dimensions, each from its"
    " lowest to its highest preferred value). Bottom: over training, each input's preference"
    " (weight onto the last action population minus the first; for CartPole push right minus"
    " push left) and each input's critic weight. A learned CartPole controller prefers right"
    " for positive pole angle and angular velocity and left for negative ones; the critic"
    " values central pole angles and discounts the edges, where episodes end."
)


def _solved(group: RunGroup) -> str:
    steps = group.values(SPLIT, "steps_to_solve")
    return f"{int(np.sum(np.isfinite(steps)))}/{len(group.runs)}"


@section("returns", "Returns", 100, applies=FAMILY)
def returns(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    headers = ["label", "learner", "task", "seeds", *(METRICS.get(m).title for m in RETURNS)]
    headers += [
        "seeds solved",
        METRICS.get("steps_to_solve").title,
        METRICS.get("wall_s_to_solve").title,
        METRICS.get("fit_s").title,
    ]
    rows = [
        [
            group.title,
            group.learner,
            group.task,
            len(group.runs),
            *(format_value(m, group.values(SPLIT, m)) for m in RETURNS),
            _solved(group),
            format_value("steps_to_solve", group.values(SPLIT, "steps_to_solve")),
            format_value("wall_s_to_solve", group.values(SPLIT, "wall_s_to_solve")),
            format_value("fit_s", group.timings("fit_s")),
        ]
        for group in groups
    ]
    thresholds = ", ".join(
        f"{task} {CONTROL_TASKS[task].solved_return:g}"
        for task in sorted({g.task for g in groups})
        if task in CONTROL_TASKS
    )
    legend = "; ".join(
        f"{m}: {METRICS.get(m).description}"
        for m in (*RETURNS, "steps_to_solve", "wall_s_to_solve")
    )
    return [
        Table(headers, rows),
        Note(
            f"Solved = a greedy evaluation's mean return reached the threshold ({thresholds});"
            " steps and wall time to solve average the seeds that solved. The final greedy return"
            f" is the kept model's (the best evaluation for agents that keep one). {legend}."
        ),
    ]


@section("steps-to-solve", "Steps to solve, per seed", 110, applies=FAMILY)
def steps_to_solve(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    seeds = sorted({r.seed for g in groups for r in g.runs})
    rows = []
    for group in groups:
        by_seed = {r.seed: r.metrics.get(SPLIT, {}) for r in group.runs}
        cells = []
        for seed in seeds:
            metrics = by_seed.get(seed)
            if metrics is None:
                cells.append("–")
            elif np.isfinite(metrics.get("steps_to_solve", np.nan)):
                steps = format_value("steps_to_solve", [metrics["steps_to_solve"]])
                wall = format_value("wall_s_to_solve", [metrics.get("wall_s_to_solve", np.nan)])
                cells.append(f"{steps} steps, {wall} s")
            else:
                best = format_value("best_eval_return", [metrics.get("best_eval_return", np.nan)])
                cells.append(f"not solved (best {best})")
        rows.append([group.title, *cells])
    return [Table(["label", *(f"seed {s}" for s in seeds)], rows)]


@section("control-curves", "Returns during training", 300, applies=FAMILY)
def learning_curves(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for task, task_groups in by_task(groups).items():
        fig = MplFigure(figsize=(12, 4.5), layout="constrained")
        left, right = fig.subplots(1, 2, sharey=True)
        for ax, x_key, xlabel in (
            (left, "env_steps", "environment steps"),
            (right, "wall_s", "training wall time (s)"),
        ):
            curves = {
                g.title: [_curve(r.history, x_key, "eval_return") for r in g.runs]
                for g in task_groups
            }
            plot_learning_curves(curves, xlabel, "greedy return", logx=False, ax=ax)
            if task in CONTROL_TASKS:
                ax.axhline(CONTROL_TASKS[task].solved_return, color="k", ls="--", lw=0.8)
        fig.suptitle(f"{task}: greedy return during training")
        first = task_groups[0].runs[0]  # every run of a task shares its params
        episodes = first.config.get("task_params", {}).get("eval_episodes")
        blocks += [
            Heading(task),
            Figure.from_matplotlib(
                fig,
                f"learning_curves_{task}",
                f"greedy return against env steps and wall time on {task}",
                _CURVES_CAPTION.format(episodes=episodes or "the"),
            ),
        ]
    return blocks


def _curve(
    history: list[dict[str, float]], x_key: str, y_key: str
) -> tuple[np.ndarray, np.ndarray]:
    rows = [row for row in history if x_key in row and y_key in row]
    return np.array([row[x_key] for row in rows]), np.array([row[y_key] for row in rows])


def _episode_returns(context: ReportContext, group: RunGroup) -> list[tuple[int, np.ndarray]]:
    returns = []
    for run in group.runs:
        data = context.load_first(run, "json", name="episodes")
        if isinstance(data, dict) and len(data.get("returns", [])):
            returns.append((run.seed, np.asarray(data["returns"], dtype=np.float64)))
    return returns


@section("training-episodes", "Training episodes", 310, applies=FAMILY, needs=("json",))
def training_episodes(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for task, task_groups in by_task(groups).items():
        panels = [(g, r) for g in task_groups if (r := _episode_returns(context, g))]
        if not panels:
            continue
        n_cols = min(3, len(panels))
        n_rows = int(np.ceil(len(panels) / n_cols))
        fig = MplFigure(figsize=(4.6 * n_cols, 3.4 * n_rows + 0.4), layout="constrained")
        axes = fig.subplots(n_rows, n_cols, squeeze=False, sharey=True).ravel()
        for ax, (group, returns) in zip(axes, panels, strict=False):
            for k, (seed, values) in enumerate(returns):
                episodes = np.arange(1, len(values) + 1)
                ax.plot(episodes, values, lw=0.5, alpha=0.3, color=f"C{k % 10}")
                window = min(SMOOTHING, len(values))
                smooth = np.convolve(values, np.ones(window) / window, mode="valid")
                ax.plot(
                    episodes[window - 1 :], smooth, lw=1.8, color=f"C{k % 10}", label=f"seed {seed}"
                )
            ax.set_title(group.title, fontsize=10)
            ax.set_xlabel("training episode")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, loc="best")
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        for ax in axes[::n_cols]:
            ax.set_ylabel("return")
        fig.suptitle(f"{task}: training episodes")
        blocks += [
            Heading(task),
            Figure.from_matplotlib(
                fig,
                f"episodes_{task}",
                f"training returns on {task}",
                _EPISODES_CAPTION.format(n=SMOOTHING),
            ),
        ]
    return blocks


@section(
    "spiking-agent",
    "Spiking agent",
    420,
    applies=FAMILY,
    needs=("weight_snapshots",),
)
def spiking_agent(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    """The closed loop's cost per seed and the evolution of the agent's weights."""
    blocks: list[Block] = []
    for group in groups:
        blocks += [Heading(group.title), *_closed_loop_costs(context, group)]
        run = group.runs[0]
        weights = context.load_first(run, "weight_snapshots")
        if weights is not None and {"episodes", "n_per_action", "n_critic", "n_per_dim"} <= set(
            weights
        ):
            names = [str(n) for n in weights.get("dimension_names", [])] or None
            fig = plot_weight_evolution(
                weights,
                {"actor": int(weights["n_per_action"]), "critic": int(weights["n_critic"])},
                int(weights["n_per_dim"]),
                names,
                title=f"{group.title}, seed {run.seed}",
            )
            blocks.append(
                Figure.from_matplotlib(
                    fig,
                    f"weights_{group.name}",
                    f"weight evolution of {group.title}",
                    _WEIGHTS_CAPTION,
                )
            )
    return blocks


def _closed_loop_costs(context: ReportContext, group: RunGroup) -> list[Block]:
    """Build time and per-env-step cost of each seed's closed loop, when the agent saved them."""
    rows = []
    for run in group.runs:
        stats = context.load_first(run, "json", name="closed_loop")
        if isinstance(stats, dict):
            rows.append(
                [
                    run.seed,
                    stats.get("episodes", "–"),
                    stats.get("env_steps", "–"),
                    format_value("build_s", [stats.get("build_s", np.nan)]),
                    format_value("ms_per_env_step", [stats.get("ms_per_env_step", np.nan)]),
                ]
            )
    if not rows:
        return []
    return [
        Table(["seed", "episodes", "env steps", "build (s)", "ms per env step"], rows),
        Note(
            "Build: code generation and compilation of the training and evaluation networks"
            " (cached after the first run in a worker). ms per env step: wall time of the"
            " closed-loop simulation divided by env steps, on a machine shared with the other"
            " runs of the experiment."
        ),
    ]
