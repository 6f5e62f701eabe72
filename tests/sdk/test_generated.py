"""The SDK's exceptions are generated from the server's catalogue and must stay in step with it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import parley.sdk
from parley.errors import CATALOGUE
from parley.sdk import ParleyError
from parley.sdk._errors import ERRORS_BY_CODE

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "gen_sdk_errors.py"
GENERATED = ROOT / "src" / "parley" / "sdk" / "_errors.py"

# The hand-written public surface. Changing it is an API change: update this list on purpose.
CORE_EXPORTS = [
    "AsyncClient",
    "Client",
    "ParleyConnectionError",
    "ParleyError",
    "ParleySDKError",
    "ParleyTimeoutError",
    "ParleyTransportError",
]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    # scripts/ is not a package; load the generator the way `python scripts/...` would run it.
    spec = importlib.util.spec_from_file_location("gen_sdk_errors", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_module_is_up_to_date(generator: ModuleType) -> None:
    assert GENERATED.read_text(encoding="utf-8") == generator.render(), (
        "src/parley/sdk/_errors.py is stale; run: .venv/bin/python scripts/gen_sdk_errors.py"
    )


def test_check_mode_agrees(generator: ModuleType) -> None:
    assert generator.main(["--check"]) == 0


def test_exports_are_frozen_against_the_catalogue(generator: ModuleType) -> None:
    per_code = sorted(generator.class_name(code) for code in CATALOGUE)
    assert sorted(parley.sdk.__all__) == sorted([*CORE_EXPORTS, "ERRORS_BY_CODE", *per_code])
    assert len(set(parley.sdk.__all__)) == len(parley.sdk.__all__)
    for name in parley.sdk.__all__:
        assert hasattr(parley.sdk, name), name


def test_every_catalogue_code_has_its_class() -> None:
    assert set(ERRORS_BY_CODE) == set(CATALOGUE)
    for code, cls in ERRORS_BY_CODE.items():
        assert issubclass(cls, ParleyError)
        assert cls is not ParleyError
        assert getattr(parley.sdk, cls.__name__) is cls
        spec = CATALOGUE[code].spec
        assert f"``{code}``: id {spec.id}, HTTP {spec.status}." in (cls.__doc__ or "")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("FLOW_NOT_FOUND", "FlowNotFoundError"),
        ("PROJECT_NOT_FOUND", "ProjectNotFoundError"),
        ("ChatConversationEnded", "ChatConversationEndedError"),
        ("ErrPreReleaseNotReady", "ErrPreReleaseNotReadyError"),
        ("VARIANTS_DUPLICATE_NAME_ERROR", "VariantsDuplicateNameError"),
        ("INTERNAL_SERVER_ERROR", "InternalServerError"),
        # Would shadow the builtin NotImplementedError.
        ("NOT_IMPLEMENTED", "ParleyNotImplementedError"),
    ],
)
def test_class_names(generator: ModuleType, code: str, name: str) -> None:
    assert generator.class_name(code) == name


def test_sdk_does_not_import_the_server() -> None:
    # A fresh interpreter: this one has already imported the server for the other tests.
    probe = (
        "import sys, parley.sdk\n"
        "server = ('fastapi', 'starlette', 'sqlalchemy', 'pydantic', 'redis', 'uvicorn', 'alembic')\n"
        "own = ('parley.errors', 'parley.app', 'parley.config', 'parley.kit', 'parley.models')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in server or m.startswith(own)]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
