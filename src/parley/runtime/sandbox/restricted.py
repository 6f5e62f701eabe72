"""What user code can reach at run time: builtins, modules, and the audit hook behind them."""

from __future__ import annotations

import builtins
import string
import sys
import types
from collections.abc import Callable
from typing import Any

from parley.runtime.sandbox.policy import ATTR_GUARD, FORMAT_METHODS, forbidden_attribute, module_allowed


class SandboxViolation(Exception):
    """Raised when user code tries something the sandbox forbids."""


_SAFE_BUILTIN_NAMES = (
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "complex",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "hash",
    "hex",
    "id",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "map",
    "max",
    "min",
    "next",
    "object",
    "oct",
    "ord",
    "pow",
    "property",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "zip",
    "aiter",
    "anext",
)
# Each refused builtin answers with a clear error instead of a NameError.
_REFUSED_BUILTINS = (
    "open",
    "eval",
    "exec",
    "compile",
    "input",
    "breakpoint",
    "globals",
    "locals",
    "vars",
    "dir",
    "help",
    "exit",
    "quit",
    "memoryview",
)
# Names a module view never shows: they hand out attribute walking by string.
_HIDDEN_MODULE_ATTRIBUTES = {"string": frozenset({"Formatter"})}


def _refused(name: str) -> Callable[..., Any]:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise SandboxViolation(f"{name}() is not available in functions.")

    refuse.__name__ = name
    return refuse


def _check_attribute_name(name: Any) -> str:
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    if forbidden_attribute(name):
        raise SandboxViolation(f"Access to the attribute '{name}' is not allowed in functions.")
    return str(name)


def _check_template(template: Any) -> None:
    """Refuse `{0.__class__}`-style fields: format() would walk those attributes for the caller."""
    if not isinstance(template, str):
        return
    # The characters format() will read, even from a str subclass that overrides __str__.
    text = str.__str__(template)
    for _literal, field, spec, _conversion in string.Formatter().parse(text):
        if field:
            for part in field.replace("[", ".").split(".")[1:]:
                if not part.endswith("]") and forbidden_attribute(part):
                    raise SandboxViolation(f"The format field '{field}' is not allowed in functions.")
        if spec:
            _check_template(spec)


_UNBOUND_FORMATTERS = (str.format, str.format_map)


def _checked_formatter(method: Any) -> Any:
    """Wrap str.format/format_map so the template is checked first, however the method was
    reached (`"..".format`, `str.format`, a subclass, `super(S, s).format`); anything else as is."""
    if any(method is formatter for formatter in _UNBOUND_FORMATTERS):

        def unbound_checked(*args: Any, **kwargs: Any) -> Any:
            _check_template(args[0] if args else None)
            return method(*args, **kwargs)

        return unbound_checked
    owner = getattr(method, "__self__", None)
    if isinstance(owner, str) and getattr(method, "__name__", None) in FORMAT_METHODS:

        def bound_checked(*args: Any, **kwargs: Any) -> Any:
            _check_template(owner)
            return method(*args, **kwargs)

        return bound_checked
    return method


def _attr_guard(target: Any, name: str) -> Any:
    """Target of the `x.format` rewrite in policy."""
    value = getattr(target, name)
    return _checked_formatter(value) if name in FORMAT_METHODS else value


_MISSING = object()


def _getattr(target: Any, name: Any, default: Any = _MISSING) -> Any:
    name = _check_attribute_name(name)
    try:
        return _attr_guard(target, name)
    except AttributeError:
        if default is _MISSING:
            raise
        return default


def _hasattr(target: Any, name: Any) -> bool:
    return _getattr(target, name, _MISSING) is not _MISSING


def _setattr(target: Any, name: Any, value: Any) -> None:
    setattr(target, _check_attribute_name(name), value)


def _delattr(target: Any, name: Any) -> None:
    delattr(target, _check_attribute_name(name))


