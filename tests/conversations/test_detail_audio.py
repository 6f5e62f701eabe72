"""GET /v1/agents/{agentId}/conversations/{id} and its audio (GET, and PUT for integrations)."""

from __future__ import annotations

import struct

import httpx

from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_key, key_header

DETAIL = "/v1/agents/hotel/conversations/{}"


def wav(samples: int = 800) -> bytes:
    data = b"\x00\x00" * samples
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


async def test_detail_has_turns_and_what_the_runtime_recorded(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    response = await client.get(DETAIL.format(talked["complaint"]), headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["conversationId"] == talked["complaint"]
    assert body["accountId"] == "default" and body["projectId"] == "hotel"
    assert body["clientEnv"] == "sandbox" and body["inProgress"] is False
    assert body["handoff"] is True and body["handoffDestination"] == "duty_manager"
    assert body["topics"] == ["Complaints"] and body["audioUrl"] is None
    assert body["finishedAt"] is not None and isinstance(body["duration"], int)
    greeting, complaint = body["turns"]
    assert greeting["agent_response"] == "Welcome to the Linden Hotel!" and greeting["user_input"] == ""
    assert complaint["user_input"] == "I want to make a complaint"
    assert complaint["topics"] == ["Complaints"] and complaint["handoff"]["destination"] == "duty_manager"
    assert isinstance(complaint["latency"], float) and "function_calls" in complaint
    assert isinstance(body["functionEvents"], dict) and isinstance(body["metrics"], dict)


async def test_unknown_conversation_and_agent(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], talked: dict[str, str]
) -> None:
    assert_error(await client.get(DETAIL.format("CONV-nope"), headers=admin), "CONVERSATIONS_NOT_FOUND")
    assert_error(
        await client.get(DETAIL.format("CONV-nope") + "/audio", headers=admin), "CONVERSATIONS_NOT_FOUND"
    )
    unknown_agent = f"/v1/agents/nope/conversations/{talked['pool']}"
    assert_error(await client.get(unknown_agent, headers=admin), "PROJECT_NOT_FOUND")
    other = await account_admin(client, operator, "othercorp")
    for path in (DETAIL.format(talked["pool"]), DETAIL.format(talked["pool"]) + "/audio"):
        assert_error(await client.get(path, headers=other), "PROJECT_NOT_FOUND")
    put = await client.put(
        DETAIL.format(talked["pool"]) + "/audio",
        content=wav(),
        headers={**other, "content-type": "audio/wav"},
    )
    assert_error(put, "PROJECT_NOT_FOUND")


async def test_upload_then_download_a_recording(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    url = DETAIL.format(talked["pool"]) + "/audio"
    missing = assert_error(await client.get(url, headers=admin), "CONVERSATIONS_RECORDING_NOT_FOUND")
    assert missing["data"] == {"direction": "combined", "redacted": False}
    audio = wav()
    put = await client.put(url, content=audio, headers={**admin, "content-type": "audio/wav"})
    assert put.status_code == 200, put.text
    assert put.json()["sizeBytes"] == len(audio)
    got = await client.get(url, headers=admin)
    assert got.status_code == 200 and got.headers["content-type"] == "audio/wav" and got.content == audio
    assert (
        (await client.get(DETAIL.format(talked["pool"]), headers=admin)).json()["audioUrl"].endswith("/audio")
    )
    assert_error(
        await client.get(url, params={"direction": "user"}, headers=admin),
        "CONVERSATIONS_RECORDING_NOT_FOUND",
    )
    assert_error(
        await client.get(url, params={"redacted": "true"}, headers=admin), "CONVERSATIONS_RECORDING_NOT_FOUND"
    )
    replaced = wav(100)
    again = await client.put(url, content=replaced, headers={**admin, "content-type": "audio/x-wav"})
    assert again.status_code == 200
    assert (await client.get(url, headers=admin)).content == replaced
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    assert (await client.get(url, headers=external)).content == replaced


async def test_upload_errors_write_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    url = DETAIL.format(talked["sms"]) + "/audio"
    wav_headers = {**admin, "content-type": "audio/wav"}
    assert_error(
        await client.put(url, content=b"RIFF....WAVE", headers={**admin, "content-type": "audio/mpeg"}),
        "UNSUPPORTED_MEDIA_TYPE",
    )
    assert_error(await client.put(url, content=wav(), headers=admin), "UNSUPPORTED_MEDIA_TYPE")
    assert_error(
        await client.put(url, content=b"ID3\x04not a wav at all", headers=wav_headers),
        "CONVERSATIONS_VALIDATION_FAILED",
    )
    assert_error(await client.put(url, content=b"", headers=wav_headers), "CONVERSATIONS_VALIDATION_FAILED")
    assert_error(
        await client.put(url, content=wav(6 * 1024 * 1024), headers=wav_headers), "PAYLOAD_TOO_LARGE"
    )
    assert_error(
        await client.put(url, params={"direction": "sideways"}, content=wav(), headers=wav_headers),
        "CONVERSATIONS_VALIDATION_FAILED",
    )
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    assert_error(
        await client.put(url, content=wav(), headers={**viewer, "content-type": "audio/wav"}),
        "USER_ACCESS_FORBIDDEN",
    )
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    assert_error(
        await client.put(url, content=wav(), headers={**external, "content-type": "audio/wav"}),
        "EXTERNAL_USER_FORBIDDEN",
    )
    assert_error(await client.get(url, headers=admin), "CONVERSATIONS_RECORDING_NOT_FOUND")
