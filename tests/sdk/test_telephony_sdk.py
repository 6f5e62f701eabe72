"""The connectors, phone_numbers and sms namespaces, through both twins against the real app."""

from __future__ import annotations

import pytest

from parley.sdk import (
    ConnectorsNotFoundError,
    ParleyNotImplementedError,
    PhoneNumbersInvalidPhoneNumberFormatError,
    PhoneNumbersNotFoundError,
    SmsMessageNotFoundError,
    UnprocessableEntityError,
)
from tests.sdk.support import Connector, settle

AGENT = "sdk-hotel"
LINE = "+442079460999"
GUEST = "+447911123456"


async def test_connectors_and_phone_numbers(connect: Connector) -> None:
    client = connect()
    await settle(client.agents.create("default", name="Hotel", greeting="Hello", agent_id=AGENT))
    created = await settle(client.connectors.create(AGENT, name="Front desk", client_env="live"))
    connector_id = created["connectorId"]
    assert created["token"].startswith("ct_")
    assert (await settle(client.connectors.get(AGENT, connector_id)))["name"] == "Front desk"
    updated = await settle(client.connectors.update(AGENT, connector_id, name="Reception"))
    assert updated["name"] == "Reception"
    listed = await settle(client.connectors.list(AGENT))
    assert [c["connectorId"] for c in listed["connectors"]] == [connector_id]
    rotated = await settle(client.connectors.rotate_token(AGENT, connector_id))
    assert rotated["token"] != created["token"]

    imported = await settle(client.phone_numbers.import_numbers(AGENT, ["+44 20 7946 0999"]))
    assert imported["imported"] == [LINE]
    routed = await settle(client.phone_numbers.reassign(AGENT, LINE, connector_id))
    assert routed["connectorId"] == connector_id
    assert (await settle(client.phone_numbers.get(AGENT, LINE)))["number"] == LINE
    mine = await settle(client.phone_numbers.list(AGENT, connector_id=connector_id))
    assert [n["number"] for n in mine["phoneNumbers"]] == [LINE]
    assert (await settle(client.connectors.lookup(AGENT, LINE)))["connectorId"] == connector_id

    with pytest.raises(PhoneNumbersInvalidPhoneNumberFormatError):
        await settle(client.phone_numbers.import_numbers(AGENT, ["0207 946 0999"]))
    assert (await settle(client.phone_numbers.delete(AGENT, LINE)))["deleted"] == LINE
    with pytest.raises(PhoneNumbersNotFoundError):
        await settle(client.phone_numbers.get(AGENT, LINE))
    deleted = await settle(client.connectors.delete(AGENT, connector_id))
    assert deleted["deletedConnector"] == connector_id
    with pytest.raises(ConnectorsNotFoundError) as caught:
        await settle(client.connectors.get(AGENT, connector_id))
    assert caught.value.status == 404 and caught.value.id == 14100


async def test_sms_send_receive_and_the_outbox(connect: Connector) -> None:
    client = connect()
    await settle(client.agents.create("default", name="Hotel", greeting="Hello", agent_id=AGENT))
    connector_id = (await settle(client.connectors.create(AGENT, name="SMS", client_env="live")))[
        "connectorId"
    ]
    await settle(client.phone_numbers.import_numbers(AGENT, [LINE], connector_id=connector_id))

    assert await settle(client.sms.send(connector_id, GUEST, "Your room is ready")) is None
    [sent] = (await settle(client.sms.list_messages(AGENT)))["messages"]
    assert (sent["status"], sent["from"], sent["to"], sent["body"]) == (
        "sent",
        LINE,
        GUEST,
        "Your room is ready",
    )
    assert await settle(client.sms.get_message(AGENT, sent["id"])) == sent

    received = await settle(client.sms.receive(AGENT, sender=GUEST, to=LINE, body="stop"))
    assert received["action"] == "opted_out"
    with pytest.raises(UnprocessableEntityError) as refused:
        await settle(client.sms.send(connector_id, GUEST, "Anything else?"))
    assert refused.value.data is not None and refused.value.data["status"] == "blocked_opt_out"
    statuses = await settle(client.sms.list_messages(AGENT, direction="outbound", limit=5))
    assert [m["status"] for m in statuses["messages"]] == ["blocked_opt_out", "sent"]
    inbound = await settle(client.sms.list_messages(AGENT, status="received", to=LINE))
    assert [m["id"] for m in inbound["messages"]] == [received["messageId"]]

    with pytest.raises(SmsMessageNotFoundError):
        await settle(client.sms.get_message(AGENT, "SMS-NOPE"))
    with pytest.raises(ConnectorsNotFoundError):
        await settle(client.sms.send("CONNECTOR-NOPE0000", GUEST, "hi"))
    with pytest.raises(PhoneNumbersNotFoundError):
        await settle(client.sms.send(connector_id, GUEST, "hi", agent_number="+442079460958"))
    with pytest.raises(ParleyNotImplementedError):
        await settle(client.sms.send(connector_id, "rcs:" + GUEST, "hi"))
