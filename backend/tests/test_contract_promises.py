"""What the contract promises for every operation, derived from the contract itself so an
operation added later is covered at once (a failure names the operation):

- every operation documents `400` (an unknown query parameter is one) and, when it touches the
  database, `503`; it says who may call it;
- every request body and every documented response with a body has an example, and each
  example is valid against its schema (as the API validates requests and responses);
- an unknown query parameter is the documented `400` naming it, on every operation;
- every create answers `201` to its own request example (Swagger UI's first "Try it out"), and
  its `Location` can be read with `GET`.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from conftest import API, VALID_LINE, VALID_METER, Account, assert_problem, contract_operations
from consumo.config import SPEC_PATH
from consumo.validation import FORMAT_CHECKER, RequestSchemaValidator, ResponseSchemaValidator

SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
OPERATIONS = [(method, path, op) for method, path, op in contract_operations()]
IDS = [op["operationId"] for _, _, op in OPERATIONS]

# Operations that never reach the database (so they cannot answer 503).
WITHOUT_DATABASE = {"get_health", "get_metrics"}
# Operations that exist only on a mobile line; other meter operations get a utility meter.
ON_A_LINE = {"get_meter_status", "list_top_ups", "create_top_up", "get_top_up", "simulate_usage"}


def _resolve(node: Any) -> Any:
    """`node` with every `$ref` replaced by what it names (the contract has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = SPEC
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target)
        return {key: _resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value) for value in node]
    return node


def _examples(media: dict[str, Any]) -> list[tuple[str, Any]]:
    if "example" in media:
        return [("example", media["example"])]
    return [(name, _resolve(example)["value"]) for name, example in media.get("examples", {}).items()]


def _body_examples() -> Iterator[tuple[str, str, dict[str, Any], list[tuple[str, Any]]]]:
    """(operation, where, schema, examples) for each request body and response body."""
    for _, _, op in OPERATIONS:
        operation_id = op["operationId"]
        for media_type, media in _resolve(op.get("requestBody", {})).get("content", {}).items():
            yield operation_id, f"request {media_type}", media["schema"], _examples(media)
        for status, response in op["responses"].items():
            for media_type, media in _resolve(response).get("content", {}).items():
                yield operation_id, f"{status} {media_type}", media["schema"], _examples(media)


