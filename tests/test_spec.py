"""Spec files: expansion into runs, run ids, and one clear SpecError per mistake."""

from __future__ import annotations

import hashlib
from pathlib import Path

import fake_learner  # noqa: F401  (registers the "fake" learner and "toy" task)
import pytest

from neurosim.errors import SpecError
from neurosim.experiment.spec import Run, load_spec

BASE = """
name = "demo"
description = "fake learners on a toy task"
seeds = [0, 1]
tasks = ["toy"]

[[learner]]
name = "fake"
label = "f1"

[[learner]]
name = "fake"
label = "f2"
shift = 0.1
epochs = 3

[grid]
"f2.noise" = [0.0, 0.1, 0.2]
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_happy_path_resolves_defaults_and_budget(tmp_path: Path):
    experiment = load_spec(write(tmp_path, BASE))
    assert experiment.name == "demo" and experiment.seeds == (0, 1)
    assert experiment.description == "fake learners on a toy task"
    runs = experiment.runs()
    assert len(runs) == 1 * (1 + 3) * 2  # tasks x learner variants (grid) x seeds
    first = runs[0]
    assert first.task_params == {"n_per_class": 30, "spread": 0.15}
    assert first.params == {"shift": 0.0, "noise": 0.05, "fail": "no", "log": ""}
    assert first.budget == {"epochs": 2}  # the learner's default; the only field it honours
    assert first.grid == {} and first.label == "f1" and first.experiment == "demo"
    swept = [run for run in runs if run.label == "f2"]
    assert [run.grid["noise"] for run in swept] == [0.0, 0.0, 0.1, 0.1, 0.2, 0.2]
    assert all(run.params["shift"] == 0.1 and run.budget["epochs"] == 3 for run in swept)
    assert swept[2].title == "toy / f2 [noise=0.1] seed 0"


def test_expansion_multiplies_tasks_grids_and_seeds(tmp_path: Path):
    text = BASE.replace('tasks = ["toy"]', 'tasks = ["toy", "digits"]').replace(
        '"f2.noise" = [0.0, 0.1, 0.2]', '"f2.noise" = [0.0, 0.1, 0.2]\n"f2.epochs" = [1, 2]'
    )
    text = text.replace("epochs = 3\n", "")
    runs = load_spec(write(tmp_path, text)).runs()
    assert len(runs) == 2 * (1 + 3 * 2) * 2
    assert {run.task for run in runs} == {"toy", "digits"}
    assert {run.budget["epochs"] for run in runs if run.label == "f2"} == {1, 2}


def test_a_learner_table_may_run_its_own_seeds(tmp_path: Path):
    """A deterministic learner runs once; the others keep the spec's seeds, and their run ids
    are the same as without the key."""
    before = {run.run_id for run in load_spec(write(tmp_path, BASE)).runs() if run.label == "f2"}
    text = BASE.replace('label = "f1"', 'label = "f1"\nseeds = [7]')
    runs = load_spec(write(tmp_path, text)).runs()
    assert {run.seed for run in runs if run.label == "f1"} == {7}
    assert {run.run_id for run in runs if run.label == "f2"} == before


def test_task_tables_carry_parameters(tmp_path: Path):
    text = BASE.replace('tasks = ["toy"]', "").replace(
        "[[learner]]", '[[task]]\nname = "toy"\nn_per_class = 5\n\n[[learner]]', 1
    )
    runs = load_spec(write(tmp_path, text)).runs()
    assert runs[0].task_params == {"n_per_class": 5, "spread": 0.15}


def test_run_ids_are_stable_and_pinned():
    run = Run(
        experiment="e",
        label="l",
        task="toy",
        task_params={"n_per_class": 30},
        learner="fake",
        params={"shift": 0.0},
        budget={"epochs": 2, "samples": None, "wall_time_s": None},
        seed=0,
    )
    # Pinned: changing how ids are computed orphans every stored result, so do it on purpose.
    canonical = (
        '{"budget":{"epochs":2,"samples":null,"wall_time_s":null},"learner":"fake",'
        '"params":{"shift":0.0},"seed":0,"task":"toy","task_params":{"n_per_class":30}}'
    )
    assert run.run_id == hashlib.sha256(canonical.encode()).hexdigest()[:16] == "9034421d06ba08e6"


def test_run_ids_follow_the_config_not_its_presentation(tmp_path: Path):
    ids = [run.run_id for run in load_spec(write(tmp_path, BASE)).runs()]
    assert ids == [run.run_id for run in load_spec(write(tmp_path, BASE, "again.toml")).runs()]
    assert len(set(ids)) == len(ids)

    def first_id(old: str, new: str) -> str:
        return load_spec(write(tmp_path, BASE.replace(old, new, 1), "other.toml")).runs()[0].run_id

    assert first_id('name = "demo"', 'name = "renamed"') == ids[0]
    assert first_id('label = "f1"', 'label = "renamed"') == ids[0]
    assert first_id('label = "f1"', 'label = "f1"\nshift = 0.0') == ids[0]  # default spelled out
    assert first_id('label = "f1"', 'label = "f1"\nepochs = 2') == ids[0]  # default epochs
    assert first_id('label = "f1"', 'label = "f1"\nshift = 0.5') != ids[0]
    assert first_id('label = "f1"', 'label = "f1"\nepochs = 5') != ids[0]
    assert first_id("seeds = [0, 1]", "seeds = [7, 1]") != ids[0]
    assert first_id('tasks = ["toy"]', '[[task]]\nname = "toy"\nspread = 0.2') != ids[0]


MISSING_LEARNER = BASE.split("[[learner]]")[0]

ERRORS = [
    ("name", BASE.replace('name = "demo"', ""), "missing 'name'"),
    ("name type", BASE.replace('name = "demo"', "name = 3"), "'name' must be a string"),
    ("name chars", BASE.replace('name = "demo"', 'name = "a/b"'), "'name' must be a string"),
    ("seeds", BASE.replace("seeds = [0, 1]", ""), "missing 'seeds'"),
    ("seeds type", BASE.replace("seeds = [0, 1]", 'seeds = "0"'), "'seeds' must be a non-empty"),
    ("seeds float", BASE.replace("seeds = [0, 1]", "seeds = [0, 1.5]"), "list of integers"),
    ("seeds bool", BASE.replace("seeds = [0, 1]", "seeds = [true]"), "list of integers"),
    ("seeds range", BASE.replace("seeds = [0, 1]", "seeds = [-1]"), "'seeds' must lie in"),
    ("seeds twice", BASE.replace("seeds = [0, 1]", "seeds = [1, 1]"), "lists a seed twice"),
    ("tasks", BASE.replace('tasks = ["toy"]', ""), "missing 'tasks'"),
    ("tasks empty", BASE.replace('tasks = ["toy"]', "tasks = []"), "'tasks' must be a non-empty"),
    (
        "unknown task",
        BASE.replace('tasks = ["toy"]', 'tasks = ["toyy"]'),
        "tasks: unknown task 'toyy' (did you mean 'toy'?)",
    ),
    (
        "task param",
        BASE.replace('tasks = ["toy"]', 'tasks = [{name = "toy", n_per_clas = 3}]'),
        "task 'toy': unknown field 'n_per_clas' (did you mean 'n_per_class'?)",
    ),
    ("learner", MISSING_LEARNER, "missing [[learner]] tables"),
    (
        "unknown learner",
        BASE.replace('name = "fake"', 'name = "fakee"', 1),
        "learner #1: unknown learner 'fakee' (did you mean 'fake'?)",
    ),
    (
        "learner field",
        BASE.replace('label = "f1"', 'label = "f1"\nshfit = 1.0'),
        "learner 'f1': unknown field 'shfit' (did you mean 'shift'?)",
    ),
    (
        "budget field hint",
        BASE.replace('label = "f1"', 'label = "f1"\nepoch = 1'),
        "learner 'f1': unknown field 'epoch' (did you mean 'epochs'?)",
    ),
    (
        "param type",
        BASE.replace('label = "f1"', 'label = "f1"\nshift = "a"'),
        "learner 'f1': field 'shift' must be a number",
    ),
    (
        "param choice",
        BASE.replace('label = "f1"', 'label = "f1"\nfail = "maybe"'),
        "learner 'f1': field 'fail' must be one of",
    ),
    (
        "budget type",
        BASE.replace("epochs = 3", 'epochs = "3"'),
        "learner 'f2': field 'epochs' must be an integer",
    ),
    ("budget range", BASE.replace("epochs = 3", "epochs = -1"), "'epochs' must be 0 or more"),
    (
        "duplicate label",
        BASE.replace('label = "f2"', 'label = "f1"'),
        "learner label 'f1' is used twice",
    ),
    ("grid label", BASE.replace('"f2.noise"', '"f3.noise"'), "no learner labelled 'f3'"),
    (
        "grid param",
        BASE.replace('"f2.noise"', '"f2.noize"'),
        "grid key 'f2.noize': learner 'f2': unknown field 'noize' (did you mean 'noise'?)",
    ),
    ("grid key", BASE.replace('"f2.noise"', '"noise"'), "grid key 'noise' must look like"),
    (
        "grid not list",
        BASE.replace("[0.0, 0.1, 0.2]", "0.1"),
        "grid key 'f2.noise' must be a non-empty list",
    ),
    ("grid empty", BASE.replace("[0.0, 0.1, 0.2]", "[]"), "must be a non-empty list"),
    (
        "grid value type",
        BASE.replace("[0.0, 0.1, 0.2]", '[0.0, "x"]'),
        "grid key 'f2.noise': field 'noise' must be a number",
    ),
    ("grid repeat", BASE.replace("[0.0, 0.1, 0.2]", "[0.1, 0.1]"), "lists a value twice"),
    (
        "grid also set",
        BASE.replace('"f2.noise"', '"f2.shift"'),
        "'shift' is also set in learner 'f2'",
    ),
    (
        "budget field not honoured",
        BASE.replace('label = "f1"', 'label = "f1"\nsamples = 10'),
        "learner 'f1' (fake) does not honour the budget field 'samples' (budget fields it "
        "honours: epochs)",
    ),
    (
        "grid budget field not honoured",
        BASE.replace('"f2.noise"', '"f2.wall_time_s"').replace("[0.0, 0.1, 0.2]", "[1.0]"),
        "grid key 'f2.wall_time_s': learner 'f2' (fake) does not honour the budget field",
    ),
    (
        "report section",
        BASE + '\n[report]\nsections = ["results", "rasterz"]\n',
        "[report] sections: unknown report section 'rasterz'",
    ),
    ("report key", BASE + "\n[report]\nsection = []\n", "[report]: unknown key 'section'"),
    (
        "learner seeds",
        BASE.replace('label = "f1"', 'label = "f1"\nseeds = [0, 0]'),
        "learner 'f1': 'seeds' lists a seed twice",
    ),
    (
        "top-level key",
        BASE.replace("seeds = [0, 1]", "seeds = [0, 1]\nseed = 3"),
        "unknown top-level key 'seed' (did you mean 'seeds'?)",
    ),
]


@pytest.mark.parametrize("text, fragment", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_every_mistake_is_one_sentence_naming_file_and_field(
    tmp_path: Path, text: str, fragment: str
):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert fragment in message
    assert "\n" not in message


def test_missing_file_and_bad_toml(tmp_path: Path):
    with pytest.raises(SpecError, match="nope.toml: no such spec file"):
        load_spec(tmp_path / "nope.toml")
    path = write(tmp_path, 'name = "x"\nseeds = [0,\ntasks = ["toy"\n')
    with pytest.raises(SpecError, match=r"spec.toml: invalid TOML: .*line \d+"):
        load_spec(path)


TASK_SWEEP = """
name = "lags"
seeds = [0]

