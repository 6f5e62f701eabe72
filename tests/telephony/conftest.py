from __future__ import annotations

import httpx
import pytest

from tests.support.factories import create_agent
from tests.telephony.support import AGENT


@pytest.fixture
async def agent(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    await create_agent(client, admin, "default", AGENT)
    return AGENT
