"""Function-level authorization, as one matrix: every operation of the contract × every kind
of caller (owner, admin, member, viewer of the tenant, a user of another tenant, no token).

The operations come from the spec, so a new operation without a row in EXPECTED fails
`test_every_operation_of_the_contract_has_a_row`, naming it. Each cell is the status the caller
gets for a valid request on the owner's objects (made afresh for each caller). To add an
operation: add its row (and, if it takes a body, its BODIES entry; if it names a new kind of
object in its path, a line in `_objects`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from consumo.config import SPEC_PATH
from tests.conftest import (
    API,
    VALID_LINE,
    VALID_METER,
    VALID_RECORD,
    Account,
    create_meter,
    create_record,
    register_and_login,
)
from tests.test_team import invite, join

CALLERS = ("owner", "admin", "member", "viewer", "other_tenant", "anonymous")
OK = {"get": 200, "put": 200, "patch": 200, "post": 201, "delete": 204}

# fmt: off
#                               owner  admin  member viewer other  anonymous
EXPECTED: dict[str, tuple[int, int, int, int, int, int]] = {
    "get_health":               (200,   200,   200,   200,   200,   200),
    "get_ready":                (200,   200,   200,   200,   200,   200),
    "get_metrics":              (404,   404,   404,   404,   404,   401),   # METRICS_TOKEN unset
    "register":                 (201,   201,   201,   201,   201,   201),
    "login":                    (200,   200,   200,   200,   200,   200),
    "refresh_session":          (200,   200,   200,   200,   200,   401),   # by the refresh cookie
    "logout":                   (204,   204,   204,   204,   204,   204),
    "get_current_user":         (200,   200,   200,   200,   200,   401),
    "update_current_user":      (200,   200,   200,   200,   200,   401),
    "delete_current_user":      (409,   204,   204,   204,   204,   401),   # the last owner: transfer first
    "change_password":          (204,   204,   204,   204,   204,   401),
    "list_consumptions":        (200,   200,   200,   200,   200,   401),
    "create_consumption":       (201,   201,   201,   403,   201,   401),
    "get_consumption":          (200,   200,   404,   200,   404,   401),
    "update_consumption":       (200,   403,   404,   403,   404,   401),
    "delete_consumption":       (204,   403,   404,   403,   404,   401),
    "get_kpi_summary":          (200,   200,   200,   200,   200,   401),
    "get_kpi_timeseries":       (200,   200,   200,   200,   200,   401),
    "get_kpi_breakdown":        (200,   200,   200,   200,   200,   401),
    "get_budgets":              (200,   200,   200,   200,   200,   401),
    "replace_budgets":          (200,   200,   200,   403,   200,   401),
    "list_meters":              (200,   200,   200,   200,   200,   401),
    "create_meter":             (201,   201,   201,   403,   201,   401),
    "get_meter":                (200,   200,   404,   200,   404,   401),
    "update_meter":             (200,   403,   404,   403,   404,   401),
    "delete_meter":             (204,   403,   404,   403,   404,   401),
    "list_tariffs":             (200,   200,   404,   200,   404,   401),
    "create_tariff":            (201,   403,   404,   403,   404,   401),
    "delete_tariff":            (204,   403,   404,   403,   404,   401),
    "get_meter_status":         (200,   200,   404,   200,   404,   401),
    "list_top_ups":             (200,   200,   404,   200,   404,   401),
    "create_top_up":            (201,   403,   404,   403,   404,   401),
    "simulate_usage":           (201,   403,   404,   403,   404,   401),
    "list_readings":            (200,   200,   404,   200,   404,   401),
    "create_reading":           (201,   403,   404,   403,   404,   401),
    "update_reading":           (200,   403,   404,   403,   404,   401),
    "delete_reading":           (204,   403,   404,   403,   404,   401),
    "get_tenant":               (200,   200,   200,   200,   200,   401),   # each caller's own tenant
    "update_tenant":            (200,   200,   403,   403,   200,   401),   # each caller's own tenant
    "list_members":             (200,   200,   403,   200,   200,   401),
    "get_member":               (200,   200,   404,   200,   404,   401),
    "update_member":            (200,   200,   403,   403,   404,   401),   # the target is a viewer
    "remove_member":            (204,   204,   403,   403,   404,   401),
    "transfer_ownership":       (200,   403,   403,   403,   404,   401),   # the target is not in their tenant
    "list_invitations":         (200,   200,   403,   403,   200,   401),
    "create_invitation":        (201,   201,   403,   403,   201,   401),
    "get_invitation":           (200,   200,   403,   403,   404,   401),
    "revoke_invitation":        (204,   204,   403,   403,   404,   401),
    "preview_invitation":       (200,   200,   200,   200,   200,   200),   # the token is the credential
    "accept_invitation":        (201,   201,   201,   201,   201,   201),
    "list_audit_events":        (200,   200,   403,   403,   200,   401),   # each caller's own tenant
    "get_tariff":               (200,   200,   404,   200,   404,   401),
    "get_reading":              (200,   200,   404,   200,   404,   401),
    "get_top_up":               (200,   200,   404,   200,   404,   401),
    "create_consumptions_batch": (201,  201,   201,   403,   201,   401),
    "export_consumptions":      (200,   200,   200,   200,   200,   401),   # each caller's own records
    "summarize_consumptions":   (200,   200,   200,   200,   200,   401),   # each caller's own records
    "list_imports":             (200,   200,   200,   200,   200,   401),   # each caller's own imports
    "create_import":            (201,   201,   201,   403,   201,   401),
    "get_import":               (200,   404,   404,   404,   404,   401),   # an import is its owner's alone
    "list_import_errors":       (200,   404,   404,   404,   404,   401),
    "list_import_rows":         (200,   404,   404,   404,   404,   401),
    "commit_import":            (202,   404,   404,   403,   404,   401),
    "revert_import":            (202,   404,   404,   403,   404,   401),   # a committed import
    "delete_import":            (204,   404,   404,   404,   404,   401),
    "list_api_tokens":          (200,   200,   200,   200,   200,   401),   # each caller's own tokens
    "create_api_token":         (201,   201,   201,   201,   201,   401),
    "get_api_token":            (200,   404,   404,   404,   404,   401),   # a token is its user's alone
    "revoke_api_token":         (204,   404,   404,   404,   404,   401),
    "list_alerts":              (200,   200,   200,   200,   200,   401),   # each caller's own alerts
    "list_webhooks":            (200,   200,   403,   403,   200,   401),   # each caller's own tenant
    "create_webhook":           (201,   201,   403,   403,   201,   401),
    "get_webhook":              (200,   200,   404,   404,   404,   401),
    "update_webhook":           (200,   200,   404,   404,   404,   401),
    "delete_webhook":           (204,   204,   404,   404,   404,   401),
    "rotate_webhook_secret":    (200,   200,   404,   404,   404,   401),
    "send_webhook_test":        (201,   201,   404,   404,   404,   401),
    "list_webhook_deliveries":  (200,   200,   404,   404,   404,   401),
    "get_webhook_delivery":     (200,   200,   404,   404,   404,   401),
    "redeliver_webhook":        (201,   201,   404,   404,   404,   401),
}
# fmt: on


def _spec_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    spec = yaml.safe_load(SPEC_PATH.read_text())
    found: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in spec["paths"].items():
        for method in ("get", "put", "post", "patch", "delete"):
            if method in item:
                found[item[method]["operationId"]] = (method, path, item[method])
    return found


OPERATIONS = _spec_operations()


def test_every_operation_of_the_contract_has_a_row() -> None:
    missing = sorted(set(OPERATIONS) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(OPERATIONS))
    assert not missing, f"operations without a row in the authorization matrix (EXPECTED): {missing}"
    assert not stale, f"rows of EXPECTED naming no operation of the contract: {stale}"


# --- the requests ----------------------------------------------------------------------------


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


BODIES: dict[str, Callable[[Account | None, dict[str, str]], dict[str, Any]]] = {
    "register": lambda _c, _o: {
        "username": (n := _unique("reg")),
        "email": f"{n}@example.com",
        "password": "s3cret-passw0rd",
    },
    "login": lambda _c, _o: {"username": "alice", "password": "s3cret-passw0rd"},
    "update_current_user": lambda c, _o: {"username": (n := _unique("ren")), "email": f"{n}@example.com"},
    "change_password": lambda c, _o: {
        "current_password": c.password if c else "s3cret-passw0rd",
        "new_password": "another long secret",
    },
    "create_consumption": lambda _c, _o: VALID_RECORD,
    "create_api_token": lambda _c, _o: {
        "name": _unique("tok"),
        "scopes": ["read"],
        "expires_at": "2027-01-01T00:00:00Z",
    },
    "create_webhook": lambda _c, _o: {"url": "https://hooks.example.invalid/y", "event_types": ["meter.created"]},
    "update_webhook": lambda _c, _o: {"description": "Renamed"},
    "create_consumptions_batch": lambda _c, _o: {"items": [VALID_RECORD, VALID_RECORD]},
    "update_consumption": lambda _c, _o: {"notes": "corrected"},
    "replace_budgets": lambda _c, _o: {"items": [{"kind": "gas", "cost_limit_minor": 100, "currency": "EUR"}]},
    "create_meter": lambda _c, _o: {**VALID_METER, "identifier": _unique("ES-")},
    "update_meter": lambda _c, _o: {"name": "Renamed"},
    "create_tariff": lambda _c, _o: {"valid_from": "2025-02-01", "unit_price_minor": 15},
    "create_top_up": lambda _c, _o: {"amount_minor": 500},
    "simulate_usage": lambda _c, _o: {"data_mb": 10},
    "create_reading": lambda _c, _o: {"date": "2025-02-01", "index_value": 200},
    "update_reading": lambda _c, _o: {"index_value": 101},
    "update_tenant": lambda _c, _o: {"name": "Renamed"},
    "update_member": lambda _c, _o: {"role": "member"},
    "transfer_ownership": lambda _c, o: {"member_id": o["member_id"]},
    "create_invitation": lambda _c, _o: {"email": f"{_unique('inv')}@example.com", "role": "member"},
    "preview_invitation": lambda _c, o: {"token": o["invitation_token"]},
    "accept_invitation": lambda _c, o: {
        "token": o["invitation_token"],
        "username": _unique("acc"),
        "password": "s3cret-passw0rd",
    },
}
QUERIES = {
    "get_kpi_summary": "from=2025-01-01&to=2025-12-31",
    "get_kpi_timeseries": "interval=month&from=2025-01-01&to=2025-12-31",
    "get_kpi_breakdown": "from=2025-01-01&to=2025-12-31",
}
LINE_OPERATIONS = {"get_meter_status", "list_top_ups", "create_top_up", "simulate_usage", "get_top_up"}
CSV_BODIES = {"create_import"}
CSV_FILE = b"kind,quantity,period_start,period_end\nwater,1,2025-01-01,2025-01-01\n"


def _objects(app: Any, owner: Account) -> dict[str, str]:
    """The owner's objects, one of each kind a path names, made afresh for each caller."""
    meter = create_meter(owner, identifier=_unique("ES-"))
    line = create_meter(owner, **{**VALID_LINE, "identifier": f"+569{uuid.uuid4().int % 10**8:08d}"})
    record = create_record(owner)
    tariff = owner.post(
        f"{API}/meters/{meter['id']}/tariffs", json={"valid_from": "2025-01-01", "unit_price_minor": 15}
    )
    reading = owner.post(f"{API}/meters/{meter['id']}/readings", json={"date": "2025-01-01", "index_value": 100})
    top_up = owner.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": 100})
    api_token = owner.post(f"{API}/user/tokens", json={"name": "script", "scopes": ["read"], "expires_at": None})
    webhook = owner.post(
        f"{API}/webhooks", json={"url": "https://hooks.example.invalid/x", "event_types": ["meter.created"]}
    ).json()
    delivery = owner.post(f"{API}/webhooks/{webhook['id']}/test").json()
    imports = [
        owner.post(f"{API}/imports", content=CSV_FILE, headers={"Content-Type": "text/csv"}).json()["id"]
        for _ in range(2)
    ]
    assert owner.post(f"{API}/imports/{imports[1]}/commit").status_code == 202
    target = join(app, owner, _unique("tina"), "viewer")  # the member that member operations act on
    invitation = invite(owner, f"{_unique('guest')}@example.com", "member")
    return {
        "meter_id": meter["id"],
        "line_id": line["id"],
        "consumption_id": record["id"],
        "tariff_id": tariff.json()["id"],
        "reading_id": reading.json()["id"],
        "top_up_id": top_up.json()["id"],
        "import_id": imports[0],
        "token_id": api_token.json()["id"],
        "webhook_id": webhook["id"],
        "delivery_id": delivery["id"],
        "committed_import_id": imports[1],
        "member_id": target.user_id,
        "invitation_id": invitation["id"],
        "invitation_token": invitation["token"],
    }


