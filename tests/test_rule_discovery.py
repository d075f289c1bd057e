"""Rules are found on a search path (--models, NEUROSIM_MODELS_PATH, entry points, built-ins),
shipped inside the package, and checked or listed by `neurosim rules`."""

from __future__ import annotations

import configparser
import json
import multiprocessing
import os
import types
from pathlib import Path

import numpy as np
import pytest

from neurosim import cli
from neurosim.cli import main
from neurosim.errors import RuleError
from neurosim.plasticity import BUILTIN_DIR, discovery, find_rule, search_path

ROOT = Path(__file__).resolve().parents[1]
RULE = '''
name = "{name}"
description = "a test rule"
reference = "{reference}"
kind = "spike"
model = """
w : 1
dapre/dt = -apre / tau : 1 (event-driven)
"""
on_pre = "apre += 1"
on_post = "w = clip(w + 0.01 * apre, 0, 1)"
[parameters]
tau = "20 ms"
'''


@pytest.fixture(autouse=True)
def clean_search_path(monkeypatch):
    """No inherited NEUROSIM_MODELS_PATH (restored after the CLI sets it), no installed plugins."""
    monkeypatch.delenv(discovery.ENV_VAR, raising=False)
    monkeypatch.setattr(discovery, "entry_points", lambda group: [])


def rule_dir(root: Path, name: str = "mine", reference: str = "r") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.toml").write_text(RULE.format(name=name, reference=reference))
    return root


class FakeEntryPoint:
    def __init__(self, name: str, target: object):
        self.name, self.value, self._target = name, f"plugin:{name}", target

    def load(self) -> object:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def test_models_option_finds_a_rule_and_reaches_workers_through_the_environment(tmp_path, capsys):
    folder = rule_dir(tmp_path / "lab")
    assert main(["list", "--models", str(folder)]) == 0
    assert "mine" in capsys.readouterr().out.split("rules:")[1]
    assert os.environ[discovery.ENV_VAR].split(os.pathsep)[0] == str(folder.resolve())
    # engine workers are spawned processes: they see the folder through the inherited environment
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_source_of, ("mine",)) == str(folder / "mine.toml")


def _source_of(name: str) -> str:
    return find_rule(name).source


def test_environment_variable_finds_a_rule(tmp_path, monkeypatch):
    first, second = rule_dir(tmp_path / "a", "one"), rule_dir(tmp_path / "b", "two")
    monkeypatch.setenv(discovery.ENV_VAR, os.pathsep.join([str(first), "", str(second)]))
    assert find_rule("one").source == str(first / "one.toml")
    assert find_rule("two").source == str(second / "two.toml")


def test_precedence_models_then_environment_then_entry_points_then_builtin(tmp_path, monkeypatch):
    models, env, plugin = (rule_dir(tmp_path / d, "stdp-triplet") for d in ("m", "e", "p"))
    monkeypatch.setattr(
        discovery, "entry_points", lambda group: [FakeEntryPoint("lab", str(plugin))]
    )
    monkeypatch.setenv(discovery.ENV_VAR, str(env))
    assert find_rule("stdp-triplet", [models]).source == str(models / "stdp-triplet.toml")
    assert find_rule("stdp-triplet").source == str(env / "stdp-triplet.toml")
    monkeypatch.delenv(discovery.ENV_VAR)
    assert find_rule("stdp-triplet").source == str(plugin / "stdp-triplet.toml")
    monkeypatch.setattr(discovery, "entry_points", lambda group: [])
    assert find_rule("stdp-triplet").source == str(BUILTIN_DIR / "stdp-triplet.toml")
    origins = [folder.origin for folder in search_path([models])]
    assert origins == ["--models", "built-in"]


