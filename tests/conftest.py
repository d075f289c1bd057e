"""Fixtures shared by test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny matrices gain nothing from threads, and a busy 2-core box makes them much slower.

    Modules opt in with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`; torch is
    imported here only then, so modules without torch stay free of it.
    """
    import torch

    from neurosim.deep.device import THREADS_ENV

    before = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(THREADS_ENV, "1")
        yield
    torch.set_num_threads(before)
