"""setup.cfg lists its packages by hand (the built-in rules ship from the top-level models/
folder): every package under neurosim/ must be listed, or a non-editable install misses it."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_package_is_listed_in_setup_cfg():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    listed = set(setup["options"]["packages"].split())
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "neurosim").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed, f"missing from setup.cfg packages: {sorted(found - listed)}"
    assert "neurosim.models.plasticity" in listed  # shipped from models/ via package_dir