# --- what each operation documents ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_documents_400_and_503_and_who_may_call_it(method, path, operation):
    operation_id = operation["operationId"]
    responses = operation["responses"]
    assert "400" in responses, f"{operation_id}: document 400 (an unknown query parameter is one)"
    if operation_id not in WITHOUT_DATABASE:
        assert "503" in responses, f"{operation_id}: document 503 (ServiceUnavailable: the database is down)"
    assert "Who may call it" in operation.get("description", ""), (
        f"{operation_id}: the description says who may call it (**Who may call it:** …) and the rules behind its 4xx"
    )


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_201_has_a_location_and_every_create_with_an_idempotency_key_says_when_it_replays(
    method, path, operation
):
    operation_id = operation["operationId"]
    created = operation["responses"].get("201")
    if created is None:
        return
    headers = _resolve(created).get("headers", {})
    assert "Location" in headers, f"{operation_id}: a 201 has a Location that GET can read"
    takes_key = any(_resolve(p)["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    if takes_key:
        assert "Idempotent-Replayed" in headers, f"{operation_id}: declare the Idempotent-Replayed header on 201"


@pytest.mark.parametrize(
    ("operation_id", "where", "schema", "examples"),
    list(_body_examples()),
    ids=[f"{o}:{w}" for o, w, _, _ in _body_examples()],
)
def test_every_body_has_an_example_valid_against_its_schema(operation_id, where, schema, examples):
    assert examples, f"{operation_id} {where}: add an example (components/examples) for this body"
    validator_class = RequestSchemaValidator if where.startswith("request") else ResponseSchemaValidator
    validator = validator_class(_resolve(schema), format_checker=FORMAT_CHECKER)
    for name, value in examples:
        errors = [f"{'.'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in validator.iter_errors(value)]
        assert not errors, f"{operation_id} {where} example {name!r} breaks its schema: {errors}"


def test_every_example_in_the_components_is_used():
    text = SPEC_PATH.read_text()
    for name in SPEC["components"].get("examples", {}):
        assert f"'#/components/examples/{name}'" in text, f"example {name} is not used by any operation"


# --- unknown query parameters --------------------------------------------------------------------


def _request_example(operation: dict[str, Any]) -> Any:
    content = _resolve(operation.get("requestBody", {})).get("content", {})
    media = content.get("application/json")
    return copy.deepcopy(_examples(media)[0][1]) if media else None


def _request_body(operation: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments that send the operation's request example: JSON, or another
    media type's text (a CSV upload) with its Content-Type."""
    content = _resolve(operation.get("requestBody", {})).get("content", {})
    if not content or "application/json" in content:
        return {"json": _request_example(operation)}
    media_type, media = next(iter(content.items()))
    return {"content": _examples(media)[0][1].encode(), "headers": {"Content-Type": media_type}}


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_an_unknown_query_parameter_is_the_documented_400_naming_it(alice, method, path, operation, monkeypatch):
    from consumo.config import get_settings

    operation_id = operation["operationId"]
    headers = dict(alice.headers)
    if operation.get("security") == [{"metricsAuth": []}]:
        monkeypatch.setattr(get_settings(), "metrics_token", "a-metrics-token-for-this-test")
        headers["Authorization"] = "Bearer a-metrics-token-for-this-test"
    url = API + re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), path)
    body = _request_body(operation)
    headers = {**headers, **body.pop("headers", {}), "If-Match": '"1"'}

    response = alice.client.request(method, url, params={"not_a_parameter": "1"}, headers=headers, **body)

    assert response.status_code == 400, f"{operation_id}: {response.status_code} {response.text}"
    assert "400" in operation["responses"], f"{operation_id}: 400 is not documented"
    assert_problem(response, 400, "not_a_parameter")


# --- creates: the example works, and the Location can be read --------------------------------------

CREATES = [(m, p, op) for m, p, op in OPERATIONS if "201" in op["responses"]]


def _fill_path(account: Account, operation_id: str, path: str) -> str:
    """The operation's path with each parameter naming an object the account really owns."""
    names = re.findall(r"\{(\w+)\}", path)
    values: dict[str, str] = {}
    for name in names:
        if name == "meter_id":
            meter = account.post(f"{API}/meters", json=VALID_LINE if operation_id in ON_A_LINE else VALID_METER)
            assert meter.status_code == 201, f"{operation_id}: {meter.text}"
            values[name] = meter.json()["id"]
        elif name == "webhook_id":
            webhook = account.post(
                f"{API}/webhooks", json={"url": "https://hooks.example.invalid/x", "event_types": ["meter.created"]}
            )
            assert webhook.status_code == 201, f"{operation_id}: {webhook.text}"
            values[name] = webhook.json()["id"]
        else:
            raise AssertionError(f"{operation_id}: teach _fill_path how to make a {name} for this test")
    return API + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


@pytest.mark.parametrize(("method", "path", "operation"), CREATES, ids=[op["operationId"] for _, _, op in CREATES])
def test_every_create_succeeds_with_its_example_and_its_location_can_be_read(app, alice, method, path, operation):
    operation_id = operation["operationId"]
    body = _request_example(operation)
    if operation_id == "register":
        client = app.test_client()  # a client of its own: the example registers its own account
        created = client.post(API + path, json=body)
        assert created.status_code == 201, f"{operation_id}: {created.text}"
        login = client.post(f"{API}/auth/login", json={"username": body["username"], "password": body["password"]})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    else:
        client, headers = alice.client, alice.headers
        url = _fill_path(alice, operation_id, path)
        sent = _request_body(operation)
        if operation_id == "accept_invitation":  # the example's token stands for one the inviter shares
            invitation = alice.post(f"{API}/tenant/invitations", json={"email": "luis@example.com", "role": "member"})
            assert invitation.status_code == 201, invitation.text
            sent["json"]["token"] = invitation.json()["token"]
        created = client.request(method, url, headers={**headers, **sent.pop("headers", {})}, **sent)
        assert created.status_code == 201, f"{operation_id}: its example does not create: {created.text}"

    location = created.headers.get("Location")
    assert location, f"{operation_id}: a 201 without a Location"
    read = client.get(location, headers=headers)

    assert read.status_code == 200, f"{operation_id}: GET {location} answered {read.status_code}"
    made = created.json()
    if isinstance(made, dict) and "id" in made:
        assert read.json()["id"] == made["id"], f"{operation_id}: the Location names another object"


def test_the_fuzzing_settings_accept_exactly_the_documented_statuses_and_survive_toml():
    """`make fuzz` reads the same per-operation statuses as the in-process run."""
    import tomllib

    from consumo import fuzz_config

    settings = fuzz_config.settings()
    assert tomllib.loads(fuzz_config.as_toml(settings)) == settings
    by_id = {entry["include-operation-id"]: entry["checks"] for entry in settings["operations"]}
    for _, _, operation in OPERATIONS:
        checks = by_id[operation["operationId"]]
        documented = set(operation["responses"])
        assert set(checks["positive_data_acceptance"]["expected-statuses"]) == documented - {"400", "413", "415"}
        assert set(checks["negative_data_rejection"]["expected-statuses"]) == {s for s in documented if s[0] == "4"}


@pytest.mark.parametrize("query", ["=1", "&=", "=x&not_a_parameter=2"])
def test_a_query_parameter_without_a_name_is_a_400_on_the_query(alice, query):
    response = alice.client.get(f"{API}/consumptions?{query}", headers=alice.headers)

    body = assert_problem(response, 400, "query")
    assert all(error["field"] for error in body["errors"])
