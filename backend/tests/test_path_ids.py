"""Every id in a path has one canonical spelling: in upper case it names the same object
(the same answer, the same idempotent retry, the same Location), and with surrounding
whitespace (or a final newline) it is not an id at all: a 400, never a 404, 500 or a
different object. Tried on every operation of the contract that takes a path id."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from conftest import API, VALID_LINE, VALID_METER, assert_problem, contract_operations, create_meter, create_record

PATH_OPERATIONS = [(method, path, op["operationId"]) for method, path, op in contract_operations() if "{" in path]
IDS = [op[2] for op in PATH_OPERATIONS]
NOT_AN_ID = ["%20{id}", "{id}%20", "%09{id}", "{id}%09", "{{{id}}}", "urn:uuid:{id}", "{hex}"]
# A line break in a path segment matches no route of the contract at all: 404, like any unknown path.
UNROUTED = ["{id}%0A", "%0A{id}", "{id}%0D%0A"]


@pytest.fixture
def objects(alice) -> dict[str, str]:
    """One of each object a path names, for the operations to find."""
    meter = create_meter(alice)
    line = create_meter(alice, **VALID_LINE)
    record = create_record(alice)
    tariff = alice.post(
        f"{API}/meters/{meter['id']}/tariffs", json={"valid_from": "2025-01-01", "unit_price_minor": 15}
    )
    reading = alice.post(f"{API}/meters/{meter['id']}/readings", json={"date": "2025-01-01", "index_value": 100})
    top_up = alice.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": 100})
    invitation = alice.post(f"{API}/tenant/invitations", json={"email": "invited@example.com", "role": "member"})
    assert tariff.status_code == 201 and reading.status_code == 201, (tariff.text, reading.text)
    assert top_up.status_code == 201, top_up.text
    assert invitation.status_code == 201, invitation.text
    upload = alice.post(
        f"{API}/imports",
        content=b"kind,quantity,period_start,period_end\nwater,1,2025-01-01,2025-01-01\n",
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201, upload.text
    token = alice.post(f"{API}/user/tokens", json={"name": "t", "scopes": ["read"], "expires_at": None})
    webhook = alice.post(
        f"{API}/webhooks", json={"url": "https://hooks.example.invalid/x", "event_types": ["meter.created"]}
    )
    assert token.status_code == 201 and webhook.status_code == 201, (token.text, webhook.text)
    delivery = alice.post(f"{API}/webhooks/{webhook.json()['id']}/test")
    assert delivery.status_code == 201, delivery.text
    return {
        "import_id": upload.json()["id"],
        "member_id": alice.user_id,
        "invitation_id": invitation.json()["id"],
        "token_id": token.json()["id"],
        "webhook_id": webhook.json()["id"],
        "delivery_id": delivery.json()["id"],
        "meter_id": meter["id"],
        "line_id": line["id"],
        "consumption_id": record["id"],
        "tariff_id": tariff.json()["id"],
        "reading_id": reading.json()["id"],
        "top_up_id": top_up.json()["id"],
    }


def _url(path: str, objects: dict[str, str], spell: Any = str) -> str:
    on_line = path.endswith(("/status", "/top-ups", "/simulate")) or "/top-ups/" in path
    meter = objects["line_id"] if on_line else objects["meter_id"]
    for name, value in {**objects, "meter_id": meter}.items():
        path = path.replace("{" + name + "}", spell(value))
    return API + path


def test_the_contract_has_path_ids_on_most_resources():
    assert {
        "get_meter",
        "get_consumption",
        "create_top_up",
        "simulate_usage",
        "create_tariff",
        "delete_reading",
    } <= set(IDS)


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [op for op in PATH_OPERATIONS if op[0] == "GET"],
    ids=[op[2] for op in PATH_OPERATIONS if op[0] == "GET"],
)
def test_a_read_by_an_upper_case_id_answers_exactly_like_the_canonical_one(alice, objects, method, path, operation_id):
    canonical = alice.get(_url(path, objects))
    upper = alice.get(_url(path, objects, str.upper))

    assert canonical.status_code == 200, canonical.text
    assert upper.status_code == 200, upper.text
    assert upper.json() == canonical.json()
    assert upper.headers.get("ETag") == canonical.headers.get("ETag")


@pytest.mark.parametrize(("method", "path", "operation_id"), PATH_OPERATIONS, ids=IDS)
@pytest.mark.parametrize("spelling", NOT_AN_ID)
def test_an_id_with_surrounding_whitespace_or_another_form_is_a_400(
    alice, objects, method, path, operation_id, spelling
):
    def spell(value: str) -> str:
        return spelling.format(id=value, hex=uuid.UUID(value).hex)

    response = alice.client.request(
        method,
        _url(path, objects, spell),
        json={} if method != "GET" else None,
        headers={**alice.headers, "If-Match": '"1"'},
    )

    assert_problem(response, 400)


@pytest.mark.parametrize(("method", "path", "operation_id"), PATH_OPERATIONS, ids=IDS)
@pytest.mark.parametrize("spelling", UNROUTED)
def test_an_id_with_a_line_break_is_no_route_a_404(alice, objects, method, path, operation_id, spelling):
    response = alice.client.request(
        method,
        _url(path, objects, lambda value: spelling.format(id=value)),
        json={} if method != "GET" else None,
        headers={**alice.headers, "If-Match": '"1"'},
    )

    assert_problem(response, 404)


CREATES_UNDER_A_METER = [
    ("/meters/{line_id}/top-ups", {"amount_minor": 500}),
    ("/meters/{line_id}/simulate", {"data_mb": 20000}),
    ("/meters/{meter_id}/tariffs", {"valid_from": "2025-02-01", "unit_price_minor": 20}),
    ("/meters/{meter_id}/readings", {"date": "2025-02-01", "index_value": 150}),
]


@pytest.mark.parametrize(("path", "body"), CREATES_UNDER_A_METER, ids=[p for p, _ in CREATES_UNDER_A_METER])
def test_a_create_retried_with_the_meter_id_in_upper_case_is_replayed_not_repeated(alice, objects, path, body):
    url = API + path.format(**objects)
    upper_url = API + path.format(**{name: value.upper() for name, value in objects.items()})
    key = {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    assert alice.post(f"{API}/meters/{objects['line_id']}/top-ups", json={"amount_minor": 100000}).status_code == 201

    first = alice.post(url, json=body, headers=key)
    retried = alice.post(upper_url, json=body, headers=key)

    assert first.status_code == 201, first.text
    assert retried.status_code == 201, retried.text
    assert retried.headers.get("Idempotent-Replayed") == "true"
    assert retried.json() == first.json()
    assert retried.headers.get("Location") == first.headers.get("Location")


def test_a_top_up_retried_in_upper_case_credits_the_balance_once(alice, objects):
    key = {"Idempotency-Key": "top-up-once"}
    start = alice.get(f"{API}/meters/{objects['line_id']}").json()["balance_minor"]
    listed = len(alice.get(f"{API}/meters/{objects['line_id']}/top-ups").json()["items"])
    for meter_id in (objects["line_id"], objects["line_id"].upper(), objects["line_id"]):
        assert (
            alice.post(f"{API}/meters/{meter_id}/top-ups", json={"amount_minor": 500}, headers=key).status_code == 201
        )

    assert alice.get(f"{API}/meters/{objects['line_id']}").json()["balance_minor"] == start + 500
    assert len(alice.get(f"{API}/meters/{objects['line_id']}/top-ups").json()["items"]) == listed + 1


def test_a_simulation_retried_in_upper_case_charges_once(alice, objects):
    line = f"{API}/meters/{objects['line_id']}"
    assert alice.post(f"{line}/top-ups", json={"amount_minor": 100000}).status_code == 201
    start = alice.get(line).json()["balance_minor"]
    key = {"Idempotency-Key": "simulate-once"}

    first = alice.post(f"{line}/simulate", json={"data_mb": 20000}, headers=key)
    retried = alice.post(f"{API}/meters/{objects['line_id'].upper()}/simulate", json={"data_mb": 20000}, headers=key)

    assert first.status_code == 201 and retried.status_code == 201, (first.text, retried.text)
    assert first.json()["cost_minor"] > 0
    assert alice.get(line).json()["balance_minor"] == start - first.json()["cost_minor"]


def test_a_location_is_always_canonical(alice, objects):
    response = alice.post(
        f"{API}/meters/{objects['meter_id'].upper()}/tariffs", json={"valid_from": "2025-03-01", "unit_price_minor": 20}
    )

    assert response.status_code == 201, response.text
    assert response.headers["Location"] == response.headers["Location"].lower()
    assert objects["meter_id"] in response.headers["Location"]


@pytest.mark.parametrize("value", ["alice2\n", "ES-1\n"])
def test_no_pattern_lets_a_final_newline_through(alice, value):
    registered = alice.client.post(
        f"{API}/auth/register", json={"username": value, "email": "x@example.com", "password": "s3cret-passw0rd"}
    )
    meter = alice.post(f"{API}/meters", json={**VALID_METER, "identifier": value})

    assert_problem(registered, 400, "username")
    assert_problem(meter, 400, "identifier")
