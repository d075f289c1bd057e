"""Where torch work runs: one place picks the device and the CPU thread count.

Models never choose a device themselves, so one spec runs unchanged on a laptop and a GPU node,
and the experiment engine can pin each worker process to one thread.
"""

from __future__ import annotations

import os

import torch

from neurosim.errors import ParameterError, UserError

THREADS_ENV = "NEUROSIM_TORCH_THREADS"


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
