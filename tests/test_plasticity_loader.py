"""Rule files are data: malformed ones end in one sentence naming the file and the field."""

from pathlib import Path

import pytest

from neurosim.cli import main
from neurosim.errors import RuleError
from neurosim.plasticity import find_rule, load_rule

GOOD = '''
name = "mine"
description = "d"
reference = "r"
kind = "spike"
model = """
w : 1
dapre/dt = -apre / tau : 1 (event-driven)
"""
on_pre = "apre += 1"
on_post = "w = clip(w + apre * eta, 0, 1)"
[parameters]
tau = "20 ms"
eta = 0.01
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rule.toml"
    path.write_text(text)
    return path


def test_builtin_rule_is_found_by_name():
    rule = find_rule("stdp-triplet")
    assert rule.kind == "spike" and "Diehl" in rule.reference
    assert rule.parameters["tau_post2"] == "40 ms"


def test_good_rule_loads_and_numbers_become_strings(tmp_path):
    rule = load_rule(write(tmp_path, GOOD))
    assert rule.parameters == {"tau": "20 ms", "eta": "0.01"}


def test_fingerprint_changes_with_parameters_only():
    rule = find_rule("stdp-triplet")
    assert rule.fingerprint() != rule.with_parameters(nu_post="0.1").fingerprint()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: t.replace('name = "mine"\n', ""), "name"),
        (lambda t: t.replace('kind = "spike"', 'kind = "magic"'), "kind"),
        (lambda t: t.replace('kind = "spike"', "kind = 3"), "kind"),
        (lambda t: t.replace("w : 1\n", ""), "model"),
        (lambda t: t.replace('tau = "20 ms"', 'tau = "twenty ms"'), "parameters.tau"),
        (lambda t: t.replace('tau = "20 ms"', "tau = \"__import__('os')\""), "parameters.tau"),
        (lambda t: 'extra = "x"\n' + t, "extra"),
        (lambda t: t.replace('on_pre = "apre += 1"', "on_pre = [1]"), "on_pre"),
        (lambda t: t.replace('tau = "20 ms"', '"tau pre" = "20 ms"'), "parameters.tau pre"),
        (lambda t: t.replace('kind = "spike"', 'kind = "spike"\nsignals = [{a = 1}]'), "signals"),
    ],
)
def test_malformed_rule_names_the_field(tmp_path, change, field):
    path = write(tmp_path, change(GOOD))
    with pytest.raises(RuleError) as info:
        load_rule(path)
    assert info.value.field == field
    assert str(path) in str(info.value)


def test_toml_syntax_error_names_the_file(tmp_path):
    path = write(tmp_path, GOOD.replace('reference = "r"', "reference = "))
    with pytest.raises(RuleError, match="invalid TOML"):
        load_rule(path)


def test_unknown_rule_in_a_spec_exits_2_without_traceback(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'name = "x"\nseeds = [0]\ntasks = ["digits"]\n[[learner]]\nname = "stdp-wta"\n'
        'rule = "nope"\n'
    )
    assert main(["run", str(spec), "--results", str(tmp_path / "res")]) == 2
    err = capsys.readouterr().err
    assert "field 'rule'" in err and "nope" in err and "Traceback" not in err
