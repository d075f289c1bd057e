"""The invariance report on hand-built stores (the real Recorder, no training, no torch): the error
table and the stn-against-cnn verdict from hand-chosen accuracies, accuracy binned by angle against
hand counts, the transformer's tables from hand-made arrays, and every figure written for a store
whose STN outputs come from the task's own sampler."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from report_stores import FakeStore, classification_runs

from neurosim.analysis.invariance import similarity_of
from neurosim.artifacts import Recorder
from neurosim.experiment.store import RunRecord
from neurosim.report.context import ReportContext
from neurosim.report.document import Figure, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections import invariance as sections
from neurosim.report.writer import write_report
from neurosim.tasks import make_task
from neurosim.tasks.transformed_digits import affine_sample, principal_axis_deg, rotation

TITLES = [
    "Error on the transformed digits",
    "Accuracy against rotation",
    "What the spatial transformer hands the classifier",
    "Predicted against applied transformations",
]
# how steeply each fake learner's chance of being right falls from 0° to 90°
SLOPES = {"stdp-wta": 0.45, "mlp": 0.35, "cnn": 0.12, "stn": 0.03}
BASE = {"stdp-wta": 0.85, "mlp": 0.95, "cnn": 0.97, "stn": 0.985}


def fake_run(
    root: Path,
    label: str,
    seed: int,
    task: str,
    accuracy: float | None = None,
    *,
    learner: str | None = None,
    grid: dict | None = None,
    params: dict | None = None,
    metrics: dict | None = None,
) -> RunRecord:
    grid = grid or {}
    point = "-".join(f"{v}" for v in grid.values())
    run_id = f"{task}-{label}-{seed}" + (f"-{point}" if point else "")
    test = {"accuracy": accuracy} if accuracy is not None else {}
    run = RunRecord(
        run_id=run_id,
        experiment="invariance",
        task=task,
        learner=learner or label,
        label=label,
        seed=seed,
        config={"params": params or {}, "budget": {}, "task_params": {}, "grid": grid},
        metrics={"test": {**test, **(metrics or {})}},
        timings={"fit_s": 1.0, "evaluate_s": 0.1, "total_s": 1.1},
        history=[],
        directory=root / run_id,
    )
    (run.directory / "artifacts").mkdir(parents=True)
    return run


def groups_of(runs: list[RunRecord]):
    return group_runs(runs)


def rows_of(table: Table) -> dict[str, list]:
    return {str(row[0]): list(row) for row in table.rows}


def titles(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, flags=re.M)


# ---------------------------------------------------------------- the error table


def test_table_error_is_100_minus_the_accuracy_of_the_predictions(tmp_path: Path):
    y_true, y_pred = np.array([0, 1, 2, 3]), np.array([0, 1, 2, 0])  # 3 of 4 right
    run = fake_run(tmp_path, "cnn", 0, "digits-r", float(np.mean(y_true == y_pred)))
    Recorder(run.directory / "artifacts").predictions(
        "test", y_true, y_pred, rotation_deg=np.array([0.0, 10, 20, 30])
    )
    blocks = sections.invariance_table(ReportContext(), groups_of([run]))
    table = blocks[0]
    assert table.headers[-1] == "R error (%)"
    assert rows_of(table)["cnn"][-1] == "25.0"


def test_table_has_one_row_per_label_and_one_column_per_variant(tmp_path: Path):
    runs = [
        fake_run(tmp_path, "mlp", s, task, acc)
        for task, accs in (("digits-t", (0.9, 0.8)), ("digits-r", (0.7, 0.6)))
        for s, acc in enumerate(accs)
    ]
    runs.append(fake_run(tmp_path, "stn", 0, "digits-rts", 0.99))
    table = sections.invariance_table(ReportContext(), groups_of(runs))[0]
    # variants in Table 1's order R, RTS, T whatever order the runs came in
    assert list(table.headers[3:]) == ["R error (%)", "RTS error (%)", "T error (%)"]
    rows = rows_of(table)
    # errors 0.3, 0.4 -> 35.0 ± 7.1 (sample sd); 0.1, 0.2 -> 15.0 ± 7.1
    assert rows["mlp"][3:] == ["35.0 ± 7.1", "–", "15.0 ± 7.1"]
    assert rows["stn"][3:] == ["–", "1.0", "–"]
    assert list(rows) == ["mlp", "stn"]  # simple learners first, as in Table 1


def test_jaderberg_figures_are_labelled_as_mnist_context(tmp_path: Path):
    run = fake_run(tmp_path, "cnn", 0, "digits-r", 0.9)
    blocks = sections.invariance_table(ReportContext(), groups_of([run]))
    published = next(b for b in blocks[1:] if isinstance(b, Table))
    assert "MNIST" in published.headers[0] and "42x42" in published.headers[0]
    rows = {row[0]: row[1:] for row in published.rows}
    assert rows["ST-CNN (affine) (unconfirmed)"] == ["0.7", "0.5"]
    assert rows["CNN (unconfirmed)"] == ["1.2", "0.8"]
    assert rows["FCN (unconfirmed)"] == ["2.1", "5.2"]


def test_table_leaves_out_other_grid_points(tmp_path: Path):
    runs = [
        fake_run(tmp_path, "mlp", 0, "digits-r", 0.5, grid={"max_rotation_deg": 30}),
        fake_run(tmp_path, "mlp", 0, "digits-r", 0.7, grid={"max_rotation_deg": 90.0}),
    ]
    table = sections.invariance_table(ReportContext(), groups_of(runs))[0]
    assert rows_of(table)["mlp"][-1] == "30.0"  # the 90° point is digits-r's own setting
    # a run without a grid point comes before a sweep's point at the same settings
    runs.append(fake_run(tmp_path, "mlp", 0, "digits-r", 0.6))
    table = sections.invariance_table(ReportContext(), groups_of(runs))[0]
    assert rows_of(table)["mlp"][-1] == "40.0"


@pytest.mark.parametrize(
    ("stn", "cnn", "verdict"),
    [
        # gaps 5, 6, 7 pp: mean 6, sample sd 1
        ((0.90, 0.92, 0.91), (0.85, 0.86, 0.84), ["3/3 seeds", "+6.00", "1.00", "yes"]),
        # gaps 5, 6, -1 (the last seed loses): mean 10/3, sd sqrt((1.67² + 2.67² + 4.33²) / 2)
        ((0.90, 0.92, 0.83), (0.85, 0.86, 0.84), ["2/3 seeds", "+3.33", "3.79", "no"]),
        # gaps 1, 10, 1: wins everywhere but the mean (4) is below the sd (sqrt(54 / 2) = 5.20)
        ((0.86, 0.96, 0.85), (0.85, 0.86, 0.84), ["3/3 seeds", "+4.00", "5.20", "no"]),
    ],
)
def test_stn_is_compared_with_cnn_seed_by_seed(tmp_path: Path, stn, cnn, verdict):
    runs = [fake_run(tmp_path, "stn", s, "digits-rts", a) for s, a in enumerate(stn)]
    runs += [fake_run(tmp_path, "cnn", s, "digits-rts", a) for s, a in enumerate(cnn)]
    blocks = sections.invariance_table(ReportContext(), groups_of(runs))
    acceptance = [b for b in blocks if isinstance(b, Table)][-1]
    assert acceptance.rows == [["RTS", "stn", "cnn", *verdict]]


def test_an_st_mlp_is_compared_with_mlp(tmp_path: Path):
    runs = [
        fake_run(
            tmp_path, "st-mlp", 0, "digits-r", 0.9, learner="stn", params={"classifier": "mlp"}
        ),
        fake_run(
            tmp_path, "st-mlp", 1, "digits-r", 0.9, learner="stn", params={"classifier": "mlp"}
        ),
        fake_run(tmp_path, "mlp", 0, "digits-r", 0.8),
        fake_run(tmp_path, "mlp", 1, "digits-r", 0.7),
        fake_run(tmp_path, "cnn", 0, "digits-r", 0.95),
        fake_run(tmp_path, "cnn", 1, "digits-r", 0.95),
    ]
    blocks = sections.invariance_table(ReportContext(), groups_of(runs))
    acceptance = [b for b in blocks if isinstance(b, Table)][-1]
    assert acceptance.rows == [["R", "st-mlp", "mlp", "2/2 seeds", "+15.00", "7.07", "yes"]]


# ---------------------------------------------------------------- accuracy against angle


def test_binned_accuracy_by_hand():
    angles = np.abs(np.array([-80.0, -10, 5, 20, 50, 89, 90]))
    correct = np.array([1, 0, 1, 1, 0, 1, 0])
    # [0, 30): -10 wrong, 5 and 20 right; [30, 60): 50 wrong; [60, 90]: -80, 89 right, 90 wrong
    got = sections.binned_accuracy(angles, correct, np.array([0.0, 30, 60, 90]))
    np.testing.assert_allclose(got, [2 / 3, 0.0, 2 / 3])


def test_an_empty_bin_is_nan_not_zero():
    got = sections.binned_accuracy(
        np.array([5.0, 85]), np.array([1, 1]), np.array([0.0, 30, 60, 90])
    )
    assert got[0] == 1 and np.isnan(got[1]) and got[2] == 1


def test_angle_drop_from_hand_made_predictions(tmp_path: Path):
    """Two seeds: near 0° both right; near 80° one of two right, then none of two."""
    runs = []
    for seed, far in enumerate(([3, 0], [0, 1])):
        y_true = np.array([3, 4, 3, 4])
        y_pred = np.array([3, 4, *far])
        run = fake_run(tmp_path, "mlp", seed, "digits-r", float(np.mean(y_true == y_pred)))
        Recorder(run.directory / "artifacts").predictions(
            "test", y_true, y_pred, rotation_deg=np.array([5.0, -5.0, 80.0, -80.0])
        )
        runs.append(run)
    blocks = sections.invariance_curves(ReportContext(), groups_of(runs))
    assert isinstance(blocks[0], Figure)
    table = next(b for b in blocks if isinstance(b, Table))
    # 6 bins up to digits-r's maximum, 90°: the first ends at 15°, the last starts at 75°
    assert table.headers[2:] == ["|angle| < 15°", "|angle| ≥ 75°", "drop (pp)"]
    # first bin 100 % both seeds; last bin 50 % and 0 %: mean 25 ± 35.4, drop 75 ± 35.4
    assert rows_of(table)["mlp"] == ["mlp", 2, "100.0 ± 0.0", "25.0 ± 35.4", "+75.0 ± 35.4"]


def test_no_angle_figure_when_the_task_does_not_rotate(tmp_path: Path):
    run = fake_run(tmp_path, "mlp", 0, "digits-t", 0.5)
    Recorder(run.directory / "artifacts").predictions(
        "test", np.array([1, 2]), np.array([1, 1]), rotation_deg=np.zeros(2)
    )
    assert sections.invariance_curves(ReportContext(), groups_of([run])) == []


def test_maximum_angle_sweep_drop_is_paired_by_seed(tmp_path: Path):
    runs = [
        fake_run(tmp_path, "mlp", s, "digits-r", a, grid={"max_rotation_deg": angle})
        for angle, accs in ((90, (0.55, 0.61)), (0, (0.95, 0.97)), (45, (0.8, 0.8)))
        for s, a in enumerate(accs)
    ]
    blocks = sections.invariance_curves(ReportContext(), groups_of(runs))
    assert [b.name for b in blocks if isinstance(b, Figure)] == ["accuracy_by_max_angle_digits-r"]
    table = next(b for b in blocks if isinstance(b, Table))
    # drops 95 - 55 = 40 and 97 - 61 = 36 pp: 38.0 ± 2.8
    assert table.rows == [["mlp", 2, "0°", "96.0 ± 1.4", "90°", "58.0 ± 4.2", "+38.0 ± 2.8"]]


# ---------------------------------------------------------------- the transformer's pictures


def test_probe_tiles_read_class_and_applied_angle_from_the_test_predictions():
    theta = np.zeros((3, 2, 3))
    theta[:, :, :2] = 1.5 * rotation(np.array([30.0, -60.0, 0.0]))
    probe = {
        "inputs": np.zeros((3, 4, 4)),
        "outputs": np.zeros((3, 4, 4)),
        "labels": np.array([7, 1, 2]),
        "theta": theta,
    }
    predictions = {
        "y_true": np.array([7, 1, 2, 9]),
        "y_pred": np.array([7, 4, 2, 9]),
        "rotation_deg": np.array([25.0, -62.0, 3.0, 0.0]),
        "scale": np.array([0.8, 1.2, 1.0, 1.0]),
    }
    tiles = sections.probe_tiles(probe, predictions)
    assert [t.above_input for t in tiles] == ["7, +25° ×0.80", "1, -62° ×1.20", "2, +3° ×1.00"]
    assert [t.above_output for t in tiles] == [
        "→ 7, +30° ×1.50",
        "→ 4, -60° ×1.50",
        "→ 2, +0° ×1.50",
    ]
    assert [t.wrong for t in tiles] == [False, True, False]
    # predictions of other images (labels disagree): nothing is read from them
    other = {k: v[::-1] for k, v in predictions.items()}
    assert [t.above_output for t in sections.probe_tiles(probe, other)][0] == "+30° ×1.50"


def test_spread_table_from_hand_made_arrays(tmp_path: Path):
    run = fake_run(tmp_path, "stn", 0, "digits-rts", 0.9, metrics={"rotation_r": 0.9})
    corners = np.array([[0.0, 0.0], [0.2, 0.0], [0.0, 0.2], [0.2, 0.2]])  # var 0.01 per axis
    Recorder(run.directory / "artifacts").arrays(
        "stn_test",
        theta=np.zeros((4, 2, 3)),
        predicted_rotation_deg=np.array([10.0, 20, 30, 40]),
        predicted_scale=np.ones(4),
        centre_in=corners,
        centre_out=corners / 2,
        axis_in=np.array([0.0, 0, 0, 60]),
        axis_out=np.full(4, 5.0),  # all alike
        applied_rotation_deg=np.array([12.0, 18, 33, 41]),
        applied_scale=np.ones(4),
        applied_shift_x=np.zeros(4),
        applied_shift_y=np.zeros(4),
    )
    blocks = sections.stn_transformations(ReportContext(), groups_of([run]))
    figure = next(b for b in blocks if isinstance(b, Figure))
    assert figure.name == "stn_transformations"
    row = next(b for b in blocks if isinstance(b, Table)).rows[0]
    assert row[:5] == ["RTS", "stn", 1, "0.9", "–"]
    # sqrt(0.01 + 0.01) = 0.1414; halved: 0.0707
    assert row[5:7] == ["0.141", "0.071"]
    # axes repeat every 180°: on the doubled circle 0, 0, 0, 120° have resultant length
    # |3 + e^(i 120°)| / 4 = sqrt(7) / 4; sd = sqrt(-2 ln R) there, halved back; all alike: 0
    doubled_sd = np.degrees(np.sqrt(-2 * np.log(np.sqrt(7) / 4)))
    assert row[7:] == [f"{doubled_sd / 2:.1f}", "0.0"]


def test_scatters_are_left_out_for_quantities_the_task_keeps_fixed():
    data = {
        "predicted_rotation_deg": np.array([1.0, 2, 3]),
        "predicted_scale": np.array([1.0, 1.1, 0.9]),
        "theta": np.zeros((3, 2, 3)),
        "applied_rotation_deg": np.array([1.0, 2, 4]),
        "applied_scale": np.ones(3),
        "applied_shift_x": np.zeros(3),
        "applied_shift_y": np.zeros(3),
    }
    rotation_, scale, shift = sections.transformation_scatters({0: data})
    assert rotation_ is not None and scale is None and shift is None


# ---------------------------------------------------------------- whole reports


def invariance_runs(root: Path, seeds: tuple[int, ...] = (0, 1, 2)) -> list[RunRecord]:
    """mlp, stdp-wta, cnn and stn on the three variants, plus mlp and stn swept over the maximum
    rotation of digits-r. Each learner is right with a chance that falls with |angle| at its own
    slope; the fake stn "undoes" each test image with the task's own sampler, off by a little."""
    runs = []
    for task_name in ("digits-r", "digits-rts", "digits-t"):
        task = make_task(task_name, 0)
        test = task.split("test")
        images = test.x.reshape(len(test.x), 32, 32)
        info = task.sample_info("test")
        for label in SLOPES:
            for seed in seeds:
                rng = np.random.default_rng([seed, len(runs)])
                y_pred = _predict(rng, label, test.y, info["rotation_deg"])
                run = fake_run(root, label, seed, task_name, float(np.mean(y_pred == test.y)))
                rec = Recorder(run.directory / "artifacts")
                rec.predictions("test", test.y, y_pred, **info)
                if label == "stn":
                    _record_stn(rec, run, rng, images, test.y, info)
                if label == "stdp-wta" and seed == 0:
                    rec.receptive_fields(
                        rng.random((25, 1024)) * images[:25].reshape(25, -1),
                        signed=False,
                        image_shape=(32, 32),
                        assignments=test.y[:25],
                    )
                runs.append(run)
    for label in ("mlp", "stn"):
        for angle in (0, 45, 90):
            for seed in seeds:
                slope = SLOPES[label] * angle / 90
                acc = BASE[label] - slope + 0.01 * seed
                runs.append(
                    fake_run(root, label, seed, "digits-r", acc, grid={"max_rotation_deg": angle})
                )
    return runs


