"""Check a plasticity rule before any circuit runs it: a static screen, then a dry Brian2 build.

The screen (`neurosim.plasticity.screen`) refuses anything that is not Brian2 code before Brian2
sees the text, so a rule file never runs Python. The dry build then lets Brian2 itself resolve
every name and check every unit, on a 2x2 numpy-target network that costs a fraction of a
second, so a typo is reported by `neurosim rules check` or spec validation, naming the file and
the field, instead of surfacing as a Brian2 traceback minutes into a compiled run.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import logging
import math
import re
import warnings
from collections.abc import Callable, Iterator
from typing import NamedTuple

import brian2
from brian2.core.base import BrianObjectException
from brian2.core.functions import DEFAULT_FUNCTIONS
from brian2.core.namespace import DEFAULT_CONSTANTS, DEFAULT_UNITS
from brian2.devices.device import RuntimeDevice, get_device
from brian2.equations.equations import DIFFERENTIAL_EQUATION, EQUATIONS, SUBEXPRESSION
from brian2.stateupdaters.base import UnsupportedEquationsException
from brian2.utils.logger import BrianLogger
from pyparsing import ParseException

from neurosim.errors import ParameterError, RuleError
from neurosim.plasticity import find_rule
from neurosim.plasticity.rule import KNOWN_SIGNALS, PlasticityRule
from neurosim.plasticity.screen import (
    ScreenError,
    screen_expression,
    screen_statements,
    screen_unit,
)
from neurosim.spiking.backend import quantity
from neurosim.spiking.rules import rule_namespace, synapse_model

SYNAPSES = "rulecheck_synapses"
# How the dry build hands a rule the signals it declares: (group, variable declaration). `reward`
# lives on the synapses and is declared by `synapse_model`. Host circuits follow the same contract.
HOST_SIGNALS = {
    "x_pre": ("source", "x : 1"),
    "y_post": ("target", "y : 1"),
    "v_post": ("target", "v : volt"),
}
_WEIGHT_FORMS = "'w : 1' or 'dw/dt = ... : 1 (clock-driven)'"
_UNRESOLVED = re.compile(r'identifier "(\w+)" could not be resolved')
# The unit part of a parameter as rule files write it ("20 ms" -> " ms", "0.5" -> "")
_UNIT_OF = re.compile(r"^\s*[-+]?[\d.]+(?:[eE][-+]?\d+)?(.*)$")


class _Equation(NamedTuple):
    kind: str  # Brian2's names: "parameter", "differential equation", "subexpression"
    names: set[str]  # identifiers on the right-hand side
    unit: str
    flags: tuple[str, ...]


class _Problem(Exception):
    """A rule problem found inside the dry build, reported once Brian2's frames are gone."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def validate_rule(rule: PlasticityRule) -> None:
    """Raise a RuleError (file, field, problem) unless `rule` is Brian2 code with sound units."""
    equations = _screen_model(rule)
    used = {"model": set().union(*(eq.names for eq in equations.values()))}
    assigned = {}
    for field in ("on_pre", "on_post"):
        try:
            used[field], assigned[field] = screen_statements(
                getattr(rule, field), DEFAULT_FUNCTIONS
            )
        except ScreenError as exc:
            raise RuleError(str(exc), source=rule.source, field=field) from None
    _check_weight(rule, equations)
    _check_statements_present(rule)
    _check_signals(rule, used)
    namespace = rule_namespace(rule)
    _check_parameter_names(rule, set(equations))
    for field, names in assigned.items():
        for name in sorted(names & set(rule.parameters)):
            raise RuleError(
                f"assigns to the parameter '{name}', but parameters are constants",
                source=rule.source,
                field=field,
            )
    with _quiet_brian():
        try:
            _dry_build(rule, namespace)
            return
        except _Problem as problem:
            field, message = problem.field, str(problem)
        # Objects of a build that never ran warn "never included in a network" when collected:
        # collect them now, while Brian2's logging is still muted.
        gc.collect()
    hint = _did_you_mean(message, [*namespace, *equations, *rule.signals])
    raise RuleError(message + hint, source=rule.source, field=field)


