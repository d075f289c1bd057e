"""Brian2 settings in one place: codegen targets, cache folders, units from rule strings.

Standalone builds are cached by a hash of everything that changes the generated code, so seeds
and runs that share a network share one compiled binary and only pay for the simulation.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import brian2
from brian2.devices.device import reset_device

from neurosim.cache import cache_root
from neurosim.errors import RuleError

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_UNIT_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def configure_runtime() -> None:
    """Runtime-mode defaults: Cython, compiled into one cache for the whole machine.

    Every run is a fresh process, and a results folder or worker of its own would compile every
    code object again (34 of them for the liquid, about 2.5 min on 2 cores). Brian2 locks each
    module while compiling it, so workers that need the same one wait for it instead.
    """
    brian2.prefs.codegen.target = "cython"
    brian2.prefs.codegen.runtime.cython.cache_dir = str(cache_root() / "cython")


@contextlib.contextmanager
def codegen_target(target: str) -> Iterator[None]:
    """Build runtime networks with `target` inside the block, and restore the default after.

    Tiny networks (a few dozen neurons, as in rule characterization) spend their time in
    Brian2's per-step Python overhead, not in the generated code: there "numpy" runs as fast as
    "cython" and compiles nothing, so a fresh machine does not pay Cython's build of every code
    object first.
    """
    previous = brian2.prefs.codegen.target
    brian2.prefs.codegen.target = target
    try:
        yield
    finally:
        brian2.prefs.codegen.target = previous


def quantity(text: str, *, source: str = "<rule>", field: str = "parameters") -> brian2.Quantity:
    """Parse "20 ms" or "0.05" into a Brian2 quantity without evaluating any Python."""
    match = _QUANTITY.match(text)
    if not match:
        raise RuleError(f"cannot read {text!r} as a number with a unit", source=source, field=field)
    value, unit_text = float(match.group(1)), match.group(2)
    if not unit_text:
        return brian2.Quantity(value)
    namespace = {}
    for token in _UNIT_TOKEN.findall(unit_text):
        unit = getattr(brian2.units, token, None)
        if not isinstance(unit, brian2.Unit):
            raise RuleError(f"unknown unit '{token}' in {text!r}", source=source, field=field)
        namespace[token] = unit
    expression = unit_text.replace(" ", "")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*([*/][A-Za-z][A-Za-z0-9]*)*", expression):
        raise RuleError(f"cannot read the unit of {text!r}", source=source, field=field)
    unit_value = _evaluate_unit_product(expression, namespace)
    return value * unit_value


def _evaluate_unit_product(expression: str, units: dict[str, brian2.Unit]) -> brian2.Quantity:
    """Multiply/divide unit tokens ("mV/ms", "nS*ms") by hand: no eval, ever."""
    result = brian2.Quantity(1.0)
    for op, token in re.findall(r"([*/]?)([A-Za-z][A-Za-z0-9]*)", expression):
        result = result / units[token] if op == "/" else result * units[token]
    return result


@contextlib.contextmanager
def standalone_device(directory: Path) -> Iterator[object]:
    """Switch Brian2 to cpp_standalone for one build, and back to runtime afterwards."""
    brian2.set_device("cpp_standalone", build_on_run=False, directory=str(directory))
    try:
        yield brian2.get_device()
    finally:
        brian2.get_device().reinit()
        brian2.get_device().activate(build_on_run=False)
        reset_device("runtime")


@contextlib.contextmanager
def build_lock(directory: Path) -> Iterator[None]:
    """Serialise (re)builds of one cached network across engine workers."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(str(directory) + ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def private_copy(build: Path, device: object) -> Iterator[Path]:
    """A private copy of a built binary to run in, so that runs sharing one cached network
    simulate in parallel while another worker rebuilds it (Brian2 rewrites its static arrays
    on every build), and per-run inputs do not pile up in the cache.

    Call with the build lock held; the copy outlives it.
    """
    copy = Path(tempfile.mkdtemp(prefix=f"{build.name}-run-", dir=build.parent))
    try:
        shutil.copy2(build / "main", copy / "main")
        shutil.copytree(
            build / "static_arrays",
            copy / "static_arrays",
            ignore=shutil.ignore_patterns("init_*"),  # other runs' run_args
        )
        device.project_dir = str(copy)  # where Brian2 writes this run's run_args arrays
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


SEED_FROM_ENVIRONMENT = """
{
    const char* _neurosim_seed = std::getenv("NEUROSIM_BRIAN_SEED");
    if (_neurosim_seed != NULL)
        for (size_t _i = 0; _i < brian::_random_generators.size(); _i++)
            brian::_random_generators[_i].seed(std::strtoul(_neurosim_seed, NULL, 10) + _i);
}
"""
"""C++ inserted before the run: seeds the binary's generators at run time, so one compiled
network serves every seed (Brian2 otherwise bakes the seed into the generated code)."""

configure_runtime()  # any runtime-mode network in this process uses the machine's cache
