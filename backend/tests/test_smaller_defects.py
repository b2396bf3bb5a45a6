"""Round two's smaller defects, each with the class it belongs to: every problem has the
API's own type, a 405 names the methods the contract gives its path, Swagger UI is under a
Content-Security-Policy and never cached, currencies are ISO 4217, every list's cursor
is a 422 when it is not one the list issued, and names must contain something visible."""

from __future__ import annotations

import base64
import logging
import re
import uuid
from typing import Any

import orjson
import pytest

from conftest import API, VALID_LINE, VALID_METER, VALID_RECORD, assert_problem, contract_operations, create_meter

OUR_TYPE = re.compile(r"^urn:consumo:problem:[a-z-]+$")


def _path_with_ids(path: str) -> str:
    return API + re.sub(r"\{\w+\}", str(uuid.uuid4()), path)


# --- problem types and Allow --------------------------------------------------------------------


def _contract_methods() -> dict[str, set[str]]:
    methods: dict[str, set[str]] = {}
    for method, path, _ in contract_operations():
        methods.setdefault(path, set()).add(method)
    return methods


@pytest.mark.parametrize("path", sorted(_contract_methods()))
def test_a_405_allows_exactly_the_methods_the_contract_gives_its_path(alice, path):
    contract = _contract_methods()[path]
    wrong = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in contract)

    response = alice.client.request(wrong, _path_with_ids(path), headers=alice.headers)

    body = assert_problem(response, 405)
    assert OUR_TYPE.match(body["type"]), body
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == contract | ({"HEAD"} if "GET" in contract else set())


def test_a_missing_body_refused_by_connexion_has_our_problem_type(alice):
    response = alice.post(f"{API}/consumptions", content=b"", headers={"Content-Type": "application/json"})

    body = assert_problem(response, 400)
    assert body["type"] == "urn:consumo:problem:validation"


def test_an_unexpected_error_is_a_500_of_our_type_without_a_trace(client, monkeypatch):
    from consumo.system import handlers

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(handlers, "respond", broken)

    response = client.get(f"{API}/health")

    body = assert_problem(response, 500)
    assert body["type"] == "urn:consumo:problem:internal"
    assert "secret" not in response.text and "Traceback" not in response.text


# --- Swagger UI headers -------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"{API}/docs/", f"{API}/docs/swagger-ui.css", f"{API}/docs/index.css"])
def test_swagger_ui_has_a_content_security_policy_and_is_not_cached(client, path):
    response = client.get(path)

    assert response.status_code in (200, 404), response.status_code
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"


# --- currencies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["ZZZ", "XTS", "XAU", "XXX", "ABC"])
def test_a_currency_that_is_not_iso_4217_money_is_a_400_everywhere(alice, currency):
    record = alice.post(f"{API}/consumptions", json={**VALID_RECORD, "currency": currency})
    meter = alice.post(f"{API}/meters", json={**VALID_METER, "currency": currency})
    budget = alice.put(f"{API}/budgets", json={"items": [{"kind": "gas", "cost_limit_minor": 5, "currency": currency}]})

    assert_problem(record, 400, "currency")
    assert_problem(meter, 400, "currency")
    assert_problem(budget, 400, "items[0].currency")


@pytest.mark.parametrize("currency", ["EUR", "USD", "CLP", "JPY", "XOF"])
def test_real_currencies_are_accepted(alice, currency):
    assert alice.post(f"{API}/consumptions", json={**VALID_RECORD, "currency": currency}).status_code == 201


# --- cursors -----------------------------------------------------------------------------------------

LIST_OPERATIONS = [
    (path, op["operationId"])
    for method, path, op in contract_operations()
    if method == "GET" and any(p.get("$ref", "").endswith("/Cursor") for p in op.get("parameters", []))
]


def _cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


HOSTILE_CURSORS = [
    {"n": "a\x00b", "id": str(uuid.uuid4())},
    {"s": "-period_start", "v": "2025-01-01\x00", "id": str(uuid.uuid4())},
    {"d": "2025-01-01\x00"},
    {"c": "2025-01-01T00:00:00\x00", "id": str(uuid.uuid4())},
    {"n": "x", "id": str(uuid.uuid4()), "d": "\x00"},
]


def _list_url(alice, path: str, operation_id: str) -> str:
    """The list's URL, with a parent of alice's (a meter, a line, an import, a webhook) where it has one."""
    meter = create_meter(alice, **(VALID_LINE if operation_id == "list_top_ups" else {}))
    url = API + path.replace("{meter_id}", meter["id"])
    if "{import_id}" in path:
        upload = alice.post(
            f"{API}/imports",
            content=b"kind,quantity,period_start,period_end\nwater,1,2025-01-01,2025-01-01\n",
            headers={"Content-Type": "text/csv"},
        )
        url = url.replace("{import_id}", upload.json()["id"])
    if "{webhook_id}" in path:
        webhook = alice.post(
            f"{API}/webhooks", json={"url": "https://hooks.example.invalid/x", "event_types": ["meter.created"]}
        )
        url = url.replace("{webhook_id}", webhook.json()["id"])
    return url


