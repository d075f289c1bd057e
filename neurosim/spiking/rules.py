"""A PlasticityRule turned into what Brian2's Synapses need: model, statements, namespace."""

from __future__ import annotations

import brian2

from neurosim.plasticity import PlasticityRule
from neurosim.spiking.backend import quantity


def rule_namespace(rule: PlasticityRule) -> dict[str, brian2.Quantity]:
    """The rule's parameters as Brian2 quantities (parsed, never evaluated)."""
    return {
        name: quantity(text, source=rule.source, field=f"parameters.{name}")
        for name, text in rule.parameters.items()
    }


def synapse_model(rule: PlasticityRule) -> str:
    """The rule's synapse equations plus the declarations of the signals it reads that live on
    the synapses (the reward is one shared value per synapse group, set by the host circuit)."""
    model = rule.model.strip()
    if "reward" in rule.signals:
        model += "\nreward : 1 (shared)"
    return model
