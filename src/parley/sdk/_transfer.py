"""Files in and out: CSV uploads (multipart) and text downloads, plus the "not given" marker.

Most calls answer JSON, so only the namespaces that also download text take a fourth type
parameter (what a text answer turns into for a client); the rest keep the three of ``Namespace``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from parley.sdk._resources import Call, Namespace, Runner

_Obj = TypeVar("_Obj")
_Arr = TypeVar("_Arr")
_Nil = TypeVar("_Nil")
_Txt = TypeVar("_Txt")
_Obj_co = TypeVar("_Obj_co", covariant=True)
_Arr_co = TypeVar("_Arr_co", covariant=True)
_Nil_co = TypeVar("_Nil_co", covariant=True)
_Txt_co = TypeVar("_Txt_co", covariant=True)

# A path to a CSV file (str or Path), or the file's bytes. A str is a path, never CSV text, so a
# short CSV cannot be mistaken for a file name or the other way round.
CsvSource = bytes | str | os.PathLike[str]


class NotGiven:
    """Default of a field where ``None`` means something (clear it): "leave it unchanged"."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()


def given(**fields: Any) -> dict[str, Any]:
    """The fields that were passed, ``None`` included (it is sent as null)."""
    return {name: value for name, value in fields.items() if value is not NOT_GIVEN}


class TextRunner(Runner[_Obj_co, _Arr_co, _Nil_co], Protocol[_Obj_co, _Arr_co, _Nil_co, _Txt_co]):
    def _call_text(self, call: Call) -> _Txt_co: ...


def csv_part(source: CsvSource, default_name: str) -> dict[str, tuple[str, bytes, str]]:
    """The multipart ``file`` part the import endpoints read."""
    if isinstance(source, bytes):
        name, data = default_name, source
    else:
        file = Path(source)
        name, data = file.name, file.read_bytes()
    return {"file": (name, data, "text/csv")}


class TextNamespace(Namespace[_Obj, _Arr, _Nil], Generic[_Obj, _Arr, _Nil, _Txt]):
    def __init__(self, runner: TextRunner[_Obj, _Arr, _Nil, _Txt]) -> None:
        super().__init__(runner)
        self._text_runner = runner

    def _text(self, url: str, correlation_id: str | None, *, params: Any = None) -> _Txt:
        call = Call("GET", url, params=params, correlation_id=correlation_id, headers={"Accept": "text/csv"})
        return self._text_runner._call_text(call)

    def _upload(self, url: str, source: CsvSource, default_name: str, correlation_id: str | None) -> _Obj:
        call = Call("POST", url, correlation_id=correlation_id, files=csv_part(source, default_name))
        return self._runner._call_object(call)
