"""Static checks on user source before it is compiled, and the one rewrite they need.

Attribute names are static in Python's syntax, so refusing private and introspection attributes
here closes the classic escapes (``().__class__.__bases__[0].__subclasses__()``,
``f.__globals__``, ``gen.gi_frame.f_back``) before anything runs. Dynamic access goes through the
guarded ``getattr`` family in ``restricted``; ``str.format`` (which walks attributes named inside
the template) is rewritten to a guarded call.
"""

from __future__ import annotations

import ast

from parley.runtime.sandbox.protocol import ALLOWED_MODULES

# Non-underscore attributes that expose frames, code or generator internals.
FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "f_back",
        "f_builtins",
        "f_code",
        "f_globals",
        "f_locals",
        "f_trace",
        "f_lasti",
        "func_globals",
        "func_code",
        "im_func",
        "im_self",
        "mro",
    }
)
FORBIDDEN_PREFIXES = ("_", "gi_", "cr_", "ag_", "tb_", "co_")
FORMAT_METHODS = frozenset({"format", "format_map"})
ATTR_GUARD = "__parley_attr__"


class PolicyViolation(Exception):
    def __init__(self, message: str, line: int | None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def forbidden_attribute(name: str) -> bool:
    return name.startswith(FORBIDDEN_PREFIXES) or name in FORBIDDEN_ATTRIBUTES


def module_allowed(name: str) -> bool:
    return name in ALLOWED_MODULES


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


class _Checker(ast.NodeVisitor):
    def __init__(self) -> None:
        self._in_class_body = False

    def _refuse(self, node: ast.AST, message: str) -> None:
        raise PolicyViolation(message, getattr(node, "lineno", None), getattr(node, "col_offset", -1) + 1)

    def _bind(self, node: ast.AST, name: str | None) -> None:
        # Rebinding `__builtins__` (or any dunder) at module level would change every lookup.
        if name is not None and _is_dunder(name):
            self._refuse(node, f"The name '{name}' is not available in functions.")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._bind(node, node.name)
        for child in (*node.bases, *node.keywords, *node.decorator_list):
            self.visit(child)
        outer, self._in_class_body = self._in_class_body, True
        for statement in node.body:
            self.visit(statement)
        self._in_class_body = outer

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self._in_class_body:  # dunder methods (__init__, __eq__ ...) are fine on classes
            self._bind(node, node.name)
        outer, self._in_class_body = self._in_class_body, False
        self.generic_visit(node)
        self._in_class_body = outer

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        outer, self._in_class_body = self._in_class_body, False
        self.generic_visit(node)
        self._in_class_body = outer

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self._bind(node, node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        self._bind(node, node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        self._bind(node, node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self._bind(node, node.rest)
        self.generic_visit(node)

    def _visit_scope_names(self, node: ast.Global | ast.Nonlocal) -> None:
        for name in node.names:
            self._bind(node, name)

    visit_Global = _visit_scope_names
    visit_Nonlocal = _visit_scope_names

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if forbidden_attribute(node.attr):
            self._refuse(node, f"Access to the attribute '{node.attr}' is not allowed in functions.")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if _is_dunder(node.id):
            self._refuse(node, f"The name '{node.id}' is not available in functions.")

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        # `case C(__class__=x)` reads attributes by name without an Attribute node.
        for name in node.kwd_attrs:
            if forbidden_attribute(name):
                self._refuse(node, f"Access to the attribute '{name}' is not allowed in functions.")
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not module_allowed(alias.name):
                self._refuse(node, _module_message(alias.name))
            self._bind(node, alias.asname)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self._refuse(node, "Relative imports are not available in functions.")
        module = node.module or ""
        if not module_allowed(module):
            self._refuse(node, _module_message(module))
        for alias in node.names:
            if alias.name == "*" or alias.name.startswith("_"):
                self._refuse(node, f"'from {module} import {alias.name}' is not allowed in functions.")
            self._bind(node, alias.asname)


def _module_message(name: str) -> str:
    return f"Importing '{name}' is not allowed in functions. Allowed modules: {', '.join(ALLOWED_MODULES)}."


class _FormatGuard(ast.NodeTransformer):
    """``x.format`` -> ``__parley_attr__(x, 'format')``, which checks the template at run time."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if node.attr in FORMAT_METHODS and isinstance(node.ctx, ast.Load):
            call = ast.Call(
                func=ast.Name(id=ATTR_GUARD, ctx=ast.Load()),
                args=[node.value, ast.Constant(value=node.attr)],
                keywords=[],
            )
            return ast.copy_location(call, node)
        return node


def checked_tree(source: str, filename: str) -> ast.Module:
    """Parse, check and rewrite; raises SyntaxError or PolicyViolation with user line numbers."""
    tree = ast.parse(source, filename=filename, mode="exec")
    _Checker().visit(tree)
    rewritten: ast.Module = _FormatGuard().visit(tree)
    return ast.fix_missing_locations(rewritten)