def _send(app: Any, caller: Account | None, operation_id: str, objects: dict[str, str]) -> int:
    method, path, _ = OPERATIONS[operation_id]
    values = {**objects}
    if operation_id in LINE_OPERATIONS:
        values["meter_id"] = objects["line_id"]
    if operation_id == "revert_import":
        values["import_id"] = objects["committed_import_id"]
    url = API + path
    for name, value in values.items():
        url = url.replace("{" + name + "}", value)
    if operation_id in QUERIES:
        url += "?" + QUERIES[operation_id]
    body = BODIES[operation_id](caller, objects) if operation_id in BODIES else None
    headers = {"If-Match": "*"}
    client = caller.client if caller else app.test_client()
    if caller:
        headers.update(caller.headers)
    if operation_id in CSV_BODIES:
        headers["Content-Type"] = "text/csv"
        response = client.request(method.upper(), url, content=CSV_FILE, headers=headers)
    else:
        response = client.request(method.upper(), url, json=body, headers=headers)
    assert response.status_code < 500, response.text
    return int(response.status_code)


@pytest.fixture
def callers(app: Any, alice: Account) -> dict[str, Account | None]:
    return {
        "owner": alice,
        "admin": join(app, alice, "adam", "admin"),
        "member": join(app, alice, "mia", "member"),
        "viewer": join(app, alice, "vic", "viewer"),
        "other_tenant": register_and_login(app, "eve"),
        "anonymous": None,
    }


@pytest.mark.parametrize("operation_id", sorted(EXPECTED))
def test_each_caller_gets_what_the_matrix_says(app: Any, callers: dict[str, Account | None], operation_id: str) -> None:
    owner = callers["owner"]
    assert owner is not None
    got = []
    # The owner last: a success of theirs (a transfer, a logout) must not change the others' ground.
    for name in ("anonymous", "other_tenant", "viewer", "member", "admin", "owner"):
        got.append((name, _send(app, callers[name], operation_id, _objects(app, owner))))
    actual = tuple(dict(got)[name] for name in CALLERS)
    assert actual == EXPECTED[operation_id], f"{operation_id}: {dict(zip(CALLERS, actual, strict=True))}"
