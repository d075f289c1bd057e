"""`stored_exact` integrates like Brian2's `exact` and derives each system once per machine."""

import brian2 as b2
import numpy as np
import pytest
from brian2.stateupdaters.base import StateUpdateMethod

from neurosim.spiking.backend import codegen_target
from neurosim.spiking.integration import stored_exact

# a membrane driven by a decaying synaptic current, as in the liquid's LIF neuron (whose
# refractoriness brings the function `int` among the variables)
EQUATIONS = """
dv/dt = (ie - v) / tau_m : volt (unless refractory)
die/dt = -ie / tau_e : volt
"""


def _trace(method: object, tau_e_ms: float = 3.0) -> np.ndarray:
    """v over 20 ms after a 1 mV current step at t = 0, from rest."""
    b2.start_scope()
    namespace = {"tau_m": 30 * b2.ms, "tau_e": tau_e_ms * b2.ms}
    with codegen_target("numpy"):
        group = b2.NeuronGroup(
            1, EQUATIONS, refractory=2 * b2.ms, method=method, namespace=namespace, dt=0.1 * b2.ms
        )
        group.ie = 1 * b2.mV
        monitor = b2.StateMonitor(group, "v", record=0, dt=0.1 * b2.ms)
        b2.run(20 * b2.ms)
    return np.asarray(monitor.v[0] / b2.mV)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, and Brian2's own in-memory cache of derivations emptied."""
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path))
    _forget_derivations()
    return tmp_path / "integration"


def _forget_derivations() -> None:
    StateUpdateMethod.apply_stateupdater.__wrapped__._cache.clear()


def test_the_trace_is_the_closed_form_solution(cache):
    """v(t) = ie0 tau_e / (tau_m - tau_e) (exp(-t/tau_m) - exp(-t/tau_e)), by hand."""
    t = np.arange(200) * 0.1
    expected = 3.0 / 27.0 * (np.exp(-t / 30.0) - np.exp(-t / 3.0))
    np.testing.assert_allclose(_trace(stored_exact), expected, atol=1e-9)


def test_it_equals_brian2s_exact_and_is_read_back_without_deriving(cache, monkeypatch):
    derived = _trace(stored_exact)
    np.testing.assert_array_equal(derived, _trace("exact"))
    assert len(list(cache.glob("exact-*.txt"))) == 1

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("derived again")

    monkeypatch.setitem(StateUpdateMethod.stateupdaters, "exact", refuse)
    _forget_derivations()
    np.testing.assert_array_equal(_trace(stored_exact), derived)


def test_a_different_constant_is_a_different_entry(cache):
    fast, slow = _trace(stored_exact, tau_e_ms=3.0), _trace(stored_exact, tau_e_ms=6.0)
    assert len(list(cache.glob("exact-*.txt"))) == 2
    assert slow.max() > fast.max()  # a slower current charges the membrane further
