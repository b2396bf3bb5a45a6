"""Every write operation of the contract, sent 20 times at once: none answers a 5xx, and
what each leaves behind is what one of them, or all of them in some order, would leave."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conftest import API, VALID_LINE, VALID_RECORD, contract_operations, create_meter, create_record, register_and_login

PARALLEL = 20
WRITE_OPERATIONS = sorted(op["operationId"] for method, _, op in contract_operations() if method != "GET")


def _at_once(send: Callable[[int], Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        responses = list(pool.map(send, range(PARALLEL)))
    server_errors = [(r.status_code, r.text) for r in responses if r.status_code >= 500]
    assert not server_errors, server_errors
    return responses


def _statuses(responses: list[Any]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for response in responses:
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
    return counts


@pytest.fixture
def books(alice) -> dict[str, Any]:
    meter = create_meter(alice)
    line = create_meter(alice, **VALID_LINE)
    assert alice.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": 1000}).status_code == 201
    tariff = alice.post(
        f"{API}/meters/{meter['id']}/tariffs", json={"valid_from": "2025-01-01", "unit_price_minor": 15}
    )
    reading = alice.post(f"{API}/meters/{meter['id']}/readings", json={"date": "2025-01-01", "index_value": 100})
    assert tariff.status_code == 201 and reading.status_code == 201
    imports = [
        alice.post(f"{API}/imports", content=CSV_FILE.encode(), headers={"Content-Type": "text/csv"}).json()["id"]
        for _ in range(2)
    ]
    assert alice.post(f"{API}/imports/{imports[1]}/commit").status_code == 202
    invitations = [
        alice.post(f"{API}/tenant/invitations", json={"email": f"{name}@example.com", "role": "member"}).json()
        for name in ("mate", "guest", "visitor")
    ]
    token = alice.post(f"{API}/user/tokens", json={"name": "t", "scopes": ["read"], "expires_at": None})
    webhook = alice.post(
        f"{API}/webhooks", json={"url": "https://hooks.example.invalid/x", "event_types": ["meter.created"]}
    )
    assert token.status_code == 201 and webhook.status_code == 201
    delivery = alice.post(f"{API}/webhooks/{webhook.json()['id']}/test")
    assert delivery.status_code == 201
    return {
        "import": imports[0],
        "committed_import": imports[1],
        "mate_token": invitations[0]["token"],  # accepted only for the member operations (see _with_a_member)
        "invitation": invitations[1]["id"],
        "token": invitations[2]["token"],
        "api_token": token.json()["id"],
        "webhook": webhook.json()["id"],
        "delivery": delivery.json()["id"],
        "meter": meter["id"],
        "line": line["id"],
        "record": create_record(alice)["id"],
        "tariff": tariff.json()["id"],
        "reading": reading.json()["id"],
    }


CSV_FILE = "kind,quantity,period_start,period_end\nwater,1,2025-03-01,2025-03-31\ngas,2,2025-03-01,2025-03-31\n"


def _scenarios(app: Any, alice: Any, books: dict[str, Any]) -> dict[str, Callable[[int], Any]]:
    meter, line = f"{API}/meters/{books['meter']}", f"{API}/meters/{books['line']}"
    hook = f"{API}/webhooks/{books['webhook']}"
    if_match = {"If-Match": '"1"'}
    suffix = uuid.uuid4().hex[:6]
    return {
        "register": lambda i: alice.client.post(
            f"{API}/auth/register",
            json={"username": f"same{suffix}", "email": f"same{suffix}@example.com", "password": "s3cret-passw0rd"},
        ),
        "login": lambda i: alice.client.post(
            f"{API}/auth/login", json={"username": "alice", "password": alice.password}
        ),
        "refresh_session": lambda i: alice.client.post(f"{API}/auth/refresh"),
        "logout": lambda i: alice.client.post(f"{API}/auth/logout"),
        "update_current_user": lambda i: alice.put(
            f"{API}/user", json={"username": f"alice{i % 2}", "email": f"alice{i % 2}@example.com"}
        ),
        "change_password": lambda i: alice.post(
            f"{API}/user/password", json={"current_password": alice.password, "new_password": f"n3w-passw0rd-{i}"}
        ),
        "delete_current_user": lambda i: alice.delete(f"{API}/user"),
        "create_consumption": lambda i: alice.post(
            f"{API}/consumptions", json=VALID_RECORD, headers={"Idempotency-Key": f"same-{suffix}"}
        ),
        "update_consumption": lambda i: alice.patch(
            f"{API}/consumptions/{books['record']}", json={"notes": f"edit {i}"}, headers=if_match
        ),
        "delete_consumption": lambda i: alice.delete(f"{API}/consumptions/{books['record']}", headers=if_match),
        "replace_budgets": lambda i: alice.put(
            f"{API}/budgets",
            json={
                "items": [
                    {"kind": "gas", "quantity_limit": i + 1},
                    {"kind": "water", "cost_limit_minor": i, "currency": "EUR"},
                ]
            },
        ),
        "create_meter": lambda i: alice.post(
            f"{API}/meters", json={"kind": "gas", "name": "Same", "identifier": "G-1"}
        ),
        "update_meter": lambda i: alice.patch(meter, json={"name": f"Meter {i}"}, headers=if_match),
        "delete_meter": lambda i: alice.delete(meter, headers=if_match),
        "create_tariff": lambda i: alice.post(
            f"{meter}/tariffs", json={"valid_from": "2025-02-01", "unit_price_minor": 9}
        ),
        "delete_tariff": lambda i: alice.delete(f"{meter}/tariffs/{books['tariff']}"),
        "create_top_up": lambda i: alice.post(f"{line}/top-ups", json={"amount_minor": 10}),
        "simulate_usage": lambda i: alice.post(f"{line}/simulate", json={"data_mb": 10240}),
        "create_reading": lambda i: alice.post(
            f"{meter}/readings", json={"date": "2025-02-01", "index_value": 200 + i}
        ),
        "update_reading": lambda i: alice.patch(
            f"{meter}/readings/{books['reading']}", json={"index_value": 50 + i}, headers=if_match
        ),
        "delete_reading": lambda i: alice.delete(f"{meter}/readings/{books['reading']}", headers=if_match),
        "create_consumptions_batch": lambda i: alice.post(
            f"{API}/consumptions/batch",
            json={"items": [VALID_RECORD, VALID_RECORD]},
            headers={"Idempotency-Key": f"batch-{suffix}"},
        ),
        "create_import": lambda i: alice.post(
            f"{API}/imports", content=CSV_FILE.encode(), headers={"Content-Type": "text/csv"}
        ),
        "commit_import": lambda i: alice.post(f"{API}/imports/{books['import']}/commit"),
        "revert_import": lambda i: alice.post(f"{API}/imports/{books['committed_import']}/revert"),
        "delete_import": lambda i: alice.delete(f"{API}/imports/{books['import']}"),
        "update_tenant": lambda i: alice.patch(f"{API}/tenant", json={"name": f"Tenant {i}"}, headers=if_match),
        "update_member": lambda i: alice.patch(
            f"{API}/tenant/members/{books['member']}", json={"role": "viewer"}, headers=if_match
        ),
        "remove_member": lambda i: alice.delete(f"{API}/tenant/members/{books['member']}", headers=if_match),
        "transfer_ownership": lambda i: alice.post(
            f"{API}/tenant/transfer-ownership", json={"member_id": books["member"]}
        ),
        "create_invitation": lambda i: alice.post(
            f"{API}/tenant/invitations", json={"email": f"same{suffix}@example.com", "role": "viewer"}
        ),
        "revoke_invitation": lambda i: alice.delete(f"{API}/tenant/invitations/{books['invitation']}"),
        "preview_invitation": lambda i: alice.client.post(
            f"{API}/auth/invitation-preview", json={"token": books["token"]}
        ),
        "accept_invitation": lambda i: alice.client.post(
            f"{API}/auth/accept-invitation",
            json={"token": books["token"], "username": f"joiner{i}", "password": "s3cret-passw0rd"},
        ),
        "create_api_token": lambda i: alice.post(
            f"{API}/user/tokens", json={"name": f"t{i}", "scopes": ["read"], "expires_at": None}
        ),
        "revoke_api_token": lambda i: alice.delete(f"{API}/user/tokens/{books['api_token']}"),
        "create_webhook": lambda i: alice.post(
            f"{API}/webhooks", json={"url": f"https://hooks.example.invalid/{i}", "event_types": ["meter.created"]}
        ),
        "update_webhook": lambda i: alice.patch(hook, json={"description": f"d{i}"}, headers=if_match),
        "delete_webhook": lambda i: alice.delete(hook, headers=if_match),
        "rotate_webhook_secret": lambda i: alice.post(f"{hook}/rotate-secret"),
        "send_webhook_test": lambda i: alice.post(f"{hook}/test"),
        "redeliver_webhook": lambda i: alice.post(f"{hook}/deliveries/{books['delivery']}/redeliver"),
    }


def test_every_write_operation_has_a_parallel_scenario(app, alice, books):
    assert set(_scenarios(app, alice, books)) == set(WRITE_OPERATIONS)


MEMBER_OPERATIONS = {"update_member", "remove_member", "transfer_ownership"}


def _with_a_member(alice, books) -> None:
    """A second member in alice's tenant (not for every operation: alice could no longer delete her account)."""
    accepted = alice.client.post(
        f"{API}/auth/accept-invitation",
        json={"token": books["mate_token"], "username": "mate", "password": "s3cret-passw0rd"},
    )
    assert accepted.status_code == 201, accepted.text
    books["member"] = accepted.json()["user"]["id"]