def _screen_model(rule: PlasticityRule) -> dict[str, _Equation]:
    """Split the equations with Brian2's own grammar (pure parsing) and screen every part."""
    try:
        parsed = EQUATIONS.parse_string(rule.model, parse_all=True)
    except ParseException as exc:
        raise RuleError(
            f"cannot parse the equation '{exc.line.strip()}'; write 'w : 1', "
            "'x = expression : unit' or 'dx/dt = expression : unit (flags)'",
            source=rule.source,
            field="model",
        ) from None
    equations: dict[str, _Equation] = {}
    for eq in parsed:
        name = eq["identifier"]
        if name in equations:
            raise RuleError(f"'{name}' is defined twice", source=rule.source, field="model")
        try:
            screen_unit(eq["unit"])
            names = (
                screen_expression(eq["expression"], DEFAULT_FUNCTIONS)
                if "expression" in eq
                else set()
            )
        except ScreenError as exc:
            raise RuleError(str(exc), source=rule.source, field="model") from None
        flags = tuple(flag.strip() for flag in eq.get("flags", []))
        equations[name] = _Equation(eq.getName(), names, eq["unit"].strip(), flags)
    return equations


def _check_weight(rule: PlasticityRule, equations: dict[str, _Equation]) -> None:
    """Every host circuit reads and scales `w`: it must exist, be dimensionless, be a state."""
    weight = equations.get("w")
    if weight is None:
        problem = f"must declare the weight variable 'w' as {_WEIGHT_FORMS}"
    elif weight.unit != "1":
        problem = f"the weight 'w' must be dimensionless (': 1'), not ': {weight.unit}'"
    elif weight.kind == SUBEXPRESSION:
        problem = f"the weight 'w' must be a state variable, {_WEIGHT_FORMS}"
    elif weight.kind == DIFFERENTIAL_EQUATION and "clock-driven" not in weight.flags:
        problem = "'dw/dt = ...' must be marked '(clock-driven)'"
    elif rule.kind == "rate" and weight.kind != DIFFERENTIAL_EQUATION:
        problem = "a rate rule changes its weight continuously: 'dw/dt = ... : 1 (clock-driven)'"
    else:
        return
    raise RuleError(problem, source=rule.source, field="model")


def _check_statements_present(rule: PlasticityRule) -> None:
    if rule.kind == "spike" and not (rule.on_pre.strip() or rule.on_post.strip()):
        raise RuleError(
            "a spike rule needs statements in on_pre or on_post, and both are empty",
            source=rule.source,
            field="on_pre",
        )


def _check_signals(rule: PlasticityRule, used: dict[str, set[str]]) -> None:
    """A rule must say what it reads, so a host circuit can refuse a rule it cannot serve."""
    for signal in rule.signals:
        if signal not in KNOWN_SIGNALS:
            raise RuleError(
                f"unknown signal '{signal}'; known: {', '.join(KNOWN_SIGNALS)}",
                source=rule.source,
                field="signals",
            )
    for field, names in used.items():
        for signal in sorted((names & set(KNOWN_SIGNALS)) - set(rule.signals)):
            raise RuleError(
                f"'{field}' reads the signal '{signal}' but signals does not declare it "
                f'(add signals = ["{signal}"])',
                source=rule.source,
                field="signals",
            )


def _check_parameter_names(rule: PlasticityRule, model_names: set[str]) -> None:
    """Brian2 resolves names to a unit, constant or variable before the namespace: a parameter
    with such a name would be silently ignored (or silently win), so it is refused."""
    for name in rule.parameters:
        if name in model_names:
            what = "the model variable"
        elif name in KNOWN_SIGNALS:
            what = "the signal"
        elif name in DEFAULT_UNITS:
            what = "the Brian2 unit"
        elif name in DEFAULT_CONSTANTS:
            what = "the Brian2 constant"
        elif name in DEFAULT_FUNCTIONS:
            what = "the Brian2 function"
        else:
            continue
        raise RuleError(
            f"the name '{name}' shadows {what} '{name}'; rename the parameter",
            source=rule.source,
            field=f"parameters.{name}",
        )