def _predict(rng: np.random.Generator, label: str, y: np.ndarray, angle: np.ndarray) -> np.ndarray:
    p_right = BASE[label] - SLOPES[label] * np.abs(angle) / 90
    return np.where(rng.random(len(y)) < p_right, y, (y + 1) % 10)


def _record_stn(rec: Recorder, run: RunRecord, rng, images, labels, info) -> None:
    n = len(labels)
    rotation_hat = info["rotation_deg"] + rng.normal(0, 6, n)
    scale_hat = info["scale"] * np.exp(rng.normal(0, 0.04, n))
    shift_hat = np.stack([info["shift_x"], info["shift_y"]], -1) + rng.normal(0, 0.03, (n, 2))
    matrices = scale_hat[:, None, None] * rotation(rotation_hat)
    theta = np.concatenate([matrices, shift_hat[:, :, None]], axis=2)
    outputs = affine_sample(images, matrices, shift_hat, (32, 32))
    rec.arrays(
        "stn_probe", inputs=images[:16], outputs=outputs[:16], labels=labels[:16], theta=theta[:16]
    )
    centre_in, axis_in = principal_axis_deg(images)
    centre_out, axis_out = principal_axis_deg(outputs)
    predicted_rotation, predicted_scale = similarity_of(theta)
    rec.arrays(
        "stn_test",
        theta=theta,
        predicted_rotation_deg=predicted_rotation,
        predicted_scale=predicted_scale,
        centre_in=centre_in,
        centre_out=centre_out,
        axis_in=axis_in,
        axis_out=axis_out,
        **{f"applied_{key}": value for key, value in info.items()},
    )
    if np.ptp(info["rotation_deg"]) > 0:
        r = np.corrcoef(predicted_rotation, info["rotation_deg"])[0, 1]
        run.metrics["test"]["rotation_r"] = float(r)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("invariance")
    runs = invariance_runs(root / "runs", seeds=(0, 1))
    return write_report(FakeStore(runs), "invariance", root / "report")


