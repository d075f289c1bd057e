"""The PlasticityRule record: a synaptic learning rule described as Brian2 strings, not code."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Literal


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
    source: str = "<python>"

    def fingerprint(self) -> str:
        """A hash of everything that changes the simulation (not the description or source)."""
        payload = json.dumps(
            [self.kind, self.model, self.on_pre, self.on_post, sorted(self.parameters.items())]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def with_parameters(self, **overrides: str) -> PlasticityRule:
        return dataclasses.replace(self, parameters={**self.parameters, **overrides})
