"""Rule parameters with units are read without evaluating Python."""

import brian2 as b2
import pytest

from neurosim.errors import RuleError
from neurosim.spiking.backend import quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20 ms", 20 * b2.ms),
        ("0.05", 0.05),
        ("-65 mV", -65 * b2.mV),
        ("1e-3 mV/ms", 1 * b2.mV / b2.second),
    ],
)
def test_quantities(text, expected):
    assert float(quantity(text) / expected) == pytest.approx(1.0)
    assert b2.get_dimensions(quantity(text)) == b2.get_dimensions(expected)


@pytest.mark.parametrize("text", ["20 parsecs", "ms", "1 ms; import os", "2 ms**2"])
def test_bad_quantities_raise_rule_errors(text):
    with pytest.raises(RuleError):
        quantity(text, source="r.toml", field="parameters.tau")