def test_rules_list_shows_sources_and_flags_shadowed_and_broken_files(tmp_path, capsys):
    folder = rule_dir(tmp_path / "lab", "stdp-triplet", reference="Me 2026")
    rule_dir(folder, "mine")
    (folder / "broken.toml").write_text('name = "broken"\nkind = "spike"\n')
    assert main(["rules", "list", "--models", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    mine = next(line for line in lines if line.startswith("mine "))
    assert "spike" in mine and "--models" in mine and str(folder / "mine.toml") in mine
    triplets = [line for line in lines if line.startswith("stdp-triplet ")]
    assert "Me 2026" in triplets[0] and "SHADOWED" not in triplets[0]
    assert "built-in" in triplets[1] and "Diehl" in triplets[1]
    assert f"SHADOWED by {folder / 'stdp-triplet.toml'}" in triplets[1]
    broken = next(line for line in lines if line.startswith("broken "))
    assert "INVALID" in broken and "field 'description'" in broken


def test_entry_points_load_folders_and_modules(tmp_path, monkeypatch):
    folder = rule_dir(tmp_path / "folder", "from-folder")
    package = rule_dir(tmp_path / "package", "from-package")
    module = rule_dir(tmp_path / "module", "from-module")
    as_package = types.ModuleType("labrules")
    as_package.__path__ = [str(package)]
    as_module = types.ModuleType("labrules_flat")
    as_module.__file__ = str(module / "__init__.py")
    plugins = [
        FakeEntryPoint("a", folder),
        FakeEntryPoint("b", as_package),
        FakeEntryPoint("c", as_module),
    ]
    monkeypatch.setattr(discovery, "entry_points", lambda group: plugins)
    assert find_rule("from-folder").source == str(folder / "from-folder.toml")
    assert find_rule("from-package").source == str(package / "from-package.toml")
    assert find_rule("from-module").source == str(module / "from-module.toml")
    assert [f.origin for f in search_path()][:3] == [f"entry point {p.name}" for p in plugins]


@pytest.mark.parametrize(
    ("target", "words"), [(ImportError("no module lab"), "cannot be loaded"), (42, "a folder")]
)
def test_a_broken_entry_point_is_named(monkeypatch, capsys, target, words):
    monkeypatch.setattr(discovery, "entry_points", lambda group: [FakeEntryPoint("lab", target)])
    with pytest.raises(RuleError, match=f"entry point 'lab = plugin:lab'.*{words}"):
        find_rule("stdp-triplet")
    assert main(["rules", "list"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_unknown_rule_and_missing_models_folder_are_user_errors(tmp_path, capsys):
    assert main(["rules", "check", "stdp-tripplet"]) == 2
    assert "did you mean 'stdp-triplet'?" in capsys.readouterr().err
    assert main(["rules", "list", "--models", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_an_unknown_rule_names_the_search_path_and_how_to_extend_it(tmp_path, capsys):
    folder = rule_dir(tmp_path / "lab")
    assert main(["rules", "check", "gutig", "--models", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    looked = err.index(f"{folder.resolve()} (--models)")
    assert looked < err.index(f"{BUILTIN_DIR} (built-in)")  # every folder, in search order
    assert "`--models DIR`" in err and "NEUROSIM_MODELS_PATH" in err and "mine" in err


def test_a_missing_rule_file_shows_the_path_looked_at(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["rules", "check", "rules/gone.toml"]) == 2
    err = capsys.readouterr().err
    assert f"rule file not found at {tmp_path / 'rules' / 'gone.toml'}" in err
    assert err.count("\n") == 1


def test_toml_files_that_are_not_rules_are_skipped_with_a_note(tmp_path, capsys):
    """A spec kept beside the rules is neither an INVALID rule nor a name to suggest."""
    folder = rule_dir(tmp_path / "lab", "gutig")
    (folder / "gutig-sweep.toml").write_text('name = "sweep"\nseeds = [0]\ntasks = ["digits"]\n')
    assert main(["rules", "list", "--models", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"skipped: not a rule file (no kind/model): {folder / 'gutig-sweep.toml'}" in out
    assert not any(line.startswith("gutig-sweep ") for line in out.splitlines())
    assert "INVALID" not in out
    assert "gutig-sweep" not in discovery.RULES.names([folder])
    with pytest.raises(RuleError) as error:
        find_rule("gutig-swep", [folder])
    assert "did you mean 'gutig'?" in str(error.value)


def fake_characterize(rule, out_dir):
    return {
        "rule": rule.name,
        "summary": ["LTP window 20 ms", "stable"],
        "dw": np.array([0.1, -0.2]),
        "peak": np.float64(0.5),
        "out": out_dir,
    }


def test_rules_check_json_prints_the_characterization(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_characterize", fake_characterize)
    monkeypatch.chdir(tmp_path)
    folder = rule_dir(tmp_path / "lab")
    assert main(["rules", "check", "mine", "--models", str(folder), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dw"] == [0.1, -0.2] and result["peak"] == 0.5
    assert result["out"] == str(Path("rule-checks") / "mine")


def test_rules_check_prints_a_summary_and_where_figures_go(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_characterize", fake_characterize)
    path = rule_dir(tmp_path / "lab") / "mine.toml"
    assert main(["rules", "check", str(path), "--out", str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    assert f"mine: valid ({path})" in out and "  LTP window 20 ms" in out
    assert f"figures: {tmp_path / 'figs'}" in out


def test_builtin_rules_ship_inside_the_package():
    """setup.cfg lists packages by hand (to map models/ to neurosim.models): none may be missed."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    packages = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in ROOT.glob("neurosim/**/__init__.py")
    }
    assert packages | {"neurosim.models", "neurosim.models.plasticity"} == listed
    assert config["options"]["package_dir"].split() == ["neurosim.models", "=", "models"]
    assert config["options.package_data"]["neurosim.models.plasticity"] == "*.toml"
    assert BUILTIN_DIR == ROOT / "models" / "plasticity"  # a source checkout reads the source


def test_editing_a_rule_file_in_place_changes_the_run_ids(tmp_path, monkeypatch):
    """Stored results must not be reused after the rule they were learned with changed."""
    import shutil

    from neurosim.experiment.spec import load_spec
    from neurosim.plasticity import find_rule

    folder = tmp_path / "rules"
    folder.mkdir()
    rule_file = folder / "mine.toml"
    shutil.copy(find_rule("stdp-triplet").source, rule_file)
    monkeypatch.setenv("NEUROSIM_MODELS_PATH", str(folder))
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'name = "x"\nseeds = [0]\ntasks = ["digits"]\n[[learner]]\nname = "stdp-wta"\n'
        'rule = "mine"\n'
    )
    before = load_spec(spec).runs()[0].run_id
    rule_file.write_text(rule_file.read_text().replace('nu_post = "0.05"', 'nu_post = "0.02"'))
    after = load_spec(spec).runs()[0].run_id
    assert before != after
    assert load_spec(spec).runs()[0].run_id == after  # and stable while the file is unchanged
