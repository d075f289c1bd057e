"""Find and load rule files; check their shape with errors that name the file and field.

This is the minimal loader: fields, types and parameter syntax are checked here; the Brian2 side
(`neurosim/spiking/`) checks equations and units when it builds the synapses.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from neurosim.errors import RuleError
from neurosim.plasticity.rule import KNOWN_SIGNALS, PlasticityRule

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "models" / "plasticity"
_PARAMETER = re.compile(
    r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(\s*[A-Za-z][A-Za-z0-9]*(\s*[*/]\s*[A-Za-z][A-Za-z0-9]*)*(\*\*-?\d+)?)?\s*$"
)
_REQUIRED = {"name": str, "description": str, "reference": str, "kind": str, "model": str}
_OPTIONAL = {"on_pre": str, "on_post": str, "parameters": dict, "signals": list}


def search_path(extra: list[Path] | None = None) -> list[Path]:
    """Rule folders in priority order: --models dirs, NEUROSIM_MODELS_PATH, then built-ins."""
    env = [Path(p) for p in os.environ.get("NEUROSIM_MODELS_PATH", "").split(os.pathsep) if p]
    return [*(extra or []), *env, BUILTIN_DIR]


def load_rule(path: Path) -> PlasticityRule:
    """Parse one rule file; every problem is a RuleError naming the file and field."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RuleError("rule file not found", source=source) from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"invalid TOML: {exc}", source=source) from None
    for key in data:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise RuleError("unknown field", source=source, field=key)
    for key, typ in {**_REQUIRED, **_OPTIONAL}.items():
        if key in _REQUIRED and key not in data:
            raise RuleError("missing required field", source=source, field=key)
        if key in data and not isinstance(data[key], typ):
            raise RuleError(f"must be a {typ.__name__}", source=source, field=key)
    if data["kind"] not in ("spike", "rate"):
        raise RuleError("must be 'spike' or 'rate'", source=source, field="kind")
    parameters = {}
    for name, value in data.get("parameters", {}).items():
        text = (
            str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        )
        if not isinstance(text, str) or not _PARAMETER.match(text):
            raise RuleError(
                f'must be a number with optional unit such as "20 ms", got {value!r}',
                source=source,
                field=f"parameters.{name}",
            )
        parameters[name] = text
    signals = data.get("signals", [])
    for signal in signals:
        if signal not in KNOWN_SIGNALS:
            raise RuleError(
                f"unknown signal {signal!r}; known: {', '.join(KNOWN_SIGNALS)}",
                source=source,
                field="signals",
            )
    if not re.search(r"^\s*(w\s*:|dw\s*/\s*dt\s*=)", data["model"], flags=re.MULTILINE):
        raise RuleError("must declare the weight variable 'w'", source=source, field="model")
    return PlasticityRule(
        name=data["name"],
        description=data["description"],
        reference=data["reference"],
        kind=data["kind"],
        model=data["model"],
        on_pre=data.get("on_pre", ""),
        on_post=data.get("on_post", ""),
        parameters=parameters,
        signals=tuple(signals),
        source=source,
    )


def _rule_files(extra: list[Path] | None) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in reversed(search_path(extra)):  # earlier folders override later ones
        for path in sorted(folder.glob("*.toml")):
            found[path.stem] = path
    return found


class _RuleCatalog:
    """Rules by name (the file stem), for `neurosim list` and spec validation."""

    def names(self, extra: list[Path] | None = None) -> list[str]:
        return sorted(_rule_files(extra))

    def get(self, name: str, extra: list[Path] | None = None) -> PlasticityRule:
        return find_rule(name, extra)


RULES = _RuleCatalog()


def find_rule(name_or_path: str, extra: list[Path] | None = None) -> PlasticityRule:
    """A rule by registered name, or by path to a .toml file."""
    if name_or_path.endswith(".toml"):
        return load_rule(Path(name_or_path))
    files = _rule_files(extra)
    if name_or_path not in files:
        raise RuleError(
            f"unknown plasticity rule '{name_or_path}'; known: {', '.join(sorted(files))}"
        )
    return load_rule(files[name_or_path])
