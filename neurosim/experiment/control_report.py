"""Report sections for control tasks: returns, steps to solve, learning curves, spiking agents.

Control agents are scored by ControlAgent's protocol (metrics of the "eval" split, one History row
per greedy evaluation), so these sections need nothing agent-specific; the spiking agent's
recorded episode and weight snapshots are drawn when a run left them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from neurosim.activity import Activity
from neurosim.experiment.report_page import (
    ReportPage,
    RunLike,
    format_values,
    markdown_table,
    metric_values,
    npz_loader,
)
from neurosim.plotting import plot_learning_curves, plot_raster, plot_weight_evolution
from neurosim.tasks.control import CONTROL_TASKS

SPLIT = "eval"
RETURN_COLUMNS = (
    ("mean_return", "final greedy return"),
    ("best_eval_return", "best evaluation"),
    ("auc_return", "mean return over the budget (AUC)"),
    ("last50_train_return", "last 50 training episodes"),
)
_CURVES_CAPTION = (
    "Mean greedy return of {episodes} evaluation episodes against environment steps (left) and"
    " training wall time (right; evaluation time excluded). Thin lines: seeds; thick: their mean;"
    " dashed: the task's threshold. Left shows sample efficiency, right what it costs on this"
    " machine."
)
_EPISODES_CAPTION = (
    "Return of every training episode (thin, exploration on) and its 20-episode moving mean"
    " (thick), one panel per seed. For agents judged on training episodes (the spiking agent),"
    " this is the curve the acceptance figure (last 50 of the episodes) is read from."
)
_RASTER_CAPTION = (
    "One training episode late in learning. One dot per spike; rows are neurons of each"
    " population. The input population codes the observation (a moving bump per dimension), the"
    " action populations compete through lateral inhibition, and the window with more spikes"
    " picks the action."
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


def is_control(runs: Sequence[RunLike]) -> bool:
    return any(SPLIT in r.metrics for r in runs)


def control_sections(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    """All control-task sections, in reading order."""
    for section in (_results, _steps_to_solve, _learning_curves, _episodes, _spiking):
        section(report, groups)


def _solved(runs: Sequence[RunLike]) -> str:
    steps = metric_values(runs, SPLIT, "steps_to_solve")
    return f"{sum(np.isfinite(steps))}/{len(runs)}"


def _results(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    headers = ["label", "learner", "task", "seeds", *(title for _, title in RETURN_COLUMNS)]
    headers += ["seeds solved", "env steps to solve", "wall s to solve", "fit time (s)"]
    rows = []
    for name, runs in groups.items():
        row = [name, runs[0].learner, runs[0].task, len(runs)]
        row += [format_values(m, metric_values(runs, SPLIT, m)) for m, _ in RETURN_COLUMNS]
        row += [
            _solved(runs),
            format_values("steps", metric_values(runs, SPLIT, "steps_to_solve")),
            format_values("wall_s", metric_values(runs, SPLIT, "wall_s_to_solve")),
            format_values("fit_s", [r.timings["fit_s"] for r in runs if "fit_s" in r.timings]),
        ]
        rows.append(row)
    thresholds = ", ".join(
        f"{task} {CONTROL_TASKS[task].solved_return:g}"
        for task in sorted({r.task for runs in groups.values() for r in runs})
        if task in CONTROL_TASKS
    )
    report.add(
        "## Returns\n\n"
        + markdown_table(headers, rows)
        + f"\n*Solved = a greedy evaluation's mean return reached the threshold ({thresholds});"
        " steps and wall time to solve average the seeds that solved. The final greedy return"
        " is the kept model's (the best evaluation for agents that keep one).*\n"
    )


def _steps_to_solve(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    seeds = sorted({r.seed for runs in groups.values() for r in runs})
    rows = []
    for name, runs in groups.items():
        by_seed = {r.seed: r.metrics.get(SPLIT, {}) for r in runs}
        cells = []
        for seed in seeds:
            metrics = by_seed.get(seed)
            if metrics is None:
                cells.append("–")
            elif np.isfinite(metrics.get("steps_to_solve", np.nan)):
                cells.append(
                    f"{metrics['steps_to_solve'] / 1000:.1f}k steps, "
                    f"{metrics['wall_s_to_solve']:.0f} s"
                )
            else:
                cells.append(f"not solved (best {metrics.get('best_eval_return', np.nan):.0f})")
        rows.append([name, *cells])
    report.add(
        "## Steps to solve, per seed\n\n"
        + markdown_table(["label", *(f"seed {s}" for s in seeds)], rows)
    )


def _learning_curves(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    by_task: dict[str, dict[str, list[RunLike]]] = {}
    for name, runs in groups.items():
        by_task.setdefault(runs[0].task, {})[name] = runs
    for task, task_groups in sorted(by_task.items()):
        fig = Figure(figsize=(12, 4.5), layout="constrained")
        left, right = fig.subplots(1, 2, sharey=True)
        for ax, x_key, xlabel in (
            (left, "env_steps", "environment steps"),
            (right, "wall_s", "training wall time (s)"),
        ):
            curves = {
                name: [_curve(r.history, x_key, "eval_return") for r in runs]
                for name, runs in task_groups.items()
            }
            plot_learning_curves(curves, xlabel, "greedy return", logx=False, ax=ax)
            if task in CONTROL_TASKS:
                ax.axhline(CONTROL_TASKS[task].solved_return, color="k", ls="--", lw=0.8)
        fig.suptitle(f"{task}: learning curves")
        first = next(iter(task_groups.values()))[0]  # every run of a task shares its params
        episodes = first.config.get("task_params", {}).get("eval_episodes")
        report.add(f"## Learning curves: {task}\n")
        report.figure(
            fig,
            f"learning_curves_{task}",
            f"greedy return against env steps and wall time on {task}",
            _CURVES_CAPTION.format(episodes=episodes or "the"),
        )


def _curve(
    history: list[dict[str, float]], x_key: str, y_key: str
) -> tuple[np.ndarray, np.ndarray]:
    rows = [row for row in history if x_key in row and y_key in row]
    return np.array([row[x_key] for row in rows]), np.array([row[y_key] for row in rows])


def _load_episodes(path: Path) -> np.ndarray:
    return np.asarray(json.loads(path.read_text())["returns"], dtype=np.float64)


def _episodes(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    """Training-episode returns of agents judged on episodes (those that record `weights`)."""
    for name, runs in groups.items():
        if report.load(runs[0], "weights.npz", npz_loader()) is None:
            continue
        returns = [(r.seed, report.load(r, "episodes.json", _load_episodes)) for r in runs]
        returns = [(seed, values) for seed, values in returns if values is not None and len(values)]
        if not returns:
            continue
        fig = Figure(figsize=(4 * len(returns), 3.2), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(returns), sharey=True))
        for ax, (seed, values) in zip(axes, returns, strict=True):
            episodes = np.arange(1, len(values) + 1)
            ax.plot(episodes, values, lw=0.5, alpha=0.4, color="C0")
            window = min(20, len(values))
            smooth = np.convolve(values, np.ones(window) / window, mode="valid")
            ax.plot(episodes[window - 1 :], smooth, lw=2, color="C0")
            ax.set_title(f"seed {seed}: last 50 = {np.mean(values[-50:]):.1f}")
            ax.set_xlabel("training episode")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("return")
        report.add(f"## Training episodes: {name}\n")
        report.figure(fig, f"episodes_{name}", f"training returns of {name}", _EPISODES_CAPTION)


def _load_json(path: Path) -> dict:
    return json.loads(path.read_text())


def _closed_loop_costs(report: ReportPage, name: str, runs: Sequence[RunLike]) -> None:
    """Build time and per-env-step cost of each seed's closed loop, when the agent saved them."""
    rows = []
    for run in runs:
        stats = report.load(run, "closed_loop.json", _load_json)
        if stats:
            rows.append(
                [
                    run.seed,
                    stats.get("episodes", "–"),
                    stats.get("env_steps", "–"),
                    f"{stats.get('build_s', float('nan')):.0f}",
                    f"{stats.get('ms_per_env_step', float('nan')):.2f}",
                ]
            )
    if rows:
        report.add(
            markdown_table(["seed", "episodes", "env steps", "build (s)", "ms per env step"], rows)
            + "\n*Build: code generation and compilation of the training and evaluation networks"
            " (cached after the first run in a worker). ms per env step: wall time of the"
            " closed-loop simulation divided by env steps, on a machine shared with the other"
            " runs of the experiment.*\n"
        )


