"""Malformed rule files end in one sentence naming the file and field, and never run code."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import brian2
import pytest
from brian2.utils.logger import BrianLogger

from neurosim import cli
from neurosim.cli import main
from neurosim.errors import RuleError
from neurosim.plasticity import find_rule
from neurosim.spiking.rule_check import validate_rule

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

RATE = """
name = "oja-ish"
description = "d"
reference = "r"
kind = "rate"
model = "dw/dt = eta * y_post * (x_pre - w * y_post) / tau : 1 (clock-driven)"
signals = ["x_pre", "y_post"]
[parameters]
tau = "100 ms"
eta = 0.1
"""

ON_PRE = 'on_pre = "apre += 1"'
ON_POST = 'on_post = "w = clip(w + apre * eta, 0, 1)"'
TRACE = "dapre/dt = -apre / tau : 1 (event-driven)"

# (id, text to replace in GOOD, replacement, field named by the error, words in the message)
MALFORMED = [
    ("toml-syntax", 'reference = "r"', "reference = ", None, "invalid TOML"),
    ("missing-name", 'name = "mine"', "", "name", "missing"),
    ("missing-kind", 'kind = "spike"', "", "kind", "missing"),
    ("missing-model", f'model = """\nw : 1\n{TRACE}\n"""', "", "model", "missing"),
    ("unknown-kind", 'kind = "spike"', 'kind = "hebbian"', "kind", "'spike' or 'rate'"),
    ("no-weight", "w : 1\n", "", "model", "weight"),
    ("weight-with-unit", "w : 1\n", "w : volt\n", "model", "dimensionless"),
    ("unknown-in-on-pre", ON_PRE, 'on_pre = "apre += 1 + tau_pree / ms"', "on_pre",
     "unknown identifier 'tau_pree'"),
    ("unknown-in-on-post", ON_POST, 'on_post = "w = w + etaa"', "on_post",
     "unknown identifier 'etaa' (did you mean 'eta'?)"),
    ("unknown-in-model", TRACE, "dapre/dt = -apre / tauu : 1 (event-driven)", "model",
     "unknown identifier 'tauu'"),
    ("units-in-statement", ON_POST, 'on_post = "w = w + tau"', "on_post",
     "inconsistent units in 'w = w + tau'"),
    ("units-in-assignment", ON_POST, 'on_post = "w = tau"', "on_post", "inconsistent units"),
    ("units-in-equation", TRACE, "dapre/dt = -apre : 1 (event-driven)", "model",
     "inconsistent units in 'dapre/dt = -apre : 1 (event-driven)'"),
    ("equation-syntax", TRACE, "dapre/dt = -apre / tau : 1 (event-driven", "model",
     "cannot parse the equation"),
    ("parameter-value", 'tau = "20 ms"', 'tau = "twenty ms"', "parameters.tau", "number"),
    ("unknown-unit", 'tau = "20 ms"', 'tau = "20 mss"', "parameters.tau", "unknown unit 'mss'"),
    ("attribute", ON_POST, 'on_post = "w = w.real"', "on_post", "attribute access"),
    ("dunder-import", ON_PRE, "on_pre = \"apre = __import__('os')\"", "on_pre",
     "'__import__' is not a Brian2 function"),
    ("import-statement", ON_PRE, 'on_pre = "import os"', "on_pre", "imports are not allowed"),
    ("open", ON_POST, "on_post = \"w = open('x')\"", "on_post", "'open' is not a Brian2 function"),
    ("eval", ON_PRE, "on_pre = \"apre = eval('1')\"", "on_pre", "'eval' is not a Brian2 function"),
    ("lambda", ON_PRE, 'on_pre = "apre = (lambda: 1)()"', "on_pre", "Brian2 functions"),
    ("string", ON_PRE, "on_pre = \"apre = 'one'\"", "on_pre", "string literals"),
    ("subscript", ON_PRE, 'on_pre = "apre = apre[0]"', "on_pre", "indexing"),
    ("comprehension", ON_PRE, 'on_pre = "apre = [a for a in w]"', "on_pre", "comprehensions"),
    ("bare-expression", ON_PRE, 'on_pre = "clip(apre, 0, 1)"', "on_pre", "not a Brian2 statement"),
    ("attribute-in-model", TRACE, "dapre/dt = -apre.real / tau : 1 (event-driven)", "model",
     "attribute access"),
    ("unknown-signal", 'kind = "spike"', 'kind = "spike"\nsignals = ["dopamine"]', "signals",
     "unknown signal 'dopamine'"),
    ("undeclared-reward", ON_POST, 'on_post = "w = clip(w + reward * apre, 0, 1)"', "signals",
     "'on_post' reads the signal 'reward'"),
    ("undeclared-v-post", ON_POST, 'on_post = "w += v_post / volt"', "signals", "'v_post'"),
    ("no-statements", f"{ON_PRE}\n{ON_POST}", "", "on_pre", "a spike rule needs statements"),
    ("rate-without-dwdt", 'kind = "spike"', 'kind = "rate"', "model", "a rate rule"),
    ("assigns-parameter", ON_PRE, 'on_pre = "apre += 1\\ntau = 2 * ms"', "on_pre",
     "assigns to the parameter 'tau'"),
    ("nonlinear-event-driven", TRACE, "dapre/dt = -apre**2 / tau : 1 (event-driven)", "model",
     "cannot solve the event-driven equations"),
    ("shadows-unit", 'tau = "20 ms"', 'tau = "20 ms"\nms = "1"', "parameters.ms",
     "shadows the Brian2 unit 'ms'"),
    ("shadows-model", 'tau = "20 ms"', 'tau = "20 ms"\napre = "1"', "parameters.apre",
     "shadows the model variable 'apre'"),
    ("shadows-synapse-variable", 'tau = "20 ms"', 'tau = "20 ms"\nlastupdate = "1 ms"',
     "parameters.lastupdate", "shadows the Brian2 synapse variable"),
]  # fmt: skip


def write(tmp_path: Path, text: str, name: str = "rule.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def no_characterize(monkeypatch):
    """A malformed rule must never get as far as characterization."""
    monkeypatch.setattr(cli, "_characterize", lambda *a: pytest.fail("characterized a bad rule"))


def test_good_rules_validate(tmp_path):
    validate_rule(find_rule(str(write(tmp_path, GOOD))))
    validate_rule(find_rule(str(write(tmp_path, RATE, "rate.toml"))))
    validate_rule(find_rule("stdp-triplet"))


@pytest.mark.parametrize(("signal", "term"), [("reward", "reward"), ("v_post", "v_post / mV")])
def test_declared_signals_are_provided(tmp_path, signal, term):
    text = GOOD.replace(ON_POST, f'on_post = "w = clip(w + apre * {term}, 0, 1)"')
    text = text.replace('kind = "spike"', f'kind = "spike"\nsignals = ["{signal}"]')
    validate_rule(find_rule(str(write(tmp_path, text))))


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_rule_is_one_clear_error(
    tmp_path, capsys, no_characterize, old, new, field, words
):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(RuleError) as info:
        validate_rule(find_rule(str(path)))
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith(str(path))

    capsys.readouterr()
    assert main(["rules", "check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"neurosim: error: {info.value}\n"
    assert "Traceback" not in captured.err


def test_rule_text_is_never_executed(tmp_path):
    marker = tmp_path / "marker"
    attack = f"__import__('pathlib').Path('{marker}').touch()"
    places = [
        (ON_PRE, f'on_pre = "apre = {attack}"'),
        (ON_POST, f'on_post = "w = {attack}"'),
        (TRACE, f"dapre/dt = {attack} : 1 (event-driven)"),
        (TRACE, f"{TRACE}\nz = {attack} : 1"),
        ('tau = "20 ms"', f'tau = "{attack}"'),
    ]
    for old, new in places:
        with pytest.raises(RuleError):
            validate_rule(find_rule(str(write(tmp_path, GOOD.replace(old, new)))))
    validate_rule(find_rule(str(write(tmp_path, GOOD.replace('"mine"', f'"{attack}"')))))
    assert not marker.exists()


def test_validation_restores_brian2_settings(tmp_path):
    target = brian2.prefs.codegen.target
    level = BrianLogger.console_handler.level
    path = write(tmp_path, GOOD.replace(ON_POST, 'on_post = "w = w + etaa"'))
    with pytest.raises(RuleError):
        validate_rule(find_rule(str(path)))
    assert brian2.prefs.codegen.target == target
    assert BrianLogger.console_handler.level == level


def test_the_command_prints_one_line_and_leaves_no_brian2_debug_files(tmp_path):
    """In a real process that goes on after the check (gc.collect stands for "later"): Brian2
    would log the failed build and its orphaned objects, and keep its debug log and a copy of the
    script after an uncaught error; the check mutes the one and never lets the other happen."""
    path = write(tmp_path, GOOD.replace(TRACE, "dapre/dt = -apre / tau : 1 (event-drivn)"))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    script = (
        "import gc, sys\nfrom neurosim.cli import main\n"
        f"status = main(['rules', 'check', {str(path)!r}])\ngc.collect()\nsys.exit(status)"
    )
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"neurosim: error: {path}, field 'model': ")
    assert done.stderr.count("\n") == 1
    assert list(scratch.iterdir()) == []


def test_python_built_rules_are_checked_too():
    rule = dataclasses.replace(find_rule("stdp-triplet"), signals=("serotonin",), source="<mine>")
    with pytest.raises(RuleError, match="<mine>, field 'signals': unknown signal 'serotonin'"):
        validate_rule(rule)