def test_every_invariance_section_and_figure_is_written(report):
    text = report.markdown.read_text()
    assert [t for t in titles(text) if t in TITLES] == TITLES
    folder = report.markdown.parent
    for name in (
        "accuracy_by_angle",
        "accuracy_by_max_angle_digits-r",
        "stn_outputs_digits-r_stn",
        "stn_outputs_digits-rts_stn",
        "stn_outputs_digits-t_stn",
        "stn_transformations",
    ):
        assert (folder / f"{name}.png").stat().st_size > 10_000, name


def test_fake_learners_fall_with_angle_in_the_order_they_were_made(report):
    """The drop table reads back the slopes the fake learners were drawn with."""
    text = report.markdown.read_text()
    section = text.split("#### digits-r: accuracy by |angle|", 1)[1].split("####", 1)[0]
    drops = {
        cells[0]: float(cells[-1].split(" ± ")[0])
        for line in section.splitlines()
        if (cells := [c.strip() for c in line.split("|")[1:-1]]) and cells[0] in SLOPES
    }
    assert sorted(drops, key=drops.get) == sorted(SLOPES, key=SLOPES.get)


def test_sections_are_left_out_for_other_tasks(tmp_path: Path):
    report = write_report(FakeStore(classification_runs(tmp_path / "runs")), "quickstart", tmp_path)
    assert not set(titles(report.markdown.read_text())) & set(TITLES)
