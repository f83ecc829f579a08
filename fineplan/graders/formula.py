"""A multi grader's `calculate_output`: numbers, its own grader keys, + - * / ^ and min max abs floor ceil exp
sqrt log. One parser for validating (`problems`) and computing (`evaluate`).

`^` is power with the usual mathematical precedence (above * and /, right-associative, binding tighter than a
unary minus), so the formula is read as Python's `**`. A literal `**` is refused: the grammar only has `^`.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping

FUNCTIONS: Mapping[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "log": math.log,
}
FUNCTION_NAMES = frozenset(FUNCTIONS)
_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


class FormulaError(ValueError):
    """The formula cannot be computed (it is invalid, or a value is out of a function's domain)."""


def _parse(expr: str) -> tuple[ast.Expression | None, list[str]]:
    problems: list[str] = []
    if "**" in expr:
        problems.append("operator ** is not allowed (use + - * / ^)")
    try:
        return ast.parse(expr.strip().replace("^", "**"), mode="eval"), problems
    except SyntaxError as exc:
        return None, [*problems, f"does not parse: {exc.msg}"]


def problems(expr: str, keys: set[str]) -> list[str]:
    """Problems of a formula: unknown names, disallowed operators, functions or constants."""
    tree, found = _parse(expr)
    if tree is None:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.Load):
            continue
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, _BINARY):
                found.append(f"operator {_op(node.op)} is not allowed (use + - * / ^)")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                found.append(f"operator {_op(node.op)} is not allowed")
        elif isinstance(node, ast.Call):
            fn = node.func.id if isinstance(node.func, ast.Name) else None
            if fn not in FUNCTION_NAMES or node.keywords:
                found.append(
                    f"function {ast.unparse(node.func)!r} is not allowed ({', '.join(sorted(FUNCTION_NAMES))})"
                )
        elif isinstance(node, ast.Name):
            if node.id not in keys and node.id not in FUNCTION_NAMES:
                found.append(f"{node.id!r} is not one of this grader's keys ({', '.join(sorted(keys))})")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                found.append(f"constant {node.value!r} is not a number")
        elif not isinstance(node, ast.operator | ast.unaryop):
            found.append(f"{type(node).__name__.lower()} expressions are not allowed")
    return list(dict.fromkeys(found))


def evaluate(expr: str, values: Mapping[str, float]) -> float:
    """The formula's value for the given sub-grader scores. Raises FormulaError."""
    found = problems(expr, set(values))
    if found:
        raise FormulaError("; ".join(found))
    tree, _ = _parse(expr)
    assert tree is not None
    try:
        result = _eval(tree.body, values)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise FormulaError(f"cannot compute {expr!r}: {exc}") from exc
    if not math.isfinite(result):
        raise FormulaError(f"{expr!r} is not finite for {dict(values)}")
    return result


def _eval(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(values[node.id])
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        result = left**right
        if isinstance(result, complex):
            raise ValueError(f"{left} ^ {right} is not a real number")
        return float(result)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_eval(a, values) for a in node.args]
        return float(FUNCTIONS[node.func.id](*args))
    raise ValueError(f"unsupported expression {ast.unparse(node)!r}")  # problems() already refused it


def _op(op: ast.AST) -> str:
    return {
        ast.Pow: "**",
        ast.Mod: "%",
        ast.FloorDiv: "//",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.MatMult: "@",
        ast.Not: "not",
        ast.Invert: "~",
    }.get(type(op), type(op).__name__)
