"""Which request bodies are JSON: media types are case-insensitive (RFC 9110 §8.3.1), any
case of `application/json` (with a UTF-8 charset or none) is validated like the plain one,
anything else is a 415, and no body ever reaches a handler without being validated."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from conftest import API, VALID_RECORD, assert_problem, contract_operations, create_record

BODY_OPERATIONS = [
    (method, path, op["operationId"])
    for method, path, op in contract_operations()
    if "application/json" in op.get("requestBody", {}).get("content", {})
]
ODD_CASE_JSON = [
    "Application/Json",
    "APPLICATION/JSON",
    "application/JSON; Charset=UTF-8",
    'application/json;charset="utf-8"',
    "application/json ; charset=utf8",
]
NOT_JSON = [
    None,
    "",
    "text/plain",
    "application/json; charset=latin-1",
    "application/json; version=2",
    "application/jsonx",
    "json",
    "application/problem+json",
]


def _url(path: str) -> str:
    return API + path.replace("{meter_id}", str(uuid.uuid4())).replace("{consumption_id}", str(uuid.uuid4())).replace(
        "{reading_id}", str(uuid.uuid4())
    ).replace("{tariff_id}", str(uuid.uuid4()))


def _send(account, method: str, url: str, raw: bytes, content_type: str | None, **headers: str):
    if content_type is not None:
        headers["Content-Type"] = content_type
    return account.client.request(method, url, content=raw, headers={**account.headers, **headers})


def test_every_operation_with_a_body_is_listed():
    assert len(BODY_OPERATIONS) >= 10, BODY_OPERATIONS


@pytest.mark.parametrize(("method", "path", "operation_id"), BODY_OPERATIONS, ids=[o[2] for o in BODY_OPERATIONS])
@pytest.mark.parametrize("content_type", ODD_CASE_JSON)
def test_a_body_in_any_case_of_application_json_is_validated(alice, method, path, operation_id, content_type):
    # A body no operation accepts: if validation were skipped the handler would see it.
    response = _send(
        alice, method, _url(path), b'{"not_a_field_of_anything": [1]}', content_type, **{"If-Match": '"1"'}
    )

    assert_problem(response, 400)


@pytest.mark.parametrize(("method", "path", "operation_id"), BODY_OPERATIONS, ids=[o[2] for o in BODY_OPERATIONS])
@pytest.mark.parametrize("content_type", NOT_JSON)
def test_a_body_without_a_json_content_type_is_415(alice, method, path, operation_id, content_type):
    response = _send(
        alice,
        method,
        _url(path),
        b'{"username": "alice", "password": "s3cret-passw0rd"}',
        content_type,
        **{"If-Match": '"1"'},
    )

    body = assert_problem(response, 415)
    assert body["type"] == "urn:consumo:problem:unsupported-media-type"


def test_login_with_a_missing_content_type_is_415_not_a_500(client, alice):
    response = client.post(
        f"{API}/auth/login", content=json.dumps({"username": "alice", "password": alice.password}).encode()
    )

    assert_problem(response, 415)


@pytest.mark.parametrize("content_type", ODD_CASE_JSON)
def test_login_and_register_in_an_odd_case_of_application_json_work(client, content_type):
    suffix = uuid.uuid4().hex[:8]
    registered = client.post(
        f"{API}/auth/register",
        headers={"Content-Type": content_type},
        content=json.dumps(
            {"username": f"u{suffix}", "email": f"u{suffix}@example.com", "password": "s3cret-passw0rd"}
        ).encode(),
    )
    logged_in = client.post(
        f"{API}/auth/login",
        headers={"Content-Type": content_type},
        content=json.dumps({"username": f"u{suffix}", "password": "s3cret-passw0rd"}).encode(),
    )

    assert registered.status_code == 201, registered.text
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["user"]["username"] == f"u{suffix}"


def test_a_record_created_in_an_odd_case_of_application_json_is_stored_as_sent(alice):
    response = _send(alice, "POST", f"{API}/consumptions", json.dumps(VALID_RECORD).encode(), "Application/Json")

    assert response.status_code == 201, response.text
    assert response.json()["quantity"] == VALID_RECORD["quantity"]


def test_a_request_without_a_body_needs_no_content_type(alice):
    record = create_record(alice)

    response = alice.client.delete(f"{API}/consumptions/{record['id']}", headers={**alice.headers, "If-Match": '"1"'})

    assert response.status_code == 204, response.text


# --- chunked bodies (no Content-Length) ----------------------------------------------------------


def _chunks(raw: bytes, size: int = 7) -> Iterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


def test_a_small_chunked_body_is_validated_and_accepted(alice):
    response = alice.client.post(
        f"{API}/consumptions",
        content=_chunks(json.dumps(VALID_RECORD).encode()),
        headers={**alice.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["notes"] == VALID_RECORD["notes"]


def test_a_chunked_body_that_breaks_the_contract_is_a_400(alice):
    response = alice.client.post(
        f"{API}/consumptions",
        content=_chunks(b'{"kind": "electricity"}'),
        headers={**alice.headers, "Content-Type": "application/json"},
    )

    assert_problem(response, 400)


def test_an_oversize_chunked_body_is_a_413(alice):
    raw = json.dumps({**VALID_RECORD, "notes": "x" * (1024 * 1024 + 10)}).encode()

    response = alice.client.post(
        f"{API}/consumptions",
        content=_chunks(raw, 64 * 1024),
        headers={**alice.headers, "Content-Type": "application/json"},
    )

    assert_problem(response, 413)
