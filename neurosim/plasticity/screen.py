"""A static screen of rule text: Brian2 code is a tiny arithmetic language, so anything beyond it
is refused before Brian2 (or anything else) looks at the text.

The screen parses with Python's `ast` (parse only, nothing is ever evaluated) and accepts a
whitelist: assignments to plain names, numbers, names, arithmetic, comparisons, `and`/`or`/`not`
and calls of the functions the caller allows (Brian2's defaults). Attribute access, indexing,
imports, lambdas, comprehensions and strings therefore never reach code that could run them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import NamedTuple

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARY = (ast.UAdd, ast.USub, ast.Not)
_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_REFUSED = {  # what people try, and the words to tell them it is not Brian2 code
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "indexing with [] is not allowed",
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.IfExp: "'a if c else b' is not allowed (use arithmetic on the boolean, e.g. c*a)",
    ast.JoinedStr: "string literals are not allowed",
}


class ScreenError(ValueError):
    """Rule text outside the Brian2 subset; the message quotes the offending code."""


class StatementNames(NamedTuple):
    used: set[str]  # every name read or written (function names included)
    assigned: set[str]  # the names on the left of '=', '+=', ...


def screen_statements(text: str, functions: Iterable[str]) -> StatementNames:
    """Screen `on_pre`/`on_post` statements, one per line; return the names they use."""
    allowed = frozenset(functions)
    names: set[str] = set()
    assigned: set[str] = set()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tree = _parse(line, "exec")
        if len(tree.body) != 1:
            raise ScreenError(f"in '{line}': write one statement per line")
        statement = tree.body[0]
        if isinstance(statement, ast.Assign):
            if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
                raise ScreenError(f"in '{line}': assign to one variable, as in 'x = expression'")
            assigned.add(statement.targets[0].id)
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
            _check_operator(statement.op, line)
            assigned.add(statement.target.id)
        elif type(statement) in _REFUSED:
            raise ScreenError(f"in '{line}': {_REFUSED[type(statement)]}")
        else:
            raise ScreenError(
                f"'{line}' is not a Brian2 statement ('x = expression' or 'x += expression')"
            )
        if any(name.startswith("_") for name in assigned):
            raise ScreenError(f"in '{line}': names starting with '_' are reserved")
        names |= _screen_expression(statement.value, line, allowed)
    return StatementNames(names | assigned, assigned)


def screen_expression(text: str, functions: Iterable[str]) -> set[str]:
    """Screen the right-hand side of an equation; return the names it uses."""
    code = " ".join(text.split())
    return _screen_expression(_parse(code, "eval").body, code, frozenset(functions))


def screen_unit(text: str) -> None:
    """Screen an equation's unit ("1", "volt", "metre**-2"): names, numbers, * / ** only."""
    code = text.strip()
    for node in ast.walk(_parse(code, "eval").body):
        if not (
            (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div, ast.Pow)))
            or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub))
            or isinstance(node, (ast.Mult, ast.Div, ast.Pow, ast.USub, ast.Load))
            or (isinstance(node, ast.Name) and not node.id.startswith("_"))
            or _is_number(node)
        ):
            raise ScreenError(f"'{code}' is not a unit such as '1', 'volt' or 'siemens/metre**2'")


def _parse(code: str, mode: str) -> ast.AST:
    try:
        return ast.parse(code, mode=mode)
    except SyntaxError as exc:
        raise ScreenError(f"cannot parse '{code}' ({exc.msg})") from None


def _screen_expression(root: ast.AST, code: str, functions: frozenset[str]) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(root):
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ScreenError(f"in '{code}': names starting with '_' are reserved")
            names.add(node.id)
        elif isinstance(node, ast.Call):
            _check_call(node, code, functions)
        elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)):
            for op in _operators(node):
                _check_operator(op, code)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, (str, bytes)):
                raise ScreenError(f"in '{code}': string literals are not allowed")
            if not _is_number(node):
                raise ScreenError(f"in '{code}': the only constants allowed are numbers")
        elif type(node) in _REFUSED:
            raise ScreenError(f"in '{code}': {_REFUSED[type(node)]}")
        elif not isinstance(
            node, (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
        ):
            raise ScreenError(f"in '{code}': {type(node).__name__} is not Brian2 code")
    return names


def _check_call(node: ast.Call, code: str, functions: frozenset[str]) -> None:
    if not isinstance(node.func, ast.Name):
        raise ScreenError(f"in '{code}': only Brian2 functions can be called, by name")
    if node.func.id not in functions:
        raise ScreenError(
            f"in '{code}': '{node.func.id}' is not a Brian2 function "
            f"(known: {', '.join(sorted(functions))})"
        )
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise ScreenError(f"in '{code}': pass function arguments by position only")


def _operators(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Compare):
        return list(node.ops)
    return [node.op]


def _check_operator(op: ast.AST, code: str) -> None:
    if not isinstance(op, (*_OPERATORS, *_UNARY, *_COMPARE, ast.And, ast.Or)):
        raise ScreenError(f"in '{code}': the operator {type(op).__name__} is not Brian2 code")


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
