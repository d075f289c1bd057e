"""The built-in rules, run through the characterization protocols, against what theory predicts.

Protocol functions run on Brian2's numpy target here (no Cython build on a fresh machine); the
numbers do not depend on the target.
"""

import json

import numpy as np
import pytest

from neurosim.plasticity import RULES, PlasticityRule, find_rule
from neurosim.spiking.backend import codegen_target, quantity
from neurosim.spiking.characterize import build_check, characterize
from neurosim.spiking.protocols import rate, reward, stdp, weight_dependence


@pytest.fixture(autouse=True)
def numpy_target():
    with codegen_target("numpy"):
        yield


def parameter(rule: PlasticityRule, name: str) -> float:
    return float(quantity(rule.parameters[name]))


@pytest.mark.parametrize("name", RULES.names())
def test_every_builtin_rule_loads_and_builds(name):
    rule = find_rule(name)
    assert rule.name == name and rule.description and rule.reference
    build_check(rule)


@pytest.mark.parametrize(
    "name", ["stdp-pair-additive", "stdp-pair-nearest", "stdp-pair-multiplicative"]
)
def test_pair_stdp_window_matches_the_exponentials(name):
    """One pairing: A+ exp(-dt / tau+) for dt > 0, -A- exp(dt / tau-) for dt < 0 (Song et al.
    2000); depression is scaled by the starting weight where it is multiplicative."""
    rule = find_rule(name)
    window = stdp.stdp_window(rule)
    dt, dw = np.array(window["dt_ms"]) / 1000, np.array(window["dw"])
    wmax = parameter(rule, "wmax")
    a_minus = parameter(rule, "A_minus") * (window["w0"] if "multiplicative" in name else wmax)
    expected = np.where(
        dt > 0,
        parameter(rule, "A_plus") * wmax * np.exp(-dt / parameter(rule, "tau_plus")),
        -a_minus * np.exp(dt / parameter(rule, "tau_minus")),
    )
    np.testing.assert_allclose(dw, expected, rtol=0.05)
    assert not window["clipped"]


def test_window_fit_recovers_amplitudes_and_time_constants():
    window = stdp.stdp_window(find_rule("stdp-pair-additive"))
    fit = stdp.fit_window(window["dt_ms"], window["dw"])
    assert fit["a_plus"] == pytest.approx(0.005, rel=1e-3)
    assert fit["a_minus"] == pytest.approx(-0.00525, rel=1e-3)
    assert fit["tau_plus_ms"] == pytest.approx(20, rel=1e-3)
    assert fit["max_rel_error"] < 1e-3


@pytest.mark.parametrize("name", ["triplet-stdp", "triplet-stdp-minimal"])
def test_triplet_rule_reproduces_the_frequency_dependence_of_visual_cortex(name):
    """Sjostrom et al. 2001, as fitted by Pfister & Gerstner 2006: pairings at +10 ms do nothing
    at 0.1 Hz and potentiate more the higher the rate; pairings at -10 ms depress at low rates
    and potentiate at 50 Hz, where the next pre spike follows each post spike by 10 ms."""
    curve = stdp.frequency_dependence(find_rule(name))
    hz = np.array(curve["hz"])
    plus, minus = np.array(curve["dw_plus10"]), np.array(curve["dw_minus10"])
    assert abs(plus[hz == 0.1][0]) < 1e-3
    assert np.all(np.diff(plus[hz >= 5]) > 0)
    assert np.all(plus[hz >= 20] > 0.2)
    assert np.all(minus[hz <= 1] < -0.2)
    assert minus[hz == 50][0] > 0.2
    assert not curve["clipped"]


def test_oja_converges_to_the_first_principal_component():
    result = rate.principal_component(find_rule("oja"), np.random.default_rng(0))
    assert result["final_cosine"] > 0.99
    assert result["final_norm"] == pytest.approx(1.0, abs=0.05)


def test_hebb_with_decay_settles_at_the_input_output_correlation():
    """With y imposed by a teacher, dw/dt = eta (x y - decay w) has the fixed point
    w = <x y> / decay (Dayan & Abbott 2001, ch. 8)."""
    rule = find_rule("hebb-decay")
    result = rate.clamped(rule, np.random.default_rng(1))
    assert result["final_cosine"] > 0.99
    assert result["gain"] == pytest.approx(1 / parameter(rule, "decay"), rel=0.05)


def test_hebb_with_decay_diverges_when_y_follows_w():
    result = rate.principal_component(find_rule("hebb-decay"), np.random.default_rng(2))
    assert result["diverged"] or result["final_norm"] > 1e6
    json.dumps(result, allow_nan=False)  # divergence is reported as None, never as NaN


def test_synaptic_scaling_brings_mean_activity_to_its_target():
    rule = find_rule("synaptic-scaling")
    result = rate.homeostasis(rule, np.random.default_rng(3))
    assert result["final_mean_y"] == pytest.approx(parameter(rule, "target"), rel=0.05)


def test_bcm_becomes_selective_to_one_pattern():
    result = rate.selectivity(find_rule("bcm"), np.random.default_rng(4))
    assert result["index"] > 0.9
    others = np.delete(result["final_responses"], result["preferred"])
    assert result["final_responses"][result["preferred"]] > 10 * max(others.max(), 0.1)


@pytest.mark.slow
def test_dopamine_modulated_stdp_solves_the_distal_reward_problem():
    """Izhikevich 2007: the one synapse whose pairings are followed by reward 1-3 s later ends
    at least 3x stronger than the mean of the others (about 30 s on a 2-core machine)."""
    with codegen_target("cython"):
        result = reward.distal_reward(find_rule("rstdp"), np.random.default_rng(0))
    assert result["rewards"] > 10
    assert result["w_rewarded"][-1] > 2 * result["w0"]
    assert result["ratio"] >= 3


def test_characterize_writes_json_ready_numbers_and_figures(tmp_path, monkeypatch):
    monkeypatch.setattr(weight_dependence, "MAX_S", weight_dependence.CHUNK_S)  # one chunk
    result = characterize(find_rule("stdp-pair-additive"), tmp_path)
    assert result["protocols"] == ["stdp-window", "frequency", "weight-dependence", "stationary"]
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "frequency-stdp-pair-additive.png",
        "stationary-stdp-pair-additive.png",
        "stdp-window-stdp-pair-additive.png",
        "weight-dependence-stdp-pair-additive.png",
    ]
    assert any("STDP window" in line for line in result["summary"])


def test_characterize_says_when_no_protocol_serves_a_rule(tmp_path):
    voltage_rule = PlasticityRule(
        name="voltage",
        description="d",
        reference="r",
        kind="spike",
        model="w : 1",
        on_pre="w = clip(w + (v_post + 70 * mV) / mV * 0.001, 0, 1)",
        signals=("v_post",),
    )
    result = characterize(voltage_rule, tmp_path)
    assert result["protocols"] == []
    assert "v_post" in result["summary"][0]
    assert not list(tmp_path.iterdir())
