"""Migrate a scratch database to head, then fail if the models differ from the migrations."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from alembic import command

from parley.kit.migrate import alembic_config
from support.databases import drop_database, scratch_database


def main() -> None:
    base_url = os.environ.get("PARLEY_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = asyncio.run(scratch_database(base_url, Path(tmp), "alembic_check"))
        try:
            command.upgrade(alembic_config(url), "head")
            command.check(alembic_config(url))
            command.downgrade(alembic_config(url), "base")
            command.upgrade(alembic_config(url), "head")
        finally:
            asyncio.run(drop_database(url, base_url))
    print("alembic check: migrations are reversible and match the models")


if __name__ == "__main__":
    main()
