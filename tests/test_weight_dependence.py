"""Weight dependence of spike rules: windows at three start weights, the stationary weight
distribution under uncorrelated input (Song et al. 2000 vs van Rossum et al. 2000), and the
cached summary a learner records."""

import io
import json

import numpy as np
import pytest

from neurosim.cli import main
from neurosim.plasticity import find_rule, load_rule
from neurosim.plotting import plot_stationary_weights, plot_weight_dependence
from neurosim.spiking.backend import codegen_target
from neurosim.spiking.protocols import weight_dependence as wd

SOFT_BOUND = """
name = "soft"
description = "pair STDP, soft bounds with exponent mu"
reference = "Gutig et al. 2003"
kind = "spike"
model = '''
w : 1
dapre/dt = -apre / tau : 1 (event-driven)
dapost/dt = -apost / tau : 1 (event-driven)
'''
on_pre = '''
apre += 1
w = clip(w - A_minus * wmax * (w / wmax) ** mu * apost, 0, wmax)
'''
on_post = '''
apost += 1
w = clip(w + A_plus * wmax * (1 - w / wmax) ** mu * apre, 0, wmax)
'''
[parameters]
tau = "20 ms"
A_plus = "0.01"
A_minus = "0.0105"
wmax = "2"
mu = "0.5"
"""


@pytest.fixture
def soft_rule(tmp_path):
    path = tmp_path / "soft.toml"
    path.write_text(SOFT_BOUND)
    return load_rule(path)


@pytest.mark.parametrize("mu", ["0.5", "0.2"])
def test_soft_bound_amplitudes_follow_the_power_laws(soft_rule, mu):
    """Gutig et al. 2003: LTP scales as (1 - w/wmax)^mu and LTD as (w/wmax)^mu; relative to
    w0 = 0.5 the fitted amplitudes must match to 2 % (in units of wmax, here 2)."""
    with codegen_target("numpy"):
        data = wd.window_by_weight(soft_rule.with_parameters(mu=mu))
    w0 = np.array(data["w0"])
    assert list(w0) == [0.1, 0.5, 0.9]
    ltp, ltd = np.array(data["ltp_amplitude"]), np.array(data["ltd_amplitude"])
    middle = list(w0).index(0.5)
    exponent = float(mu)
    np.testing.assert_allclose(ltp / ltp[middle], ((1 - w0) / 0.5) ** exponent, rtol=0.02)
    np.testing.assert_allclose(ltd / ltd[middle], (w0 / 0.5) ** exponent, rtol=0.02)
    # and the absolute values are the file's amplitudes (dw reported in units of wmax)
    np.testing.assert_allclose(ltp[middle], 0.01 * 0.5**exponent, rtol=0.02)
    assert len(data["dw"]) == 3 and all(len(dw) == len(data["dt_ms"]) for dw in data["dw"])


def test_bimodality_coefficient_hand_cases():
    """Two equal spikes give 1, a uniform distribution 5/9, a normal one 1/3 (large samples)."""
    rng = np.random.default_rng(0)
    assert wd.bimodality_coefficient(np.r_[np.zeros(5000), np.ones(5000)]) == pytest.approx(1, 1e-3)
    assert wd.bimodality_coefficient(rng.uniform(size=100_000)) == pytest.approx(5 / 9, abs=0.01)
    assert wd.bimodality_coefficient(rng.normal(size=100_000)) == pytest.approx(1 / 3, abs=0.01)
    assert wd.bimodality_coefficient(np.full(50, 0.3)) == 0.0


def test_verdict_needs_a_margin_over_uniform_and_two_real_modes():
    rng = np.random.default_rng(1)
    assert wd.is_bimodal(np.r_[rng.uniform(0, 0.1, 60), rng.uniform(0.9, 1, 40)])
    assert not wd.is_bimodal(rng.uniform(size=200))  # the protocol's start
    assert not wd.is_bimodal(np.r_[np.ones(198), 0.95, 0.9])  # all on the upper bound but two
    assert not wd.is_bimodal(np.r_[np.ones(100), np.full(100, 0.999)])  # a hair's spread


def stationary(name: str, max_s: float) -> dict:
    with codegen_target("cython"):
        return wd.stationary_distribution(find_rule(name), np.random.default_rng(0), max_s=max_s)


