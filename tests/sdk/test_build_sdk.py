"""The build-API namespaces (branches and what lives on them), through both twins against the real app."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from parley.sdk import (
    AsyncClient,
    BranchMainReadOnlyError,
    BranchMergeConflictError,
    BranchNotFoundError,
    Client,
    FlowNotFoundError,
    FunctionExecutionFailedError,
    FunctionNotFoundError,
    FunctionsReservedNameError,
    HandoffNotFoundError,
    KnowledgeBaseImportMissingColumnsError,
    KnowledgeBaseTopicAlreadyExistsError,
    KnowledgeBaseTopicNotFoundError,
    ProjectNotFoundError,
    RealTimeConfigInvalidForSchemaError,
    RealTimeConfigUnknownClientEnvironmentError,
    SchemaValidationFailedError,
    SmsTemplateNotFoundError,
    UserAccessForbiddenError,
    VariantImportMissingColumnsHttpError,
    VariantsRemoveDefaultError,
)
from parley.sdk._transfer import NOT_GIVEN
from tests.conftest import OPERATOR_KEY
from tests.sdk.support import Connector, settle

AGENT = "hotel"
TRICKY = "Café 🛎️ '; DROP TABLE branch_resource; --"


async def agent_with_branch(client: Client | AsyncClient, name: str = "feature") -> str:
    await settle(client.agents.create("default", name="Hotel", greeting="Hello!", agent_id=AGENT))
    created = await settle(client.branches.create(AGENT, name))
    branch_id: str = created["branchId"]
    return branch_id


async def test_branches_behavior_merge_and_transfer(connect: Connector) -> None:
    client = connect()
    branch = await agent_with_branch(client)
    listed = await settle(client.branches.list(AGENT))
    assert [(b["branchId"], b["name"]) for b in listed["branches"]] == [("main", "main"), (branch, "feature")]

    assert await settle(client.behavior.update(AGENT, branch, TRICKY)) == {"behavior": TRICKY}
    assert await settle(client.behavior.get(AGENT, "main")) == {"behavior": ""}
    merged = await settle(client.branches.merge(AGENT, branch, deployment_message="rules"))
    assert merged["testRunIds"] == [] and merged["sequence"]
    assert (await settle(client.behavior.get(AGENT, "main")))["behavior"] == TRICKY
    # A merge publishes main to sandbox.
    active = await settle(client.deployments.active(AGENT))
    assert active["activeDeployments"]["sandbox"]["metadata"]

    exported = await settle(client.branches.export(AGENT, "main"))
    copy = (await settle(client.branches.create(AGENT, "copy")))["branchId"]
    await settle(client.behavior.update(AGENT, copy, "overwritten by the import"))
    imported = await settle(client.branches.import_(AGENT, copy, exported))
    assert "imported" in imported
    assert await settle(client.branches.export(AGENT, copy)) == exported

    deleted = await settle(client.branches.delete(AGENT, copy))
    assert deleted["message"] == "Branch deleted"
    with pytest.raises(BranchNotFoundError) as caught:
        await settle(client.branches.delete(AGENT, copy))
    assert (caught.value.status, caught.value.id) == (404, 7001)


async def test_merge_conflict_then_resolutions(connect: Connector) -> None:
    client = connect()
    left = await agent_with_branch(client, "left")
    right = (await settle(client.branches.create(AGENT, "right")))["branchId"]
    await settle(client.behavior.update(AGENT, left, "Left rules"))
    await settle(client.behavior.update(AGENT, right, "Right rules"))
    await settle(client.branches.merge(AGENT, left))

    with pytest.raises(BranchMergeConflictError) as caught:
        await settle(client.branches.merge(AGENT, right))
    assert caught.value.status == 409
    assert caught.value.data is not None
    conflict = caught.value.data["conflicts"][0]
    assert (conflict["ours"], conflict["theirs"]) == ("Right rules", "Left rules")

    resolution = {"path": conflict["path"], "strategy": "ours", "value": "Both rules"}
    await settle(client.branches.merge(AGENT, right, conflict_resolutions=[resolution]))
    assert (await settle(client.behavior.get(AGENT, "main")))["behavior"] == "Both rules"


async def test_scope_errors_map_to_their_classes(connect: Connector) -> None:
    client = connect()
    branch = await agent_with_branch(client)
    with pytest.raises(BranchMainReadOnlyError) as read_only:
        await settle(client.topics.create(AGENT, "main", name="Wifi", content="Free"))
    assert (read_only.value.status, read_only.value.id) == (422, 7003)
    with pytest.raises(BranchNotFoundError):
        await settle(client.flows.list(AGENT, "no-such-branch"))

    other = await settle(connect(OPERATOR_KEY).accounts.create("globex", "Globex"))
    outsider = connect(other["adminKey"]["key"])
    with pytest.raises(ProjectNotFoundError):
        await settle(outsider.functions.list(AGENT, branch))
    with pytest.raises(ProjectNotFoundError):
        await settle(outsider.real_time_configs.list(AGENT))

    viewer_key = await settle(client.api_keys.create("default", name="viewer", role="viewer"))
    viewer = connect(viewer_key["key"])
    assert (await settle(viewer.behavior.get(AGENT, branch)))["behavior"] == ""
    with pytest.raises(UserAccessForbiddenError) as forbidden:
        await settle(viewer.behavior.update(AGENT, branch, "nope"))
    assert forbidden.value.status == 403

    # Bad input is the server's to refuse, and comes back as its error class with the details.
    with pytest.raises(SchemaValidationFailedError) as invalid:
        await settle(client.behavior.update(AGENT, branch, "x" * 100_001))
    assert invalid.value.data is not None and invalid.value.data["errors"]
    assert (await settle(client.behavior.get(AGENT, branch)))["behavior"] == ""


async def test_topics_and_csv(connect: Connector, tmp_path: Path) -> None:
    client = connect()
    branch = await agent_with_branch(client)
    topic = await settle(
        client.topics.create(
            AGENT, branch, name="Wi-Fi", content="Free everywhere.", example_queries=["is there wifi"]
        )
    )
    assert topic["exampleQueries"] == {"queries": ["is there wifi"]} and topic["isActive"] is True
    assert await settle(client.topics.get(AGENT, branch, topic["id"])) == topic
    assert await settle(client.topics.update(AGENT, branch, topic["id"], content=TRICKY)) is None
    assert (await settle(client.topics.get(AGENT, branch, topic["id"])))["content"] == TRICKY
    with pytest.raises(KnowledgeBaseTopicAlreadyExistsError):
        await settle(client.topics.create(AGENT, branch, name="wi-fi", content="again"))

    exported = await settle(client.topics.export_csv(AGENT, branch))
    assert isinstance(exported, str)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["name"], r["content"]) for r in rows] == [("Wi-Fi", TRICKY)]

    result = await settle(client.topics.import_csv(AGENT, branch, b"name,content\nParking,On site\n"))
    assert (result["created"], result["updated"]) == (1, 0)
    file = tmp_path / "more.csv"
    file.write_text("name,content\nParking,Valet only\nPool,Open 7am\n", encoding="utf-8")
    result = await settle(client.topics.import_csv(AGENT, branch, file))
    assert (result["created"], result["updated"]) == (1, 1)
    result = await settle(client.topics.import_csv(AGENT, branch, str(file)))
    assert (result["created"], result["updated"]) == (0, 2)
    names = [t["name"] for t in await settle(client.topics.list(AGENT, branch))]
    assert names == ["Wi-Fi", "Parking", "Pool"]

    with pytest.raises(KnowledgeBaseImportMissingColumnsError) as missing:
        await settle(client.topics.import_csv(AGENT, branch, b"title\nParking\n"))
    assert missing.value.data is not None and "content" in missing.value.data["missingColumns"]
    assert len(await settle(client.topics.list(AGENT, branch))) == 3

    await settle(client.topics.delete(AGENT, branch, topic["id"]))
    with pytest.raises(KnowledgeBaseTopicNotFoundError):
        await settle(client.topics.get(AGENT, branch, topic["id"]))
    with pytest.raises(BranchNotFoundError):
        await settle(client.topics.export_csv(AGENT, "ghost"))


async def test_flows_steps_and_flow_functions(connect: Connector) -> None:
    client = connect()
    branch = await agent_with_branch(client)
    flow = await settle(client.flows.create(AGENT, branch, name="Booking", description="Books a table"))
    assert flow["startStep"] is None
    step = await settle(
        client.steps.create(
            AGENT, branch, flow["id"], name="Ask size", step_type="advanced", prompt="How many?"
        )
    )
    assert (await settle(client.steps.list(AGENT, branch, flow["id"])))["steps"] == [step]
    assert await settle(client.steps.get(AGENT, branch, flow["id"], step["id"])) == step

    updated = await settle(client.flows.update(AGENT, branch, flow["id"], start_step="Ask size"))
    assert updated["startStep"] == "Ask size"
    renamed = await settle(client.steps.update(AGENT, branch, flow["id"], step["id"], name="Party size"))
    assert renamed["name"] == "Party size"
    dtmf = {"isEnabled": True, "maxDigits": 2}
    tuned = await settle(
        client.steps.update(
            AGENT,
            branch,
            flow["id"],
            step["id"],
            settings={"dtmfConfig": dtmf, "bargeIn": {"isEnabled": False}},
        )
    )
    assert (tuned["dtmfConfig"], tuned["bargeIn"], tuned["name"]) == (
        dtmf,
        {"isEnabled": False},
        "Party size",
    )
    # The rename is followed by the flow's startStep; leaving start_step out keeps it.
    kept = await settle(client.flows.update(AGENT, branch, flow["id"], description="Tables"))
    assert (kept["startStep"], kept["description"]) == ("Party size", "Tables")
    cleared = await settle(client.flows.update(AGENT, branch, flow["id"], start_step=None))
    assert cleared["startStep"] is None
    assert NOT_GIVEN is type(NOT_GIVEN)() and not NOT_GIVEN and repr(NOT_GIVEN) == "NOT_GIVEN"

    code = "def done(conv, flow, size: int):\n    return None\n"
    function = await settle(client.flow_functions.create(AGENT, branch, flow["id"], name="done", code=code))
    assert function["parameters"] == [{"name": "size", "type": "int", "required": True}]
    listed = await settle(client.flow_functions.list(AGENT, branch, flow["id"]))
    assert [f["id"] for f in listed["functions"]] == [function["id"]]
    changed = await settle(
        client.flow_functions.update(AGENT, branch, flow["id"], function["id"], description="Finish")
    )
    assert changed["description"] == "Finish"
    assert await settle(client.flow_functions.get(AGENT, branch, flow["id"], function["id"])) == changed
    await settle(client.flow_functions.delete(AGENT, branch, flow["id"], function["id"]))
    await settle(client.steps.delete(AGENT, branch, flow["id"], step["id"]))
    assert (await settle(client.steps.list(AGENT, branch, flow["id"])))["steps"] == []

    assert await settle(client.flows.get(AGENT, branch, flow["id"])) == cleared
    assert [f["id"] for f in (await settle(client.flows.list(AGENT, branch)))["flows"]] == [flow["id"]]
    await settle(client.flows.delete(AGENT, branch, flow["id"]))
    with pytest.raises(FlowNotFoundError):
        await settle(client.flows.get(AGENT, branch, flow["id"]))


async def test_functions_start_end_and_execute(connect: Connector) -> None:
    client = connect()
    branch = await agent_with_branch(client)
    code = "def greet(conv, name: str):\n    conv.state['greeted'] = name\n    return 'hi ' + name\n"
    function = await settle(client.functions.create(AGENT, branch, name="greet", code=code))
    assert function["parameters"][0]["name"] == "name"
    assert await settle(client.functions.get(AGENT, branch, function["id"])) == function
    changed = await settle(client.functions.update(AGENT, branch, function["id"], description="Greets"))
    assert changed["description"] == "Greets"
    listed = await settle(client.functions.list(AGENT, branch))
    assert [f["name"] for f in listed["functions"]] == ["greet"]

    ran = await settle(
        client.functions.execute(AGENT, branch, function["id"], args={"name": "Ada"}, state={"n": 1})
    )
    assert ran["returnValue"] == "hi Ada"
    assert ran["state"] == {"n": 1, "greeted": "Ada"}

    start = await settle(
        client.functions.set_start(AGENT, branch, "def start_function(conv):\n    conv.say('hi')\n")
    )
    assert start["name"] == "start_function"
    assert (await settle(client.functions.get_start(AGENT, branch)))["code"] == start["code"]
    effects = (await settle(client.functions.execute(AGENT, branch, "start")))["effects"]
    assert effects[0]["type"] == "say"
    end = await settle(client.functions.set_end(AGENT, branch, "def end_function(conv):\n    return None\n"))
    assert (await settle(client.functions.get_end(AGENT, branch)))["code"] == end["code"]
    await settle(client.functions.delete_start(AGENT, branch))
    await settle(client.functions.delete_end(AGENT, branch))

    boom = "def boom(conv):\n    raise ValueError('no')\n"
    failing = await settle(client.functions.create(AGENT, branch, name="boom", code=boom))
    with pytest.raises(FunctionExecutionFailedError) as failed:
        await settle(client.functions.execute(AGENT, branch, failing["id"]))
    assert failed.value.data is not None and failed.value.data["errorType"] == "ValueError"
    with pytest.raises(FunctionsReservedNameError):
        await settle(
            client.functions.create(AGENT, branch, name="print", code="def print(conv):\n    pass\n")
        )
    await settle(client.functions.delete(AGENT, branch, function["id"]))
    with pytest.raises(FunctionNotFoundError):
        await settle(client.functions.get(AGENT, branch, function["id"]))


async def test_entities_handoffs_and_sms_templates(connect: Connector) -> None:
    client = connect()
    branch = await agent_with_branch(client)
    entity = await settle(
        client.entities.create(AGENT, branch, name="party_size", type="number", config={"min": 1})
    )
    assert entity["config"]["min"] == 1
    entity = await settle(client.entities.update(AGENT, branch, entity["id"], description=TRICKY))
    assert await settle(client.entities.get(AGENT, branch, entity["id"])) == entity
    assert (await settle(client.entities.list(AGENT, branch)))["entities"] == [entity]
    await settle(client.entities.delete(AGENT, branch, entity["id"]))
    assert (await settle(client.entities.list(AGENT, branch)))["entities"] == []

    handoff = await settle(
        client.handoffs.create(
            AGENT,
            branch,
            name="desk",
            method="refer",
            destination="+442079460000",
            reason="guest asked",
            sip_headers=[{"key": "X-Desk", "value": "front"}],
        )
    )
    assert handoff["isDefault"] is True and handoff["sipHeaders"] == [{"key": "X-Desk", "value": "front"}]
    kept = await settle(client.handoffs.update(AGENT, branch, handoff["id"], reason="complaint"))
    assert (kept["destination"], kept["reason"]) == ("+442079460000", "complaint")
    invite = await settle(
        client.handoffs.update(
            AGENT,
            branch,
            handoff["id"],
            method="invite",
            outbound_endpoint="trunk.example.com:5061",
            outbound_encryption="TLS/SRTP",
        )
    )
    assert (invite["method"], invite["outboundEndpoint"], invite["outboundEncryption"]) == (
        "invite",
        "trunk.example.com:5061",
        "TLS/SRTP",
    )
    bye = await settle(
        client.handoffs.update(
            AGENT,
            branch,
            handoff["id"],
            method="bye",
            destination=None,
            outbound_endpoint=None,
            outbound_encryption=None,
        )
    )
    assert (bye["method"], bye["destination"], bye["outboundEndpoint"]) == ("bye", None, None)
    assert await settle(client.handoffs.get(AGENT, branch, handoff["id"])) == bye
    assert (await settle(client.handoffs.list(AGENT, branch)))["handoffs"] == [bye]
    await settle(client.handoffs.delete(AGENT, branch, handoff["id"]))
    with pytest.raises(HandoffNotFoundError):
        await settle(client.handoffs.get(AGENT, branch, handoff["id"]))

    template = await settle(
        client.sms_templates.create(
            AGENT, branch, name="confirm", text="Booked ✅", env_phone_numbers={"live": "+442079460102"}
        )
    )
    assert template["envPhoneNumbers"]["live"] == "+442079460102"
    template = await settle(client.sms_templates.update(AGENT, branch, template["id"], text="Booked!"))
    assert await settle(client.sms_templates.get(AGENT, branch, template["id"])) == template
    assert (await settle(client.sms_templates.list(AGENT, branch)))["smsTemplates"] == [template]
    await settle(client.sms_templates.delete(AGENT, branch, template["id"]))
    with pytest.raises(SmsTemplateNotFoundError):
        await settle(client.sms_templates.get(AGENT, branch, template["id"]))


async def test_attributes_variants_and_csv(connect: Connector) -> None:
    client = connect()
    branch = await agent_with_branch(client)
    city = await settle(client.attributes.create(AGENT, branch, "city"))
    city = await settle(client.attributes.update(AGENT, branch, city["id"], "City"))
    assert (await settle(client.attributes.list(AGENT, branch)))["attributes"] == [city]

    london = await settle(
        client.variants.create(AGENT, branch, name="London", attribute_values={city["id"]: "London"})
    )
    assert london["isDefault"] is True
    paris = await settle(client.variants.create(AGENT, branch, name="Paris"))
    paris = await settle(
        client.variants.update(AGENT, branch, paris["id"], attribute_values={city["id"]: "Paris"})
    )
    assert paris["attributeValues"]["values"] == {city["id"]: "Paris"}
    with pytest.raises(VariantsRemoveDefaultError):
        await settle(client.variants.delete(AGENT, branch, london["id"]))

    exported = await settle(client.variants.export_csv(AGENT, branch, delimiter="semicolon"))
    assert exported.splitlines()[0] == "id;name;is_default;attribute_City"
    assert "London;true;London" in exported

    counts = await settle(
        client.variants.import_csv(AGENT, branch, b"name,is_default,attribute_Stars\nRome,false,5\n")
    )
    assert counts == {"created": 1, "updated": 0, "attributesCreated": 1}
    with pytest.raises(VariantImportMissingColumnsHttpError):
        await settle(client.variants.import_csv(AGENT, branch, b"is_default\nfalse\n"))
    names = [v["name"] for v in (await settle(client.variants.list(AGENT, branch)))["variants"]]
    assert names == ["London", "Paris", "Rome"]

    assert await settle(client.variants.delete(AGENT, branch, paris["id"])) == {"id": paris["id"]}
    assert await settle(client.attributes.delete(AGENT, branch, city["id"])) == {"id": city["id"]}


async def test_real_time_configs(connect: Connector) -> None:
    client = connect()
    await settle(client.agents.create("default", name="Hotel", greeting="Hello!", agent_id=AGENT))
    pages = await settle(client.real_time_configs.list(AGENT))
    assert [p["clientEnv"] for p in pages["configPages"]] == ["sandbox", "pre-release", "live"]
    schema = {"type": "object", "properties": {"open": {"type": "boolean"}}}
    page = await settle(client.real_time_configs.put_schema(AGENT, "live", schema))
    assert page["schema"] == schema
    page = await settle(client.real_time_configs.patch_variables(AGENT, "live", {"open": True}))
    assert page["variables"] == {"open": True}
    assert await settle(client.real_time_configs.get(AGENT, "live")) == page
    with pytest.raises(RealTimeConfigInvalidForSchemaError):
        await settle(client.real_time_configs.patch_variables(AGENT, "live", {"open": "yes"}))
    with pytest.raises(RealTimeConfigUnknownClientEnvironmentError):
        await settle(client.real_time_configs.get(AGENT, "staging"))
    assert (await settle(client.real_time_configs.get(AGENT, "live")))["variables"] == {"open": True}
