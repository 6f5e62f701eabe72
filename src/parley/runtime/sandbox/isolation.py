"""How the server starts a worker: which layers this host allows, the command line, the environment."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from parley.config import SandboxSettings

# -I: no PYTHON* variables, no user site, no script directory on sys.path. The package root is
# added explicitly so that a source checkout works as well as an installed one.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); from parley.runtime.sandbox.worker import main; main()"
)
# Nothing of the server's environment (database URLs, keys) reaches a worker.
_WORKER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


class IsolationUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Isolation:
    network_namespace: bool
    run_as_uid: int | None

    @property
    def drops_privileges(self) -> bool:
        return self.run_as_uid is not None

    def command(self) -> list[str]:
        python = [sys.executable, "-I", "-c", _BOOTSTRAP, _PACKAGE_ROOT]
        if self.network_namespace:
            unshare = shutil.which("unshare")
            if unshare is None:  # it was there when probed: refuse rather than run without
                raise IsolationUnavailable("unshare is no longer available")
            return [unshare, "--net", "--", *python]
        return python

    @staticmethod
    def environment() -> dict[str, str]:
        return dict(_WORKER_ENV)

    @staticmethod
    def parent_netns() -> int | None:
        try:
            return os.stat("/proc/self/ns/net").st_ino
        except OSError:
            return None


async def _can_unshare_network() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None or Isolation.parent_netns() is None:
        return False
    try:
        process = await asyncio.create_subprocess_exec(
            unshare,
            "--net",
            "--",
            sys.executable,
            "-I",
            "-c",
            "pass",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=dict(_WORKER_ENV),
        )
    except OSError:
        return False
    try:
        return await asyncio.wait_for(process.wait(), timeout=10) == 0
    except TimeoutError:
        process.kill()
        await process.wait()
        return False


async def probe(settings: SandboxSettings) -> Isolation:
    """The layers this host allows, per the settings; raises when a required one is missing."""
    network = False
    if settings.network_namespace != "off":
        network = await _can_unshare_network()
        if not network and settings.network_namespace == "required":
            raise IsolationUnavailable("a network namespace is required but this host cannot create one")
    run_as = settings.run_as_uid if os.geteuid() == 0 else None
    return Isolation(network_namespace=network, run_as_uid=run_as)