def _dry_build(rule: PlasticityRule, namespace: dict[str, object]) -> None:
    """Build and run for zero time a 2x2 network hosting the rule; Brian2 errors -> _Problem."""
    if not isinstance(get_device(), RuntimeDevice):
        raise RuntimeError("rule validation needs Brian2's runtime device, not a standalone one")
    network = brian2.Network(name="rulecheck")
    groups = {}
    for role in ("source", "target"):
        model = "\n".join(
            decl for sig, (r, decl) in HOST_SIGNALS.items() if r == role and sig in rule.signals
        )
        groups[role] = brian2.NeuronGroup(
            2, model, threshold="False", reset="", name=f"rulecheck_{role}", namespace={}
        )
        network.add(groups[role])
    model = synapse_model(rule)
    try:
        synapses = brian2.Synapses(
            groups["source"],
            groups["target"],
            model=model,
            on_pre=rule.on_pre.strip() or None,
            on_post=rule.on_post.strip() or None,
            namespace=namespace,
            name=SYNAPSES,
        )
        network.add(synapses)
    except Exception as exc:  # the harness is fixed: whatever fails here is the rule's model
        raise _Problem("model", _explain(exc, rule.model)) from None
    internal = sorted(set(namespace) & set(synapses.variables))
    if internal:
        raise _Problem(
            f"parameters.{internal[0]}",
            f"the name '{internal[0]}' shadows the Brian2 synapse variable '{internal[0]}'; "
            "rename the parameter",
        )
    try:
        brian2.Equations(model).check_units(synapses, run_namespace={})
    except Exception as exc:  # unknown names and unit errors in the equations themselves
        raise _Problem("model", _explain(exc, rule.model)) from None
    synapses.connect()
    try:
        network.run(0 * brian2.ms, namespace={})
    except BrianObjectException as exc:
        cause = exc.__cause__ or exc
        if isinstance(cause, UnsupportedEquationsException):  # met while building a pathway
            raise _Problem(
                "model",
                "Brian2 cannot solve the event-driven equations exactly (they must be linear); "
                "mark them (clock-driven) instead",
            ) from None
        # Brian2 records which object failed: a pathway is a statement field, the rest is model
        failed = getattr(exc, "_brian_objname", "")
        field = {f"{SYNAPSES}_pre": "on_pre", f"{SYNAPSES}_post": "on_post"}.get(failed, "model")
        raise _Problem(field, _explain(cause, getattr(rule, field))) from None


def _explain(exc: BaseException, text: str) -> str:
    """Brian2's message for `exc`, as one sentence that quotes the rule's own line."""
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    unresolved = _UNRESOLVED.search(message)
    if unresolved:
        return f"unknown identifier '{unresolved.group(1)}'"
    message = " ".join(message.replace("%Expression", "Expression").split()).rstrip(".")
    expression = re.search(r"Expression '(.+?)' uses inconsistent units \((.*)\)$", message)
    if expression:
        line = _line_with(expression.group(1), text)
        return f"inconsistent units in '{line}' ({expression.group(2)})"
    statement = re.search(
        r'code statement "(.+?)" does not have the expected unit (.+?) \(unit is (.+?)\)$', message
    )
    if statement:
        line = _line_with(statement.group(1), text)
        return (
            f"inconsistent units in '{line}' (the right-hand side has unit {statement.group(3)}, "
            f"the variable has unit {_unit(statement.group(2))})"
        )
    equation = re.search(
        r"(?:differential equation defining variable '(\w+)'|subexpression (\w+)): "
        r"Expression '.+?' does not have the expected unit (.+?) \(unit is (.+?)\)$",
        message,
    )
    if equation:
        derivative, name, expected, got = equation.groups()
        if derivative:
            line = _line_with(f"d{derivative}/dt", text)
            return (
                f"inconsistent units in '{line}' (the right-hand side has unit {got}, but "
                f"d{derivative}/dt must have unit {_unit(expected)}: is a time constant missing?)"
            )
        line = _line_with(f"{name}=", text)
        return (
            f"inconsistent units in '{line}' (the right-hand side has unit {got}, "
            f"the variable has unit {_unit(expected)})"
        )
    return message.replace(". ", "; ")


