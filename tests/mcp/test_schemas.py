"""The tools' schemas come from the REST API's own Structs, so the two cannot drift apart."""

import msgspec

from service.api import loop_schemas as ls
from service.api import responses, schemas
from service.mcp import tools
from service.mcp.server import _listing


def fields(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    """A Struct's field names in order."""
    return struct.__struct_fields__


def test_a_schema_valid_loop_request_is_what_decode_loop_accepts() -> None:
    request = ls.CreateLoopRequest(
        participants=["a@example.com", "b@example.com"],
        loop_name="Ship",
        loop_description="Release 2.0",
        participant_timeout=60_000,
        policy=ls.Quorum(quorum=2),
        callback_url="https://hooks.example.com/x",
    )
    new = ls.decode_loop(msgspec.json.encode(request))
    assert (new.participants, new.name, new.description) == (("a@example.com", "b@example.com"), "Ship", "Release 2.0")
    assert (new.timeout_ms, new.policy, new.callback_url) == (60_000, "quorum:2", "https://hooks.example.com/x")


def test_a_schema_valid_interrupt_request_is_what_decode_create_accepts() -> None:
    request = schemas.CreateInterruptRequest(
        agentId="a", userId="u", action="pay", context=msgspec.Raw(b'{"n": 1}'), urgency="high", expiresIn=60
    )
    new = schemas.decode_create(msgspec.json.encode(request))
    assert (new.agent_id, new.user_id, new.action, new.urgency, new.expires_in_ms) == ("a", "u", "pay", "high", 60_000)


def test_tool_inputs_are_the_rest_bodies_plus_the_path_ids() -> None:
    listed = {tool.name: tool for _, tool in _listing()}
    body = tools.struct_schema(schemas.CreateInterruptRequest)
    assert listed["create_interrupt"].input_schema["properties"] == body["properties"]
    decide = listed["decide_interrupt"].input_schema
    assert list(decide["properties"]) == ["interruptId", *fields(schemas.DecideRequest)]
    loop = listed["create_loop"].input_schema
    assert loop["properties"] == tools.struct_schema(ls.CreateLoopRequest)["properties"]
    assert listed["get_interrupt_status"].output_schema == tools.struct_schema(responses.InterruptResponse)


def test_output_schemas_describe_json_objects_as_objects() -> None:
    listed = {tool.name: tool for _, tool in _listing()}
    status = listed["get_interrupt_status"].output_schema or {}
    assert status["properties"]["context"]["type"] == "object"
    assert status["properties"]["modifiedParams"]["type"] == "object"
    loop = tools.struct_schema(ls.LoopData)
    assert loop["properties"]["policy"] != {}
