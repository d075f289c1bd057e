"""Typed parameter dataclasses for learners and tasks, validated with errors that name the field.

Every learner declares its hyperparameters as one dataclass (as in CleanRL); specs and sweeps fill
it from plain TOML values, so a wrong name or type is caught before any simulation starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any, Literal, Union, get_args, get_origin

from neurosim.errors import ParameterError


def _check_value(value: Any, annotation: Any, field: str, owner: str) -> Any:
    origin = get_origin(annotation)
    if origin is Literal:
        choices = get_args(annotation)
        if value not in choices:
            raise ParameterError(
                f"{owner}: field '{field}' must be one of "
                f"{', '.join(map(repr, choices))}, got {value!r}"
            )
        return value
    if origin in (Union, types.UnionType):
        options = get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _check_value(value, option, field, owner)
            except ParameterError as exc:
                errors.append(str(exc))
        raise ParameterError(errors[0])
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{owner}: field '{field}' must be a number, got {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{owner}: field '{field}' must be an integer, got {value!r}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{owner}: field '{field}' must be true or false, got {value!r}")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise ParameterError(f"{owner}: field '{field}' must be a string, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ParameterError(f"{owner}: field '{field}' must be a list, got {value!r}")
        (item_type, *_) = get_args(annotation) or (Any,)
        return [_check_value(v, item_type, f"{field}[{i}]", owner) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ParameterError(f"{owner}: field '{field}' must be a table, got {value!r}")
        _, item_type = get_args(annotation) or (str, Any)
        return {
            str(key): _check_value(item, item_type, f"{field}.{key}", owner)
            for key, item in value.items()
        }
    return value


def build_params(cls: type, values: dict[str, Any], owner: str) -> Any:
    """Build the dataclass `cls` from `values`, naming the field of any unknown key or bad type."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in values:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ParameterError(
                f"{owner}: unknown field '{key}'{hint}; known fields: {', '.join(sorted(fields))}"
            )
    checked = {key: _check_value(value, hints[key], key, owner) for key, value in values.items()}
    params = cls(**checked)
    validate = getattr(params, "validate", None)
    if validate is not None:
        validate(owner)
    return params


def check_fields(owner: str, params: object, checks: Sequence[tuple[str, bool, str]]) -> None:
    """Raise ParameterError for the first failed (field, ok, must) check, naming the field: the
    range checks that types alone cannot express, in one message format for every learner."""
    for field, ok, must in checks:
        if not ok:
            raise ParameterError(f"{owner}: field '{field}' {must}, got {getattr(params, field)!r}")


def field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]
