"""Load one rule file; check its shape with errors that name the file and field.

Fields, types and parameter syntax are checked here, with the standard library only; the Brian2
side (`neurosim.spiking.rule_check.validate_rule`) checks the code, the names and the units.
Finding rule files by name is `neurosim.plasticity.discovery`.
"""

from __future__ import annotations

import re
from pathlib import Path

from neurosim.errors import RuleError
from neurosim.plasticity.rule import KNOWN_SIGNALS, PlasticityRule

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

_PARAMETER = re.compile(
    r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(\s*[A-Za-z][A-Za-z0-9]*(\s*[*/]\s*[A-Za-z][A-Za-z0-9]*)*(\*\*-?\d+)?)?\s*$"
)
_REQUIRED = {"name": str, "description": str, "reference": str, "kind": str, "model": str}
_OPTIONAL = {"on_pre": str, "on_post": str, "parameters": dict, "signals": list}


def load_rule(path: Path) -> PlasticityRule:
    """Parse one rule file; every problem is a RuleError naming the file and field."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RuleError(
            f"rule file not found at {path.resolve()}; give an existing .toml file (in a spec, a "
            "rule path is relative to the spec file's folder) or a rule name",
            source=source,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read the rule file ({exc})", source=source) from None
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
        if not name.isidentifier():
            raise RuleError(
                "a parameter name must be an identifier (letters, digits, '_')",
                source=source,
                field=f"parameters.{name}",
            )
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
        if not isinstance(signal, str) or signal not in KNOWN_SIGNALS:
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