def _line_with(code: str, text: str) -> str:
    """The line of the rule text that holds `code` (spaces ignored), else `code` itself."""
    wanted = code.replace(" ", "")
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if wanted and wanted in stripped.replace(" ", ""):
            return stripped
    return code


def _unit(name: str) -> str:
    # Brian2 names the dimensionless unit 'radian' in some messages; rule authors write '1'.
    return "1" if name == "radian" else name


def _did_you_mean(message: str, candidates: list[str]) -> str:
    unresolved = re.match(r"unknown identifier '(\w+)'$", message)
    if not unresolved:
        return ""
    close = difflib.get_close_matches(unresolved.group(1), candidates, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


@contextlib.contextmanager
def _quiet_brian() -> Iterator[None]:
    """The numpy target (no compiler) and no console logging while Brian2 meets a bad rule:
    the RuleError says everything, Brian2's log lines would only bury it."""
    handler = BrianLogger.console_handler
    level = handler.level if handler is not None else None
    target = brian2.prefs.codegen.target
    brian2.prefs.codegen.target = "numpy"
    if handler is not None:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        brian2.prefs.codegen.target = target
        if handler is not None:
            handler.setLevel(level)


def rule_from_params(
    name: str,
    overrides: dict[str, str | float],
    owner: str,
    *extra_checks: Callable[[PlasticityRule], None],
) -> PlasticityRule:
    """The rule a learner's `rule` and `rule_parameters` fields name, validated by Brian2 and by
    the learner's own `extra_checks` (each raises RuleError); any problem is a ParameterError
    naming the field, raised when the spec loads, before any run starts. An override may be a
    number where the rule's parameter is dimensionless; the returned rule holds it as text."""
    try:
        rule = find_rule(name)
    except RuleError as exc:
        raise ParameterError(f"{owner}: field 'rule': {exc}") from None
    unknown = set(overrides) - set(rule.parameters)
    if unknown:
        raise ParameterError(
            f"{owner}: field 'rule_parameters': rule '{rule.name}' has no parameter "
            f"{', '.join(sorted(unknown))}; its parameters: {', '.join(rule.parameters)}"
        )
    texts = {key: _parameter_text(rule, key, value, owner) for key, value in overrides.items()}
    rule = rule.with_parameters(**texts)
    try:
        validate_rule(rule)  # names, units and overrides, checked by Brian2 itself
        for check in extra_checks:
            check(rule)
    except RuleError as exc:
        raise ParameterError(f"{owner}: field 'rule': {exc}") from None
    return rule


def _parameter_text(rule: PlasticityRule, name: str, value: str | float, owner: str) -> str:
    """A rule parameter's override as the rule file would write it, in the dimension of the
    rule's own value: a number stands for a dimensionless value, so one for a parameter with
    units is refused (was it ms or s?)."""
    where = f"{owner}: field 'rule_parameters': rule parameter '{name}' of '{rule.name}'"
    unit = _UNIT_OF.match(rule.parameters[name])
    unit_text = unit[1].strip() if unit else ""
    if not isinstance(value, str):
        if unit_text:
            raise ParameterError(
                f"{where} has units ({unit_text}): give it as a string with its unit, e.g. "
                f'{name} = "{value:g} {unit_text}"'
            )
        if not math.isfinite(value):
            raise ParameterError(f"{where} must be a finite number, got {value!r}")
        return repr(float(value)).removesuffix(".0")  # 1 and 1.0 read, and hash, as "1"
    try:
        given = quantity(value, source=owner, field=f"rule_parameters.{name}")
    except RuleError as exc:
        raise ParameterError(str(exc)) from None
    if given.dim != quantity(rule.parameters[name]).dim:
        expected = f"has units ({unit_text})" if unit_text else "is dimensionless"
        raise ParameterError(f"{where} {expected}, got {value!r}; give a value in its units")
    return value