@pytest.mark.parametrize(("path", "operation_id"), LIST_OPERATIONS, ids=[o for _, o in LIST_OPERATIONS])
def test_a_hand_made_cursor_with_a_nul_is_a_422_on_every_list_and_logs_no_error(alice, caplog, path, operation_id):
    url = _list_url(alice, path, operation_id)
    for payload in HOSTILE_CURSORS:
        with caplog.at_level(logging.WARNING):
            response = alice.get(url, params={"cursor": _cursor(payload)})

        assert_problem(response, 422, "cursor")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


# Well-formed positions of every keyset shape, as another list (or the same list under another
# parent) would issue them, without that list's tag: no list may read one as a position of its own.
FOREIGN_POSITIONS = [
    {"n": "1"},
    {"n": "Home", "id": str(uuid.uuid4())},
    {"c": "2025-01-01T00:00:00+00:00", "id": str(uuid.uuid4())},
    {"d": "2025-01-01"},
    {"n": "1", "l": "0123456789abcdef"},
]


@pytest.mark.parametrize(("path", "operation_id"), LIST_OPERATIONS, ids=[o for _, o in LIST_OPERATIONS])
def test_every_list_refuses_a_position_it_did_not_issue(alice, path, operation_id):
    url = _list_url(alice, path, operation_id)
    for payload in FOREIGN_POSITIONS:
        assert_problem(alice.get(url, params={"cursor": _cursor(payload)}), 422, "cursor")


def test_a_cursor_of_one_imports_errors_is_refused_by_another_import_and_by_its_rows(alice):
    body = "kind,quantity,period_start,period_end\n" + "water,-1,2025-01-01,2025-01-01\n" * 3
    first, second = (
        alice.post(f"{API}/imports", content=body.encode(), headers={"Content-Type": "text/csv"}).json()
        for _ in range(2)
    )
    page = alice.get(f"{API}/imports/{first['id']}/errors", params={"limit": 1}).json()
    cursor = page["next_cursor"]
    assert cursor is not None
    assert alice.get(f"{API}/imports/{first['id']}/errors", params={"cursor": cursor}).status_code == 200
    for url in (f"{API}/imports/{second['id']}/errors", f"{API}/imports/{first['id']}/rows"):
        assert_problem(alice.get(url, params={"cursor": cursor}), 422, "cursor")


def test_every_list_with_a_cursor_is_covered():
    assert {"list_consumptions", "list_meters", "list_tariffs", "list_top_ups", "list_readings"} <= {
        o for _, o in LIST_OPERATIONS
    }


# --- names that must say something ---------------------------------------------------------------

BLANK = ["\u200b\u200b", "\u3000", "\u3000\u200b \u00a0", "\ufeff", "\u2060\u200d", "\u00a0\u2003"]


@pytest.mark.parametrize("name", BLANK)
def test_a_meter_name_of_only_invisible_characters_is_a_422(alice, name):
    created = alice.post(f"{API}/meters", json={**VALID_METER, "name": name})
    meter = create_meter(alice, identifier=f"M-{uuid.uuid4().hex[:6]}")
    patched = alice.patch(f"{API}/meters/{meter['id']}", json={"name": name}, headers={"If-Match": '"1"'})

    assert_problem(created, 422, "name")
    assert_problem(patched, 422, "name")


@pytest.mark.parametrize("name", BLANK)
def test_an_organisation_name_of_only_invisible_characters_is_a_422(client, name):
    response = client.post(
        f"{API}/auth/register",
        json={"username": "zed", "email": "zed@example.com", "password": "s3cret-passw0rd", "organization_name": name},
    )

    assert_problem(response, 422, "organization_name")


def test_invisible_characters_around_a_name_are_not_stored(alice):
    meter = create_meter(alice, name="\u3000\u200bKitchen meter\u00a0\u200b")

    assert meter["name"] == "Kitchen meter"
    assert alice.get(f"{API}/meters/{meter['id']}").json()["name"] == "Kitchen meter"


@pytest.mark.parametrize("path", [f"{API}/consumptions/docs", f"{API}/nothing/docs/x", "/docs"])
def test_other_paths_with_docs_in_them_keep_the_apis_strict_headers(client, path):
    response = client.get(path)

    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response.headers["Cache-Control"] == "no-store"
