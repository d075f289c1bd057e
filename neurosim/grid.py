"""How a grid point reads: one text for run titles, error messages and report labels.

A grid value may be a table (`rule_parameters = {mu = "0.5"}`): its entries count as the point's
own settings, so the point reads `mu=0.5`, never as Python dict text.
"""

from __future__ import annotations

from typing import Any


def grid_items(grid: dict[str, Any]) -> list[tuple[str, Any]]:
    """A grid point as (name, value) pairs; a table value contributes its own entries, so
    `rule_parameters = {mu = "0.5"}` is the pair ("mu", "0.5")."""
    items: list[tuple[str, Any]] = []
    for key, value in grid.items():
        if isinstance(value, dict):
            items += grid_items(value)
        else:
            items.append((key, value))
    return items


def grid_text(grid: dict[str, Any]) -> str:
    """A grid point as people read it, e.g. "lr=0.003, mu=0.5" (run titles, errors, reports)."""
    return ", ".join(f"{key}={grid_value_text(value)}" for key, value in grid_items(grid))


def grid_value_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(grid_value_text, value)) + "]"
    return str(value)
