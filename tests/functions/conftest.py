"""An agent with a feature branch, and the keys the permission tests need."""

from __future__ import annotations

import httpx
import pytest

from tests.functions.helpers import Branch, new_feature_branch
from tests.support.factories import account_admin, create_key, key_header


@pytest.fixture
async def feature(client: httpx.AsyncClient, admin: dict[str, str]) -> Branch:
    return await new_feature_branch(client, admin)


@pytest.fixture
async def viewer(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    return key_header((await create_key(client, admin, "default", "viewer"))["key"])


@pytest.fixture
async def external(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    return key_header((await create_key(client, admin, "default", "external"))["key"])


@pytest.fixture
async def intruder(client: httpx.AsyncClient, operator: dict[str, str]) -> dict[str, str]:
    return await account_admin(client, operator, "intruder")