[[task]]
name = "toy"
spread = 0.2

[[learner]]
name = "fake"
label = "f"

[grid]
"toy.n_per_class" = [10, 20]
"f.noise" = [0.0, 0.1]
"""


def test_a_task_field_sweeps_like_a_learner_field(tmp_path: Path):
    """`"task.field"` in [grid] gives one task per value, crossed with the learner's grid; each
    run's grid point names both, and the task parameters (hashed) tell the runs apart."""
    runs = load_spec(write(tmp_path, TASK_SWEEP)).runs()
    assert [(run.task_params["n_per_class"], run.grid) for run in runs] == [
        (10, {"n_per_class": 10, "noise": 0.0}),
        (10, {"n_per_class": 10, "noise": 0.1}),
        (20, {"n_per_class": 20, "noise": 0.0}),
        (20, {"n_per_class": 20, "noise": 0.1}),
    ]
    assert all(run.task_params["spread"] == 0.2 for run in runs)
    assert len({run.run_id for run in runs}) == 4
    assert runs[2].title == "toy / f [n_per_class=20, noise=0.0] seed 0"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("[10, 20]", '[10, "ten"]'),
            "grid key 'toy.n_per_class': task 'toy': field 'n_per_class' must be an integer",
        ),
        (("spread = 0.2", "spread = 0.2\nn_per_class = 5"), "also set in task 'toy'"),
        (('label = "f"', 'label = "toy"'), "'toy' is both a learner label and a task"),
        (('"toy.n_per_class"', '"toys.n_per_class"'), "no learner labelled 'toys' and no task"),
    ],
)
def test_task_sweep_mistakes_are_one_sentence(tmp_path: Path, edit, message):
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, TASK_SWEEP.replace(*edit)))


