"""Brian2's `exact` integration, derived once per machine rather than once per run.

`exact` solves a linear system of equations symbolically (sympy's matrix exponential). For the
liquid's LIF neuron with two synaptic currents that takes about 6 s, and every run is a fresh
process, so Brian2's in-memory cache never helps: a run of `reservoir` spent 12 of its 23 s
deriving the same update twice. `stored_exact` keeps the derived abstract code in
`$NEUROSIM_CACHE/integration/` keyed by everything the derivation reads, and returns exactly
the code `exact` would.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import brian2
from brian2.core.variables import Constant, Variable
from brian2.stateupdaters.base import StateUpdateMethod

from neurosim.spiking.backend import cache_root


def _signature(equations: brian2.Equations, variables: Mapping[str, Variable]) -> str:
    """What the derivation depends on: the equations, and for each name they can see its kind,
    dimensions, flags, and a constant's value (functions such as `int` have no flags)."""
    parts = [str(equations), brian2.__version__]
    for name in sorted(variables):
        variable = variables[name]
        value = repr(variable.value) if isinstance(variable, Constant) else ""
        flags = [getattr(variable, flag, None) for flag in ("scalar", "constant", "read_only")]
        dim = getattr(variable, "dim", None)
        parts.append(f"{name}:{type(variable).__name__}:{dim!r}:{flags}:{value}")
    return "\n".join(parts)


def stored_exact(
    equations: brian2.Equations,
    variables: Mapping[str, Variable] | None = None,
    method_options: dict | None = None,
) -> str:
    """A state updater for `method=`: Brian2's `exact`, read from the cache when derived before."""
    key = hashlib.sha256(_signature(equations, variables or {}).encode()).hexdigest()[:24]
    path = cache_root() / "integration" / f"exact-{key}.txt"
    if path.exists():
        return path.read_text()
    code = StateUpdateMethod.stateupdaters["exact"](equations, variables, method_options)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w") as file:
        file.write(code)
    Path(tmp).replace(path)  # atomic: a concurrent reader sees the whole file or none
    return code
