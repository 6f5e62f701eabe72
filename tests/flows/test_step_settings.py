"""Per-step settings blocks (ASR biasing, DTMF, ASR and VAD models, barge in, LLM): stored as sent,
validated, replaced whole, never removed, refused on function steps, exported and imported."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.flows.builders import new_flow, new_step
from tests.support.envelope import assert_error

SETTINGS: dict[str, Any] = {
    "asrBiasing": {"isEnabled": True, "numeric": True, "yesNo": False, "customKeywords": ["Linden", "Kew"]},
    "dtmfConfig": {
        "isEnabled": True,
        "interDigitTimeout": 2.5,
        "maxDigits": 6,
        "endKey": "#",
        "collectWhileAgentSpeaking": False,
        "isPii": True,
    },
    "asr": {"provider": "deepgram", "model": "nova-3"},
    "vad": {"provider": "silero", "vadStart": 0.2, "vadEnd": 0.8, "speechThreshold": 0.5},
    "bargeIn": {"isEnabled": False},
    "llm": {"providerModelId": "gpt-4.1", "reasoningEffort": "low"},
}


@pytest.fixture
async def steps_path(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> str:
    flow = await new_flow(client, admin, base, "Booking")
    return f"{base}/flows/{flow['id']}/steps"


async def test_settings_are_stored_as_sent_and_read_back(
    client: httpx.AsyncClient, admin: dict[str, str], steps_path: str
) -> None:
    body = {"name": "Party size", "stepType": "default", "prompt": "How many of you?", **SETTINGS}
    response = await client.post(steps_path, json=body, headers=admin)
    assert response.status_code == 201, response.text
    step = response.json()
    for field, block in SETTINGS.items():
        # Fields left out of a block stay out: nothing is invented for them.
        assert step[field] == block, field
    assert (await client.get(f"{steps_path}/{step['id']}", headers=admin)).json() == step
    listed = (await client.get(steps_path, headers=admin)).json()["steps"]
    assert listed == [step]


async def test_a_block_sent_again_replaces_the_old_one_and_other_blocks_stay(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, steps_path: str
) -> None:
    flow_id = steps_path.split("/")[-2]
    step = await new_step(client, admin, base, flow_id, name="Room", **SETTINGS)
    turned_off = {"isEnabled": False}
    response = await client.patch(
        f"{steps_path}/{step['id']}", json={"dtmfConfig": turned_off}, headers=admin
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["dtmfConfig"] == turned_off
    assert {k: updated[k] for k in SETTINGS if k != "dtmfConfig"} == {
        k: v for k, v in SETTINGS.items() if k != "dtmfConfig"
    }
    # Another edit of the step keeps the blocks.
    renamed = await client.patch(f"{steps_path}/{step['id']}", json={"name": "Room number"}, headers=admin)
    assert renamed.json()["asrBiasing"] == SETTINGS["asrBiasing"]


async def test_a_block_cannot_be_removed_only_turned_off(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, steps_path: str
) -> None:
    flow_id = steps_path.split("/")[-2]
    step = await new_step(client, admin, base, flow_id, name="Room", asrBiasing=SETTINGS["asrBiasing"])
    error = assert_error(
        await client.patch(f"{steps_path}/{step['id']}", json={"asrBiasing": None}, headers=admin),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert error["data"]["errors"][0]["path"] == "/body/asrBiasing"
    assert (await client.get(f"{steps_path}/{step['id']}", headers=admin)).json() == step


@pytest.mark.parametrize(
    ("field", "block", "path"),
    [
        ("dtmfConfig", {"isEnabled": True, "interDigitTimeout": -1}, "/body/dtmfConfig/interDigitTimeout"),
        ("dtmfConfig", {"isEnabled": True, "maxDigits": -2}, "/body/dtmfConfig/maxDigits"),
        ("dtmfConfig", {"isEnabled": True, "endKey": "##"}, "/body/dtmfConfig/endKey"),
        ("dtmfConfig", {"maxDigits": 4}, "/body/dtmfConfig/isEnabled"),
        ("vad", {"vadStart": "NaN"}, "/body/vad/vadStart"),
        ("vad", {"vadEnd": -0.5}, "/body/vad/vadEnd"),
        ("llm", {"reasoningEffort": "extreme"}, "/body/llm/reasoningEffort"),
        (
            "asrBiasing",
            {"isEnabled": True, "customKeywords": ["ok", " "]},
            "/body/asrBiasing/customKeywords/1",
        ),
        ("asrBiasing", {"isEnabled": True, "customKeywords": ["k"] * 101}, "/body/asrBiasing/customKeywords"),
        ("asr", {"provider": "x", "dialect": "en"}, "/body/asr/dialect"),
        ("bargeIn", {"isEnabled": "sometimes"}, "/body/bargeIn/isEnabled"),
        ("bargeIn", ["isEnabled"], "/body/bargeIn"),
    ],
)
async def test_invalid_blocks_are_refused_with_the_path_of_the_problem(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    steps_path: str,
    field: str,
    block: Any,
    path: str,
) -> None:
    body = {"name": "Ask", "stepType": "advanced", "prompt": "Ask.", field: block}
    error = assert_error(await client.post(steps_path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert path in [problem["path"] for problem in error["data"]["errors"]], error
    assert (await client.get(steps_path, headers=admin)).json()["steps"] == []


async def test_function_steps_take_no_settings_and_a_new_type_drops_them(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, steps_path: str
) -> None:
    code = "def lookup(conv, flow):\n    flow.goto_step('Ask')\n"
    body = {"name": "lookup", "stepType": "function", "code": code, "bargeIn": {"isEnabled": True}}
    error = assert_error(await client.post(steps_path, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/body/bargeIn"
    flow_id = steps_path.split("/")[-2]
    step = await new_step(client, admin, base, flow_id, name="lookup", bargeIn={"isEnabled": True})
    retyped = await client.patch(
        f"{steps_path}/{step['id']}", json={"stepType": "function", "code": code}, headers=admin
    )
    assert retyped.status_code == 200, retyped.text
    assert "bargeIn" not in retyped.json()


async def test_settings_travel_through_export_and_import(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, base: str, steps_path: str
) -> None:
    flow_id = steps_path.split("/")[-2]
    await new_step(client, admin, base, flow_id, name="Party size", stepType="default", **SETTINGS)
    exported = (await client.get(f"{base}/export", headers=admin)).json()
    assert {k: exported["flows"][0]["steps"][0][k] for k in SETTINGS} == SETTINGS
    other = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": "copy"}, headers=admin)
    copy_base = f"/v1/agents/{agent}/branches/{other.json()['branchId']}"
    imported = await client.post(f"{copy_base}/import", json=exported, headers=admin)
    assert imported.status_code == 200, imported.text
    assert (await client.get(f"{copy_base}/export", headers=admin)).json() == exported