def _spiking(report: ReportPage, groups: dict[str, list[RunLike]]) -> None:
    for name, runs in groups.items():
        run = runs[0]
        activity = report.load(run, "activity_episode.npz", Activity.load)
        weights = report.load(run, "weights.npz", npz_loader())
        if activity is None and weights is None:
            continue
        report.add(f"## Spiking agent: {name}\n")
        _closed_loop_costs(report, name, runs)
        if activity is not None and activity.spikes:
            ends = [float(s.times.max()) for s in activity.spikes.values() if len(s.times)]
            starts = [float(s.times.min()) for s in activity.spikes.values() if len(s.times)]
            t0 = min(starts, default=0.0)
            t1 = min(max(ends, default=t0 + 1.0), t0 + 2.0) + 1e-9
            fig = plot_raster(
                activity,
                list(activity.spikes),
                t0=t0,
                t1=t1,
                title=f"{name}, seed {run.seed}: {activity.meta.get('title', 'one episode')}",
            )
            report.figure(fig, f"raster_{name}", f"spike raster of {name}", _RASTER_CAPTION)
        if weights is not None and {"n_per_action", "n_critic", "n_per_dim"} <= set(weights):
            fig = plot_weight_evolution(
                weights,
                {"actor": int(weights["n_per_action"]), "critic": int(weights["n_critic"])},
                int(weights["n_per_dim"]),
                [str(name) for name in weights.get("dimension_names", [])] or None,
                title=f"{name}, seed {run.seed}",
            )
            report.figure(fig, f"weights_{name}", f"weight evolution of {name}", _WEIGHTS_CAPTION)