PER_TASK = """
name = "per-task"
seeds = [0]
tasks = ["toy", "digits"]

[[learner]]
name = "fake"
label = "f"
tasks = ["toy"]
shift = 0.1

[[learner]]
name = "fake"
label = "f"
tasks = ["digits"]
shift = 0.2
"""


def test_one_label_may_name_a_table_per_task(tmp_path: Path):
    """Hyperparameters tuned per task, one name in every table: tables sharing a label must
    have disjoint task lists, so each (task, label) is still one configuration."""
    runs = load_spec(write(tmp_path, PER_TASK)).runs()
    assert [(run.task, run.label, run.params["shift"]) for run in runs] == [
        ("toy", "f", 0.1),
        ("digits", "f", 0.2),
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('tasks = ["digits"]', 'tasks = ["digits", "toy"]'), "learner label 'f' is used twice"),
        (('tasks = ["digits"]\n', ""), "learner label 'f' is used twice"),
        (("", '\n[grid]\n"f.noise" = [0.1]\n'), "label 'f' names several"),
    ],
)
def test_shared_labels_must_not_overlap(tmp_path: Path, edit, message):
    text = PER_TASK.replace(*edit) if edit[0] else PER_TASK + edit[1]
    with pytest.raises(SpecError, match=message):
        load_spec(write(tmp_path, text))