def test_additive_splits_and_multiplicative_gathers_within_50_s():
    """The fast variant: after 50 s of simulated time (about 4 s each once Cython is built) the
    additive rule has already pushed weights to both bounds and the multiplicative one has
    gathered them around wmax / 2 (full length: the slow test below)."""
    additive = stationary("stdp-pair-additive", max_s=50)
    multiplicative = stationary("stdp-pair-multiplicative", max_s=50)
    assert additive["bimodal"] and not multiplicative["bimodal"]
    assert additive["bimodality"] > wd.BIMODAL_ABOVE > 0.45 > multiplicative["bimodality"]
    weights = np.array(multiplicative["weights"])
    assert abs(np.median(weights) - 0.5) < 0.1  # A_plus wmax / A_minus = wmax / 2


@pytest.mark.slow
def test_stationary_distributions_song_2000_vs_van_rossum_2000():
    """At the protocol's full length (until settled, up to 180 s; about 15 s of wall time):
    Song et al. 2000, additive STDP ends with most weights near the two bounds; van Rossum et al.
    2000, multiplicative depression gives one mode and no weight near a bound."""
    additive = stationary("stdp-pair-additive", max_s=wd.MAX_S)
    multiplicative = stationary("stdp-pair-multiplicative", max_s=wd.MAX_S)
    assert additive["bimodality"] > 0.7 and additive["bimodal"]
    near_bounds = np.mean(
        (np.array(additive["weights"]) < 0.1) | (np.array(additive["weights"]) > 0.9)
    )
    assert near_bounds > 0.5
    assert multiplicative["bimodality"] < 0.45 and not multiplicative["bimodal"]
    assert multiplicative["settled"]
    assert np.all(np.abs(np.array(multiplicative["weights"]) - 0.5) < 0.25)


def test_summary_is_cached_by_the_rules_fingerprint(tmp_path, monkeypatch, soft_rule):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    calls = []

    def fake_stationary(rule, rng, max_s=None):
        calls.append(rule.fingerprint())
        return {"weights": [0.5], "bimodality": 0.0, "bimodal": False}

    monkeypatch.setattr(wd, "stationary_distribution", fake_stationary)
    first = wd.weight_dependence_summary(soft_rule)
    assert sorted(first) == ["stationary", "weight_dependence"]
    assert wd.weight_dependence_summary(soft_rule) == first
    assert calls == [soft_rule.fingerprint()]
    cached = list((tmp_path / "cache" / "rule-characterisation").iterdir())
    assert [p.name for p in cached] == [f"{soft_rule.fingerprint()}-seed0-v{wd.VERSION}.json"]
    other = soft_rule.with_parameters(mu="1")
    wd.weight_dependence_summary(other)
    assert calls == [soft_rule.fingerprint(), other.fingerprint()]


@pytest.mark.slow
def test_rules_check_reports_weight_dependence(tmp_path, capsys, soft_rule):
    """`rules check` on a rule file: summary lines, the two figures, and the numbers in --json
    (the full set of spike protocols, about 15 s)."""
    path = tmp_path / "soft.toml"
    out = tmp_path / "figs"
    assert main(["rules", "check", str(path), "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["protocols"][-2:] == ["weight-dependence", "stationary"]
    assert sorted(result["weight_dependence"]) == [
        "dt_ms",
        "dw",
        "ltd_amplitude",
        "ltp_amplitude",
        "w0",
    ]
    assert {"weights", "bimodality", "measure", "bimodal", "n_synapses"} <= set(
        result["stationary"]
    )
    assert (out / "weight-dependence-soft.png").exists()
    assert (out / "stationary-soft.png").exists()
    assert any(line.startswith("stationary weights") for line in result["summary"])


def test_weight_dependence_figure_leaves_out_unfitted_amplitudes():
    fig = plot_weight_dependence(
        [-10.0, 10.0],
        [0.1, 0.5, 0.9],
        [[-0.001, 0.004], [-0.002, 0.003], [-0.003, 0.002]],
        [0.004, 0.003, 0.002],
        [None, 0.002, 0.003],
    )
    window, amplitudes = fig.axes
    assert len(window.get_legend().get_texts()) == 3  # one window per start weight
    ltp, ltd = (line for line in amplitudes.lines)
    assert len(ltp.get_xdata()) == 3 and len(ltd.get_xdata()) == 2
    fig.savefig(io.BytesIO(), format="png", dpi=40)


def test_stationary_figure_states_the_verdict():
    fig = plot_stationary_weights([0.0, 0.02, 0.98, 1.0], 0.95, True, 4, 30.0, 120.0)
    (ax,) = fig.axes
    assert "bimodal" in ax.texts[0].get_text()
    assert ax.get_xlim() == (0.0, 1.0)
    fig.savefig(io.BytesIO(), format="png", dpi=40)