class ModuleView:
    """A read-only face of an allowed module: public, non-module attributes only."""

    __slots__ = ("_view_attrs", "_view_name")

    def __init__(self, name: str, attrs: dict[str, Any]) -> None:
        object.__setattr__(self, "_view_name", name)
        object.__setattr__(self, "_view_attrs", attrs)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._view_attrs[name]
        except KeyError:
            raise AttributeError(f"module '{self._view_name}' has no attribute '{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise SandboxViolation(f"Module '{self._view_name}' is read-only in functions.")

    def __delattr__(self, name: str) -> None:
        raise SandboxViolation(f"Module '{self._view_name}' is read-only in functions.")

    def __repr__(self) -> str:
        return f"<module '{self._view_name}'>"


def build_module_views(names: tuple[str, ...]) -> dict[str, ModuleView]:
    """Views of the already imported allowed modules, submodules as views of their own."""
    views: dict[str, ModuleView] = {}
    for name in sorted(names, key=lambda n: n.count("."), reverse=True):
        module = sys.modules[name]
        hidden = _HIDDEN_MODULE_ATTRIBUTES.get(name, frozenset())
        attrs: dict[str, Any] = {}
        for attr, value in vars(module).items():
            if attr.startswith("_") or attr in hidden:
                continue
            if isinstance(value, types.ModuleType):
                qualified = f"{name}.{attr}"
                if qualified in views:
                    attrs[attr] = views[qualified]
                continue
            attrs[attr] = value
        views[name] = ModuleView(name, attrs)
    return views


def _make_import(views: dict[str, ModuleView]) -> Callable[..., Any]:
    def guarded_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        if level != 0 or type(name) is not str or not module_allowed(name) or name not in views:
            raise ImportError(f"Importing '{name}' is not allowed in functions.", name=str(name))
        if fromlist:
            return views[name]
        # `import a.b` binds `a`; the view of `a` exposes `b` when it is allowed.
        return views[name.split(".", 1)[0]]

    return guarded_import


def build_builtins(views: dict[str, ModuleView], print_function: Callable[..., None]) -> dict[str, Any]:
    namespace: dict[str, Any] = {name: getattr(builtins, name) for name in _SAFE_BUILTIN_NAMES}
    for name, value in vars(builtins).items():
        if isinstance(value, type) and issubclass(value, BaseException):
            namespace[name] = value
    namespace.update({name: _refused(name) for name in _REFUSED_BUILTINS})
    namespace.update(
        {
            "None": None,
            "True": True,
            "False": False,
            "Ellipsis": Ellipsis,
            "NotImplemented": NotImplemented,
            "__build_class__": builtins.__build_class__,
            "__import__": _make_import(views),
            "getattr": _getattr,
            "hasattr": _hasattr,
            "setattr": _setattr,
            "delattr": _delattr,
            "print": print_function,
            ATTR_GUARD: _attr_guard,
        }
    )
    return namespace


# Audit events harmless for user code; every other event is refused once the hook is armed.
_SAFE_EVENTS = frozenset({"builtins.id", "time.sleep"})
_TRACEBACK_ATTRIBUTES = frozenset({"tb_frame", "f_code"})
_EVENT_MESSAGES = {
    "open": "Opening files is not allowed in functions.",
    "import": "Importing modules is not allowed here.",
    "compile": "Compiling code is not allowed in functions.",
    "exec": "Executing dynamic code is not allowed in functions.",
    "os.system": "Running commands is not allowed in functions.",
    "subprocess.Popen": "Running commands is not allowed in functions.",
}


class AuditGuard:
    """A PEP 578 hook that refuses every event outside a short allow-list, for good.

    Audit hooks cannot be removed, and user code cannot reach this object (private attributes
    and frames are out of reach), so once armed it stays armed for the life of the process.
    """

    def __init__(self, allowed_code: list[types.CodeType]) -> None:
        self._allowed_code = allowed_code
        self._reading_traceback = False

    def install(self) -> None:
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event in _SAFE_EVENTS:
            return
        if event == "exec" and args and any(args[0] is code for code in self._allowed_code):
            return
        if (
            self._reading_traceback
            and event == "object.__getattr__"
            and len(args) == 2
            and args[1] in _TRACEBACK_ATTRIBUTES
        ):
            return
        message = _EVENT_MESSAGES.get(event)
        if message is None:
            prefix = event.split(".", 1)[0]
            message = (
                "Network access is not allowed in functions."
                if prefix == "socket"
                else f"The operation '{event}' is not allowed in functions."
            )
        raise SandboxViolation(message)

    def user_frames(self, traceback: types.TracebackType | None, prefix: str) -> list[tuple[str, int]]:
        """(filename, line) of every traceback entry in user code, innermost last.

        Reading tb_frame/f_code raises audit events; they are allowed only inside this method,
        which runs no user code (traceback and frame objects cannot be subclassed).
        """
        frames: list[tuple[str, int]] = []
        self._reading_traceback = True
        try:
            while traceback is not None:
                filename = traceback.tb_frame.f_code.co_filename
                if filename.startswith(prefix):
                    frames.append((filename, traceback.tb_lineno))
                traceback = traceback.tb_next
        finally:
            self._reading_traceback = False
        return frames
