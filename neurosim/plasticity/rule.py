"""The PlasticityRule record: a synaptic learning rule described as Brian2 strings, not code."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Literal

# Signals a rule may read besides its own traces, and the Brian2 name it reads them by:
# the circuit hosting the rule provides them.
KNOWN_SIGNALS = {
    "reward": "a neuromodulator / reward signal, `reward` (dimensionless, shared by the synapses)",
    "v_post": "the postsynaptic membrane potential, `v_post` (volt)",
    "x_pre": "presynaptic activity for rate rules, `x_pre` (dimensionless rate)",
    "y_post": "postsynaptic activity for rate rules, `y_post` (dimensionless rate)",
}


@dataclasses.dataclass(frozen=True)
class PlasticityRule:
    """A learning rule for synapses with a weight `w`.

    `model` holds Brian2 synapse equations (the weight and its traces), `on_pre`/`on_post` the
    statements run at pre- and postsynaptic spikes, and `parameters` maps names to values with
    units written as strings ("20 ms"), so a rule file stays data that is never run as Python.
    """

    name: str
    description: str
    reference: str
    kind: Literal["spike", "rate"]
    model: str
    on_pre: str = ""
    on_post: str = ""
    parameters: dict[str, str] = dataclasses.field(default_factory=dict)
    signals: tuple[str, ...] = ()
    source: str = "<python>"

    def fingerprint(self) -> str:
        """A hash of everything that changes the simulation (not the description or source)."""
        payload = json.dumps(
            [
                self.kind,
                self.model,
                self.on_pre,
                self.on_post,
                sorted(self.parameters.items()),
                sorted(self.signals),
            ]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def with_parameters(self, **overrides: str) -> PlasticityRule:
        return dataclasses.replace(self, parameters={**self.parameters, **overrides})
