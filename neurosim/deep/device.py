"""Where torch work runs: one place picks the device and the CPU thread count.

Models never choose a device themselves, so one spec runs unchanged on a laptop and a GPU node,
and the experiment engine can pin each worker process to one thread.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch import nn

from neurosim.errors import ParameterError, UserError

THREADS_ENV = "NEUROSIM_TORCH_THREADS"

# "auto" keeps an agent's nets on the CPU while together they have at most this many parameters.
# A batch-64 step of DQN's default 67k-parameter net is ~1-2 ms on one core here, bound by per-op
# dispatch and small matmuls, and acting runs a forward pass on a handful of observations per env
# step; on a GPU every one of a step's ~40 kernels costs a launch (~5-10 us) and reading an action
# back a host sync, so such nets gain little or lose. Past ~1M parameters a step is >0.4 GFLOP
# (~10 ms on a core) and the GPU wins. No GPU was available to measure the crossover: this is an
# estimate; pass device="cuda" to override.
MAX_CPU_PARAMETERS = 1_000_000


def is_device_name(name: str) -> bool:
    """Whether `name` is 'auto' or parses as a torch device: checked when parameters are built,
    before any run; whether the device exists here is resolve_device's question."""
    if name == "auto":
        return True
    try:
        torch.device(name)
    except RuntimeError:
        return False
    return True


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' is CUDA when present, else CPU; an explicit device must exist on this machine."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ParameterError(f"unknown device {name!r}", field="device") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device {name!r} requested but CUDA is not available", field="device")
    return device


def choose_device(name: str, nets: Sequence[nn.Module]) -> torch.device:
    """resolve_device, except that 'auto' means the CPU for nets of up to MAX_CPU_PARAMETERS."""
    size = sum(p.numel() for net in nets for p in net.parameters())
    if name == "auto" and size <= MAX_CPU_PARAMETERS:
        return torch.device("cpu")
    return resolve_device(name)


def apply_thread_limit() -> None:
    """Honour NEUROSIM_TORCH_THREADS, so parallel workers do not oversubscribe the CPU cores."""
    value = os.environ.get(THREADS_ENV)
    if value is None:
        return
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise UserError(f"{THREADS_ENV} must be a positive integer, got {value!r}")
    torch.set_num_threads(threads)


def use_torch_threads() -> None:
    """One torch thread unless NEUROSIM_TORCH_THREADS says otherwise: matrices as small as the
    RL agents' only lose by being split across threads (measured here for several agents)."""
    if THREADS_ENV in os.environ:
        apply_thread_limit()
    else:
        torch.set_num_threads(1)
