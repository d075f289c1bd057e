"""Rule parameters are swept like any other field ("label.rule.mu"), read `mu=0.4`, and give run
ids that depend on the resolved rule only; a rule path in a spec is relative to the spec file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from neurosim.cli import main
from neurosim.experiment.spec import load_spec
from neurosim.grid import grid_text
from neurosim.plasticity import discovery
from neurosim.report.grouping import RunGroup
from neurosim.report.sweeps import find_sweeps

# Soft-bound pair STDP after Gütig et al. 2003: mu = 0 is additive, mu = 1 multiplicative.
GUTIG = '''
name = "gutig"
description = "soft-bound pair STDP with weight-dependence exponent mu"
reference = "Gutig et al. 2003"
kind = "spike"
model = """
w : 1
dapre/dt = -apre / tau_plus : 1 (event-driven)
dapost/dt = -apost / tau_minus : 1 (event-driven)
"""
on_pre = """
apre += 1
w = clip(w - A_minus * wmax * apost * (w / wmax)**mu, 0, wmax)
"""
on_post = """
apost += 1
w = clip(w + A_plus * wmax * apre * (1 - w / wmax)**mu, 0, wmax)
"""
[parameters]
tau_plus = "20 ms"
tau_minus = "20 ms"
A_plus = "0.01"
A_minus = "0.0105"
wmax = "1"
mu = "0.4"
'''
HEAD = 'name = "sweep"\nseeds = [0]\ntasks = ["digits"]\n'


@pytest.fixture(autouse=True)
def clean_search_path(monkeypatch):
    """No inherited NEUROSIM_MODELS_PATH (the CLI sets it), no installed plugins."""
    monkeypatch.delenv(discovery.ENV_VAR, raising=False)
    monkeypatch.setattr(discovery, "entry_points", lambda group: [])


def write_spec(folder: Path, body: str, rule: str = "rules/gutig.toml") -> Path:
    """A spec in `folder` with one stdp-wta learner 'g' on the Gütig rule at `rules/`."""
    (folder / "rules").mkdir(parents=True, exist_ok=True)
    (folder / "rules" / "gutig.toml").write_text(GUTIG)
    spec = folder / "spec.toml"
    spec.write_text(
        f'{HEAD}[[learner]]\nname = "stdp-wta"\nlabel = "g"\nrule = "{rule}"\n'
        f"n_neurons = 10\nsamples = 20\n{body}\n"
    )
    return spec


def test_a_rule_parameter_sweep_gives_one_readable_run_per_value(tmp_path, monkeypatch):
    spec = write_spec(tmp_path, '[grid]\n"g.rule.mu" = [0, 0.4, 1.0, "0.7"]')
    monkeypatch.chdir(tmp_path.parent)  # the rule path is relative to the spec, not to here
    runs = load_spec(spec).runs()
    assert [run.title for run in runs] == [
        f"digits / g [mu={mu}] seed 0" for mu in ("0", "0.4", "1", "0.7")
    ]
    assert [run.params["rule_parameters"] for run in runs] == [
        {"mu": mu} for mu in ("0", "0.4", "1", "0.7")
    ]
    assert runs[0].grid == {"rule_parameters": {"mu": "0"}}
    assert runs[0].params["rule"] == str(tmp_path / "rules" / "gutig.toml")
    assert len({run.run_id for run in runs}) == 4
    assert len({run.content for run in runs}) == 4  # the resolved rule differs per point


def test_the_run_id_is_a_function_of_the_resolved_rule(tmp_path):
    """mu = 0.4 swept, set as a number, or set as text: one rule, so one stored result."""
    swept = load_spec(write_spec(tmp_path / "a", '[grid]\n"g.rule.mu" = [0.4, 1]')).runs()[0]
    number = load_spec(write_spec(tmp_path / "b", "rule_parameters = {mu = 0.4}")).runs()[0]
    text = load_spec(write_spec(tmp_path / "c", 'rule_parameters = {mu = "0.4"}')).runs()[0]
    assert number.params["rule_parameters"] == {"mu": "0.4"}
    assert text.content == number.content == swept.content
    assert text.run_id == number.run_id  # same rule file content, same parameters
    assert grid_text(swept.grid) == "mu=0.4"


def test_rule_sweeps_combine_with_other_fields_and_keep_fixed_rule_parameters(tmp_path):
    spec = write_spec(
        tmp_path,
        'rule_parameters = {A_plus = 0.02}\n[grid]\n"g.rule.mu" = [0, 1]\n"g.rest_ms" = [100, 150]',
    )
    runs = load_spec(spec).runs()
    assert [grid_text(run.grid) for run in runs] == [
        "mu=0, rest_ms=100.0",
        "mu=0, rest_ms=150.0",
        "mu=1, rest_ms=100.0",
        "mu=1, rest_ms=150.0",
    ]
    assert runs[2].params["rule_parameters"] == {"A_plus": "0.02", "mu": "1"}


def test_the_report_reads_a_rule_sweep_as_a_sweep_of_mu():
    groups = [
        RunGroup("digits", "g", {"rule_parameters": {"mu": mu}}, []) for mu in ("0", "0.4", "1")
    ]
    (sweep,) = find_sweeps(groups)
    assert sweep.xlabel == "mu"
    assert [x for x, _ in sweep.lines["g"]] == [0.0, 0.4, 1.0]
    assert [group.name for group in sweep.groups] == ["g [mu=0]", "g [mu=0.4]", "g [mu=1]"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (  # a number for a parameter with units: which unit?
            '[grid]\n"g.rule.tau_plus" = [10, 20]',
            "grid key 'g.rule.tau_plus'.*'tau_plus' of 'gutig' has units \\(ms\\).*"
            'tau_plus = "10 ms"',
        ),
        (  # a unit for a dimensionless parameter
            'rule_parameters = {mu = "20 ms"}',
            "'mu' of 'gutig' is dimensionless, got '20 ms'",
        ),
        (  # an unknown parameter: name the rule's parameters
            '[grid]\n"g.rule.nu" = [1]',
            "rule 'gutig' has no parameter nu; its parameters: tau_plus, tau_minus, A_plus, "
            "A_minus, wmax, mu",
        ),
        (  # the first try: point to the form that works
            '[grid]\n"g.mu" = [0, 1]',
            "unknown field 'mu'.*'mu' is a parameter of rule 'gutig': sweep it as \"g.rule.mu\"",
        ),
        ("mu = 0.5", "'mu' is a parameter of rule 'gutig': set it as rule_parameters=\\{mu = "),
        (
            'rule_parameters = {mu = 0.5}\n[grid]\n"g.rule.mu" = [0, 1]',
            "'mu' is also set in the rule_parameters of learner 'g'; set it in one place",
        ),
        ('[grid]\n"g.rule.mu" = [0, 0.0]', "lists a value twice"),
        (
            '[grid]\n"g.rule.mu" = [0, 1]\n"g.rule_parameters" = [{A_plus = 0.02}]',
            "'g.rule_parameters' is swept too; sweep the parameters of one rule per",
        ),
        ('[grid]\n"g.rule.mu" = [inf]', "'mu' of 'gutig' must be a finite number"),
    ],
)
def test_rule_parameter_mistakes_are_one_sentence_with_exit_code_2(tmp_path, capsys, body, words):
    spec = write_spec(tmp_path, body)
    assert main(["run", str(spec), "--results", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"neurosim: error: {spec}: ")
    assert re.search(words, err), err
    assert not (tmp_path / "results").exists()  # refused before anything ran


def test_a_missing_rule_file_names_the_path_resolved_against_the_spec(tmp_path, capsys):
    spec = write_spec(tmp_path, "", rule="my-rules/nothere.toml")
    assert main(["run", str(spec), "--results", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert f"rule file not found at {tmp_path / 'my-rules' / 'nothere.toml'}" in err
    assert "relative to the spec file's folder" in err and err.count("\n") == 1