@pytest.mark.parametrize("operation", WRITE_OPERATIONS)
def test_a_write_sent_20_times_at_once_never_fails_with_a_server_error(app, alice, books, operation):
    if operation in MEMBER_OPERATIONS:
        _with_a_member(alice, books)
    responses = _at_once(_scenarios(app, alice, books)[operation])

    assert all(r.status_code < 500 for r in responses)
    assert any(r.status_code < 300 for r in responses), _statuses(responses)


def test_parallel_budget_replacements_leave_exactly_one_of_them(alice):
    responses = _at_once(
        lambda i: alice.put(
            f"{API}/budgets",
            json={
                "items": [
                    {"kind": "gas", "quantity_limit": i + 1},
                    {"kind": "water", "cost_limit_minor": i, "currency": "EUR"},
                ]
            },
        )
    )

    assert _statuses(responses) == {200: PARALLEL}
    final = {b["kind"]: b for b in alice.get(f"{API}/budgets").json()["items"]}
    assert set(final) == {"gas", "water"}
    assert final["gas"]["quantity_limit"] - 1 == final["water"]["cost_limit_minor"]  # both items of one request


def test_parallel_commits_of_one_import_record_its_rows_once(alice):
    job = alice.post(f"{API}/imports", content=CSV_FILE.encode(), headers={"Content-Type": "text/csv"}).json()

    responses = _at_once(lambda i: alice.post(f"{API}/imports/{job['id']}/commit"))

    assert _statuses(responses) == {202: 1, 409: PARALLEL - 1}
    assert len(alice.get(f"{API}/consumptions").json()["items"]) == 2


def test_parallel_top_ups_all_count(alice):
    line = create_meter(alice, **VALID_LINE)

    responses = _at_once(lambda i: alice.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": 10}))

    assert _statuses(responses) == {201: PARALLEL}
    assert alice.get(f"{API}/meters/{line['id']}").json()["balance_minor"] == 10 * PARALLEL


def test_parallel_creates_with_one_idempotency_key_make_one_record(alice):
    responses = _at_once(
        lambda i: alice.post(f"{API}/consumptions", json=VALID_RECORD, headers={"Idempotency-Key": "one"})
    )

    assert _statuses(responses) == {201: PARALLEL}
    assert len({r.json()["id"] for r in responses}) == 1


def test_parallel_registrations_of_one_name_make_one_account(app):
    client = register_and_login(app, "first").client

    responses = _at_once(
        lambda i: client.post(
            f"{API}/auth/register",
            json={"username": "twin", "email": "twin@example.com", "password": "s3cret-passw0rd"},
        )
    )

    assert _statuses(responses) == {201: 1, 409: PARALLEL - 1}
