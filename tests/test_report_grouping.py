"""One grouping of runs for the summary and the report; grid points labelled and sorted as
numbers; sweeps found from them; the summary table's numbers."""

from __future__ import annotations

from pathlib import Path

from report_stores import make_run

from neurosim.grid import grid_text
from neurosim.report.grouping import group_runs, quantity
from neurosim.report.section import in_family
from neurosim.report.summary import summary_table
from neurosim.report.sweeps import find_sweeps


def test_groups_by_task_label_and_grid_point_sorted_numerically(tmp_path: Path):
    runs = [
        make_run(tmp_path, "mlp", seed, {"test": {"accuracy": 0.9}}, grid={"lr": lr})
        for lr in (0.1, 0.003, 0.03)
        for seed in (1, 0)
    ]
    runs.append(make_run(tmp_path, "mlp", 0, {"test": {"accuracy": 0.9}}, task="a-task"))
    groups = group_runs(runs)
    assert [g.title for g in groups] == [
        "mlp (a-task)",
        "mlp [lr=0.003] (digits)",
        "mlp [lr=0.03] (digits)",
        "mlp [lr=0.1] (digits)",
    ]
    assert [r.seed for r in groups[1].runs] == [0, 1]


def test_table_valued_grid_points_read_as_their_entries():
    grid = {"rule_parameters": {"mu": "0.5"}, "adaptive": True}
    assert grid_text(grid) == "mu=0.5, adaptive=true"
    assert quantity("0.5 Hz") == (0.5, "Hz") and quantity(3) == (3.0, "")
    assert quantity("stdp-triplet") is None and quantity(True) is None


def test_a_numeric_sweep_is_found_with_its_values_in_order(tmp_path: Path):
    runs = [
        make_run(
            tmp_path, "oja", 0, {"test": {"accuracy": 0.5}}, grid={"rule_parameters": {"eta": eta}}
        )
        for eta in ("5 Hz", "0.5 Hz", "50 Hz")
    ]
    runs += [  # a label with one grid point and one swept over text only: not sweeps
        make_run(tmp_path, "mlp", 0, {"test": {"accuracy": 0.9}}, grid={"lr": 0.1}),
        make_run(tmp_path, "wta", 0, {"test": {"accuracy": 0.9}}, grid={"rule": "a"}),
        make_run(tmp_path, "wta", 0, {"test": {"accuracy": 0.9}}, grid={"rule": "b"}),
    ]
    (sweep,) = find_sweeps(group_runs(runs))
    assert (sweep.parameter, sweep.xlabel) == ("eta", "eta (Hz)")
    assert [x for x, _ in sweep.lines["oja"]] == [0.5, 5.0, 50.0]
    assert [g.name for _, g in sweep.lines["oja"]] == [
        "oja [eta=0.5 Hz]",
        "oja [eta=5 Hz]",
        "oja [eta=50 Hz]",
    ]


def test_a_second_varying_setting_splits_a_sweep_into_lines(tmp_path: Path):
    runs = [
        make_run(tmp_path, "mlp", 0, {"test": {"accuracy": 0.9}}, grid={"lr": lr, "optimizer": o})
        for lr in (0.01, 0.001)
        for o in ("sgd", "adam")
    ]
    (sweep,) = find_sweeps(group_runs(runs))
    assert {k: [x for x, _ in v] for k, v in sweep.lines.items()} == {
        "mlp [optimizer=adam]": [0.001, 0.01],
        "mlp [optimizer=sgd]": [0.001, 0.01],
    }


def test_summary_table_shows_headline_metrics_formatted_once(tmp_path: Path):
    runs = [
        make_run(tmp_path, "stdp-wta", seed, {"val": {"accuracy": 0.1}, "test": {"accuracy": acc}})
        for seed, acc in enumerate([0.80, 0.84])
    ]
    runs += [
        make_run(
            tmp_path,
            "dqn",
            seed,
            {"eval": {"mean_return": ret, "steps_to_solve": steps, "sd_return": 1.0}},
            task="cartpole",
        )
        for seed, (ret, steps) in enumerate([(500.0, 25000.0), (120.0, float("nan"))])
    ]
    lines = summary_table(runs).splitlines()
    assert [cell.strip() for cell in lines[0].strip("|").split("|")] == [
        "task",
        "learner",
        "seeds",
        "eval mean_return",
        "eval steps_to_solve",
        "test accuracy (%)",
        "fit (s)",
    ]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    # 500, 120 -> 310.0 ± 268.7; steps: one finite seed -> 25000, no sd; 0.80, 0.84 -> 82.0 ± 2.8
    assert cells == [
        ["cartpole", "dqn", "2", "310.0 ± 268.7", "25000", "–", "10.5"],
        ["digits", "stdp-wta", "2", "–", "–", "82.0 ± 2.8", "10.5"],
    ]
    assert lines[1].endswith("-:|")  # numbers right-aligned
    assert summary_table([]) == "(no stored runs)"


def test_sections_pick_groups_by_family_recorded_or_read_from_the_split(tmp_path: Path):
    runs = [
        make_run(tmp_path, "mlp", 0, {"test": {"accuracy": 0.9}}),
        make_run(tmp_path, "dqn", 0, {"eval": {"mean_return": 9.0}}, task="cartpole"),
        make_run(tmp_path, "ridge", 0, {"test": {"mse": 0.1}}, task="sine"),
    ]
    runs[2].config["family"] = "regression"  # recorded by the spec; the others stored before
    mlp, dqn, ridge = (
        next(g for g in group_runs(runs) if g.label == label) for label in ("mlp", "dqn", "ridge")
    )
    assert in_family("classification")(mlp) and not in_family("classification")(dqn)
    assert in_family("control")(dqn) and not in_family("classification")(ridge)
    assert in_family("regression")(ridge)
