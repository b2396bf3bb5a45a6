"""Attacks named by the OWASP API Security Top 10 (2023) item they cover, for what the other
files do not already prove:

- API1 BOLA: here, generated from the spec for every operation with a path parameter
  (the hand-written cases per verb and role are in test_isolation.py).
- API2 broken authentication: JWT attacks and brute-force limits are in test_auth_attacks.py;
  here, that a lockout ends by itself.
- API3 object property level authorization: mass assignment is in test_bad_input.py; here,
  that no response schema can carry a secret.
- API4 unrestricted resource consumption: body size 413 and JSON limits are in
  test_bad_input.py; here, page caps, bounded query values and the statement timeout.
- API7 SSRF, API8 security misconfiguration, API9 inventory: here.
- API10 unsafe consumption (JSON depth, huge numbers, duplicate keys, NUL, bad UTF-8) is in
  test_bad_input.py.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import limits.storage.memory
import pytest
import yaml
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from consumo.config import SPEC_PATH, get_settings
from conftest import (
    API,
    VALID_LINE,
    VALID_METER,
    VALID_RECORD,
    Account,
    add_member,
    assert_problem,
    create_record,
    register_and_login,
)

SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
METHODS = ("get", "put", "post", "delete", "patch")
CONSUMPTIONS = f"{API}/consumptions"

# A valid request body per request schema, for the generated attacks. A new resource whose
# create operation uses a schema missing here fails test_api1_every_object_operation_is_covered.
VALID_BODIES: dict[str, Any] = {
    "CsvFile": "kind,quantity,period_start,period_end\nwater,1.5,2025-01-01,2025-01-31\n",
    "ConsumptionCreate": VALID_RECORD,
    "ConsumptionUpdate": {"quantity": 99.5, "notes": "corrected"},
    "MeterCreate": VALID_METER,
    "MeterUpdate": {"name": "Renamed"},
    "TariffCreate": {"valid_from": "2025-01-01", "unit_price_minor": 15.5, "fixed_daily_minor": 20},
    "TopUpCreate": {"amount_minor": 500},
    "SimulationRequest": {"data_mb": 10},
    "ReadingCreate": {"date": "2025-01-01", "index_value": 1000},
    "ReadingUpdate": {"index_value": 1001},
    "InvitationCreate": {"email": "invited@example.com", "role": "member"},
    "ApiTokenCreate": {"name": "script", "scopes": ["read"], "expires_at": None},
    "WebhookEndpointCreate": {"url": "https://hooks.example.com/consumo", "event_types": ["meter.created"]},
    "WebhookEndpointUpdate": {"description": "Renamed"},
}
# Operations that only exist on a mobile line: their meter is created as one.
CREATE_BODY_FOR = {
    "get_meter_status": VALID_LINE,
    "list_top_ups": VALID_LINE,
    "create_top_up": VALID_LINE,
    "simulate_usage": VALID_LINE,
}

# Operations whose object must first go through another one: an import is reverted once committed.
PREPARED_BY = {"revert_import": "commit_import"}


# --- helpers -----------------------------------------------------------------------------------


def resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def parameters_of(path: str, operation: dict[str, Any]) -> list[dict[str, Any]]:
    shared = SPEC["paths"][path].get("parameters", [])
    return [resolve(p) for p in [*shared, *operation.get("parameters", [])]]


def operation_by_id(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    for path, method, operation in operations():
        if operation["operationId"] == operation_id:
            return path, method, operation
    raise LookupError(operation_id)


def assert_leaks_nothing(response: Any, *secrets: str) -> None:
    lowered = response.text.lower()
    for leak in ("traceback", 'file "', "sqlalchemy", "psycopg", "site-packages", "select ", *secrets):
        assert leak.lower() not in lowered, response.text


# --- API1:2023 Broken Object Level Authorization, generated from the spec ------------------------


# The team's objects (members, invitations) belong to the tenant, not to a user, and are
# reached by role: tests/test_authorization_matrix.py proves every role and another tenant
# on each of their operations (another tenant: 404).
TENANT_ADMINISTRATION_TAGS = {"team"}


def _object_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, method, op in operations()
        if any(p["in"] == "path" for p in parameters_of(path, op))
        and not TENANT_ADMINISTRATION_TAGS & set(op.get("tags", []))
    ]


def _creator_of(operation_id: str) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """The create operation whose 201 links lead to `operation_id`: (path, operation, link)."""
    for path, method, operation in operations():
        links = operation.get("responses", {}).get("201", {}).get("links", {})
        for link in links.values():
            if method == "post" and link.get("operationId") == operation_id:
                return path, operation, link
    return None


def _request_schema_name(operation: dict[str, Any]) -> str | None:
    body = operation.get("requestBody")
    if not body:
        return None
    content = resolve(body)["content"]
    if "text/csv" in content:
        return "CsvFile"
    schema = content["application/json"]["schema"]
    return str(schema["$ref"].rsplit("/", 1)[1]) if "$ref" in schema else None


def _body_of(body: Any) -> dict[str, Any]:
    """Request arguments sending `body`: a CSV file as itself, anything else as JSON."""
    if isinstance(body, str):
        return {"content": body.encode(), "headers": {"Content-Type": "text/csv"}}
    return {"json": body}


def _link_value(expression: str, created: Any, request_path: dict[str, str]) -> str:
    if expression == "$response.body#/id":
        return str(created.json()["id"])
    if expression.startswith("$response.header."):
        return str(created.headers[expression.removeprefix("$response.header.")])
    if expression.startswith("$request.path."):
        return request_path[expression.removeprefix("$request.path.")]
    raise AssertionError(f"teach this test the link expression {expression!r}")


def _fill(path: str, values: dict[str, str]) -> str:
    return API + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


class ObjectRequest:
    """One request on one object made by its owner, built from the spec and its links.
    A create operation nested under another object (`POST /meters/{meter_id}/readings`)
    first gets its parent the same way, following the parent's links."""

    def __init__(
        self,
        owner: Account,
        path: str,
        method: str,
        operation: dict[str, Any],
        create_body: dict[str, Any] | None = None,
    ) -> None:
        operation_id = operation["operationId"]
        creator = _creator_of(operation_id)
        assert creator, f"{operation_id}: no create operation links to it"
        create_path, create_op, link = creator
        schema_name = _request_schema_name(create_op)
        assert schema_name is None or schema_name in VALID_BODIES, f"add a valid {schema_name} to VALID_BODIES"
        create_body = create_body or CREATE_BODY_FOR.get(operation_id)
        default_body = VALID_BODIES[schema_name] if schema_name else None  # a create may take no body
        self.create_body = create_body if create_body and "{" not in create_path else default_body
        parent_values: dict[str, str] = {}
        self.parent: ObjectRequest | None = None
        if "{" in create_path:
            self.parent = ObjectRequest(owner, create_path, "post", create_op, create_body)
            parent_values = self.parent.values
        created = owner.post(_fill(create_path, parent_values), **_body_of(self.create_body))
        assert created.status_code == 201, created.text
        self.created = created.json()
        if operation_id in PREPARED_BY:  # an operation that needs its object in a later state
            prepared = owner.post(
                _fill(
                    operation_by_id(PREPARED_BY[operation_id])[0],
                    {
                        **parent_values,
                        **{
                            name: _link_value(expr, created, parent_values) for name, expr in link["parameters"].items()
                        },
                    },
                )
            )
            assert prepared.status_code < 300, prepared.text
        self.values = {
            **parent_values,
            **{name: _link_value(expr, created, parent_values) for name, expr in link["parameters"].items()},
        }
        self.method = method.upper()
        self.url = _fill(path, self.values)
        self.headers = {
            p["name"]: self.values[p["name"]]
            for p in parameters_of(path, operation)
            if p["in"] == "header" and p["name"] in self.values
        }
        body_schema = _request_schema_name(operation)
        self.body = VALID_BODIES[body_schema] if body_schema else None
        get_id = next(
            (
                lk["operationId"]
                for lk in create_op["responses"]["201"].get("links", {}).values()
                if lk["operationId"].startswith("get_")
            ),
            None,
        )
        if get_id:
            self.read_url = _fill(operation_by_id(get_id)[0], self.values)
        else:  # an object read only through its parent (a tariff, a reading)
            assert self.parent is not None, f"{create_op['operationId']} links to no get operation"
            self.read_url = self.parent.read_url

    def send(self, account: Account) -> Any:
        return account.client.request(
            self.method, self.url, json=self.body, headers={**account.headers, **self.headers}
        )


OBJECT_OPERATIONS = _object_operations()


def test_api1_every_object_operation_is_covered_by_the_generated_bola_test():
    assert OBJECT_OPERATIONS, "the spec has object operations"
    for _path, _method, operation in OBJECT_OPERATIONS:
        creator = _creator_of(operation["operationId"])
        assert creator, f"{operation['operationId']}: a create operation must link to it"
        schema_name = _request_schema_name(creator[1])
        assert schema_name is None or schema_name in VALID_BODIES, operation["operationId"]


@pytest.fixture
def same_tenant_member(app: Any, owner_engine: Engine, alice: Account) -> Account:
    return add_member(owner_engine, app, alice, "mallory", "member")


@pytest.mark.parametrize("attacker_kind", ["another_tenant", "same_tenant_member"])
@pytest.mark.parametrize(
    ("path", "method", "operation"), OBJECT_OPERATIONS, ids=[op["operationId"] for _, _, op in OBJECT_OPERATIONS]
)
def test_api1_another_user_gets_404_for_every_object_operation(
    request, app, alice, path, method, operation, attacker_kind
):
    attacker = (
        register_and_login(app, "eve")
        if attacker_kind == "another_tenant"
        else request.getfixturevalue("same_tenant_member")
    )
    target = ObjectRequest(alice, path, method, operation)
    before = alice.get(target.read_url)
    assert before.status_code == 200

    attempt = target.send(attacker)

    body = assert_problem(attempt, 404)
    assert target.created["id"] not in attempt.text
    assert body["title"] == "Not Found"
    # Nothing changed, and the very same request from the owner is valid and succeeds.
    after = alice.get(target.read_url)
    assert after.status_code == 200 and after.json() == before.json()
    # Tariffs and top-ups never change, so their reads carry no ETag; a versioned object's must match.
    assert after.headers.get("ETag") == before.headers.get("ETag")
    assert 200 <= target.send(alice).status_code < 300


@pytest.mark.parametrize(
    ("path", "method", "operation"), OBJECT_OPERATIONS, ids=[op["operationId"] for _, _, op in OBJECT_OPERATIONS]
)
def test_api1_a_foreign_object_answers_exactly_like_a_missing_one(app, alice, path, method, operation):
    eve = register_and_login(app, "eve")
    target = ObjectRequest(alice, path, method, operation)
    missing_url = target.url.replace(target.created["id"], str(uuid.uuid4()))

    foreign = target.send(eve)
    missing = eve.client.request(
        target.method, missing_url, json=target.body, headers={**eve.headers, **target.headers}
    )

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    ignored = {"x-request-id", "date", "content-length"}
    assert {k: v for k, v in foreign.headers.items() if k not in ignored} == {
        k: v for k, v in missing.headers.items() if k not in ignored
    }


# --- API2:2023 Broken Authentication -----------------------------------------------------------


class ShiftedClock:
    """`time.time()` moved forward on demand: a rate-limit window passes without a sleep."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def test_api2_a_locked_username_is_unlocked_when_the_window_passes(app, monkeypatch):
    """An attacker can lock a username for one window at most; then its owner logs in again."""
    register_and_login(app, "carol")
    clock = ShiftedClock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)  # the limiter's storage reads this clock
    monkeypatch.setattr(get_settings(), "login_rate_limit", "2 per 2 second")
    guesses = [
        app.test_client(client=(f"192.0.2.{i}", 40000)).post(
            f"{API}/auth/login", json={"username": "carol", "password": "guess"}
        )
        for i in range(3)
    ]
    assert [g.status_code for g in guesses] == [401, 401, 429]

    clock.advance(2.2)  # the window passes, without waiting for it

    retried = app.test_client(client=("192.0.2.200", 40000)).post(
        f"{API}/auth/login", json={"username": "carol", "password": "s3cret-passw0rd"}
    )
    assert retried.status_code == 200, retried.text


# --- API3:2023 Broken Object Property Level Authorization ---------------------------------------

SECRET_NAMES = re.compile(r"password|hash|secret|token_version|refresh|salt", re.IGNORECASE)


def _properties(schema: Any, where: str, seen: set[int]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    schema = resolve(schema)
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen.add(id(schema))
    for name, prop in schema.get("properties", {}).items():
        yield f"{where}.{name}", name, resolve(prop)
        yield from _properties(prop, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _properties(schema[key], f"{where}[]", seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for index, sub in enumerate(schema.get(key, [])):
            yield from _properties(sub, f"{where}/{index}", seen)


# Secrets made by the server and shown once, in the answer that makes them (stored hashed, or
# needed to sign, and never listed or read back): a webhook endpoint's signing secret.
SHOWN_ONCE = {"post /webhooks 201.secret", "post /webhooks/{webhook_id}/rotate-secret 200.secret"}


def test_api3_no_response_can_carry_a_secret_field():
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            for media in resolve(response).get("content", {}).values():
                for where, name, prop in _properties(media["schema"], f"{method} {path} {status}", set()):
                    if SECRET_NAMES.search(name) and where not in SHOWN_ONCE:
                        assert prop.get("writeOnly") is True, f"{where} could expose a secret"


def test_api3_responses_carry_no_server_internal_fields(alice):
    record = create_record(alice)
    user = alice.get(f"{API}/user").json()
    internal = {"tenant_id", "password_hash", "token_version", "created_by", "updated_by", "is_active"}
    assert not internal & set(record)
    assert not internal & set(user) and not internal & set(user["tenant"])


# --- API4:2023 Unrestricted Resource Consumption -------------------------------------------------


def _insert_records(owner_engine: Engine, account: Account, count: int) -> None:
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": account.tenant_id})
        conn.execute(
            text(
                "INSERT INTO consumption_records (tenant_id, id, owner_id, kind, quantity, period_start,"
                " period_end, currency, created_by, updated_by)"
                " SELECT :t, gen_random_uuid(), :u, 'water', n, DATE '2025-01-01', DATE '2025-01-02',"
                " 'EUR', :u, :u FROM generate_series(1, :n) AS n"
            ),
            {"t": account.tenant_id, "u": account.user_id, "n": count},
        )


def test_api4_a_page_never_holds_more_than_100_items_and_defaults_to_25(alice, owner_engine):
    _insert_records(owner_engine, alice, 130)

    default = alice.get(CONSUMPTIONS).json()
    largest = alice.get(CONSUMPTIONS, params={"limit": 100}).json()

    assert len(default["items"]) == 25 and default["next_cursor"]
    assert len(largest["items"]) == 100 and largest["next_cursor"]
    assert_problem(alice.get(CONSUMPTIONS, params={"limit": 101}), 400)


def test_api4_every_list_in_a_response_is_bounded_by_the_page_limit():
    limit_max = resolve(SPEC["components"]["parameters"]["Limit"])["schema"]["maximum"]
    for path, _method, operation in operations():
        if operation["operationId"].startswith("list_"):
            page = resolve(operation["responses"]["200"])["content"]["application/json"]["schema"]
            assert resolve(page)["properties"]["items"]["maxItems"] <= limit_max, path


def _valid_value(schema: dict[str, Any]) -> Any:
    schema = resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("format") == "date":
        return "2025-01-15"
    if schema.get("type") == "integer":
        return schema.get("minimum", 1)
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "a"


def _over_the_bounds(schema: dict[str, Any]) -> list[Any]:
    """Values just past each bound the schema states."""
    schema = resolve(schema)
    values: list[Any] = []
    if "maximum" in schema:
        values.append(schema["maximum"] + 1)
    if "minimum" in schema:
        values.append(schema["minimum"] - 1)
    if schema.get("format") == "date":
        values += ["1999-12-31", "2101-01-01"]
    elif "maxLength" in schema and "enum" not in schema:
        values.append("a" * (schema["maxLength"] + 1))
    return values


def _bounded_query_cases() -> list[tuple[str, str, Any]]:
    cases = []
    for path, method, operation in operations():
        if method != "get" or "{" in path or operation.get("security") == []:
            continue
        for param in parameters_of(path, operation):
            if param["in"] == "query":
                cases += [
                    (operation["operationId"], param["name"], value) for value in _over_the_bounds(param["schema"])
                ]
    return cases


@pytest.mark.parametrize(("operation_id", "name", "value"), _bounded_query_cases())
def test_api4_every_query_value_past_its_bound_is_a_400_naming_it(alice, operation_id, name, value):
    path, _, operation = operation_by_id(operation_id)
    params = {
        p["name"]: _valid_value(p["schema"])
        for p in parameters_of(path, operation)
        if p["in"] == "query" and p.get("required")
    }
    baseline = alice.get(f"{API}{path}", params=params)
    assert baseline.status_code == 200, baseline.text

    response = alice.get(f"{API}{path}", params={**params, name: value})

    body = assert_problem(response, 400)
    assert name in {error["field"] for error in body.get("errors", [])}, body


def test_api4_every_query_parameter_is_bounded_in_the_spec():
    for path, _method, operation in operations():
        for param in parameters_of(path, operation):
            schema = resolve(param["schema"])
            if schema.get("type") == "string":
                assert "enum" in schema or "maxLength" in schema, (path, param["name"])
            if schema.get("type") in ("integer", "number"):
                assert "maximum" in schema and "minimum" in schema, (path, param["name"])


def test_api4_every_database_connection_carries_the_statement_timeout(app):
    from consumo.db import app_engine

    with app_engine().connect() as conn:
        timeout = conn.execute(text("SELECT current_setting('statement_timeout')")).scalar_one()
    assert (
        timeout == f"{get_settings().db_statement_timeout_ms}ms"
        or timeout == f"{get_settings().db_statement_timeout_ms // 1000}s"
    )


@pytest.fixture
def slow_list_under_a_short_timeout(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app's sessions on an engine built with a 200 ms statement timeout, and a list
    query that would take 10 s."""
    from consumo import db, http
    from consumo.consumptions import service

    monkeypatch.setattr(get_settings(), "db_statement_timeout_ms", 200)
    engine = db.make_engine(db.database_urls().app, get_settings(), pool_size=2)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    monkeypatch.setattr(http, "session_factory", lambda: factory)

    def slow_list(session: Any, _caller: Any, _filters: Any) -> Any:
        session.execute(text("SELECT pg_sleep(10)"))
        raise AssertionError("the statement timeout did not fire")

    monkeypatch.setattr(service, "list_visible_records", slow_list)
    yield
    engine.dispose()


def test_api4_a_query_past_the_statement_timeout_is_a_clean_503_not_a_hang_or_500(
    alice, slow_list_under_a_short_timeout
):
    started = time.monotonic()
    response = alice.get(CONSUMPTIONS)
    elapsed = time.monotonic() - started

    body = assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) >= 1
    assert "too long" in body["detail"]
    assert_leaks_nothing(response, "pg_sleep", "statement timeout", "canceling")
    assert elapsed < 3, elapsed


# --- API7:2023 Server Side Request Forgery -------------------------------------------------------

URL_FORMATS = {
    "uri",
    "url",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "hostname",
    "ipv4",
    "ipv6",
    "idn-hostname",
}
URL_NAMES = re.compile(r"(^|_)(url|uri|href|link|callback|webhook|endpoint|host|domain|redirect)s?($|_)", re.IGNORECASE)


# The URLs the API does fetch, each behind the SSRF guard of consumo/webhooks/delivery.py (no
# private, loopback, link-local or metadata address after resolution at every delivery, the
# connection pinned to the checked address, no redirects, 5 s / 15 s timeouts), proven by
# tests/test_webhooks.py.
GUARDED_URL_FIELDS = {"POST /webhooks.url", "PATCH /webhooks/{webhook_id}.url"}


def test_api7_the_api_accepts_no_url_so_it_can_be_made_to_fetch_nothing():
    """If this fails, a feature now takes a URL: it needs an SSRF guard (https only, an
    allow-list or no private/loopback/link-local addresses after DNS resolution, no
    redirects, a timeout) and tests for each of those, then a place in GUARDED_URL_FIELDS."""
    for path, method, operation in operations():
        where = f"{method.upper()} {path}"
        for param in parameters_of(path, operation):
            schema = resolve(param["schema"])
            assert schema.get("format") not in URL_FORMATS, (where, param["name"])
            if schema.get("format") != "uuid":  # an id (`webhook_id`) is not an address
                assert not URL_NAMES.search(param["name"]), (where, param["name"])
        if operation.get("requestBody"):
            for media in resolve(operation["requestBody"])["content"].values():
                for field, name, prop in _properties(media["schema"], where, set()):
                    if prop.get("readOnly") or field in GUARDED_URL_FIELDS:
                        continue
                    assert prop.get("format") not in URL_FORMATS, field
                    assert not URL_NAMES.search(name), field


# --- API8:2023 Security Misconfiguration ---------------------------------------------------------

BASE_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
API_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def _sample_responses(app: Any, alice: Account) -> dict[str, Any]:
    anonymous = app.test_client()
    record = create_record(alice)
    return {
        "200 health": anonymous.get(f"{API}/health"),
        "200 authenticated list": alice.get(CONSUMPTIONS),
        "201 create": alice.post(CONSUMPTIONS, json=VALID_RECORD),
        "204 delete": alice.delete(f"{CONSUMPTIONS}/{record['id']}", headers={"If-Match": '"1"'}),
        "200 openapi.json": anonymous.get(f"{API}/openapi.json"),
        "400 bad json": alice.post(CONSUMPTIONS, content=b"{", headers={"Content-Type": "application/json"}),
        "401 no token": anonymous.get(CONSUMPTIONS),
        "404 unknown api path": anonymous.get(f"{API}/nothing-here"),
        "404 outside the api": anonymous.get("/nothing-here"),
        "405 wrong method": anonymous.request("TRACE", f"{API}/health"),
        "413 too large": alice.post(
            CONSUMPTIONS,
            content=b"x" * (get_settings().max_body_bytes + 1),
            headers={"Content-Type": "application/json"},
        ),
        "415 not json": alice.post(
            CONSUMPTIONS, content=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
    }


def test_api8_every_api_response_carries_the_security_headers(app, alice):
    for name, response in _sample_responses(app, alice).items():
        for header, value in {**BASE_SECURITY_HEADERS, **API_SECURITY_HEADERS}.items():
            assert response.headers.get(header) == value, (name, header, response.headers)
        assert response.headers.get("X-Request-ID"), name


@pytest.mark.parametrize("url", [f"{API}/docs/", f"{API}/docs/swagger-ui.css"])
def test_api8_the_docs_carry_the_security_headers_too(client, url):
    response = client.get(url)
    assert response.status_code == 200
    for header, value in BASE_SECURITY_HEADERS.items():
        assert response.headers.get(header) == value, (url, header)


def test_api8_no_response_names_the_server_software(app, alice):
    for name, response in _sample_responses(app, alice).items():
        assert "server" not in response.headers, name
        assert "x-powered-by" not in response.headers, name


def test_api8_the_server_is_started_without_a_server_header(monkeypatch):
    """`consumo serve` tells uvicorn not to send `Server: uvicorn` (the fault tests check a
    real server's answers)."""
    import uvicorn

    from consumo import cli

    captured: dict[str, Any] = {}
    monkeypatch.setattr(cli, "migrate", lambda: None)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: captured.update(kwargs))
    cli.serve("127.0.0.1", 8000, reload=False)
    assert captured["server_header"] is False


EVIL_ORIGIN = "https://evil.example"


@pytest.mark.parametrize("url", [f"{API}/health", CONSUMPTIONS, f"{API}/user"])
def test_api8_cors_is_closed_no_origin_is_allowed(alice, url):
    response = alice.get(url, headers={"Origin": EVIL_ORIGIN})
    assert not any(header.lower().startswith("access-control-") for header in response.headers), response.headers


@pytest.mark.parametrize("url", [CONSUMPTIONS, f"{API}/auth/login", f"{API}/user"])
def test_api8_cors_preflight_is_not_granted(client, url):
    response = client.options(
        url,
        headers={
            "Origin": EVIL_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert not 200 <= response.status_code < 300
    assert not any(header.lower().startswith("access-control-") for header in response.headers)


def test_api8_an_unexpected_error_is_a_bare_500_problem_without_a_trace(alice, monkeypatch):
    from consumo.consumptions import service

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("internal detail /srv/consumo/secret.py SELECT password_hash FROM users")

    monkeypatch.setattr(service, "get_visible_record", broken)
    response = alice.get(f"{CONSUMPTIONS}/{uuid.uuid4()}")

    body = assert_problem(response, 500)
    assert body["title"] == "Internal Server Error"
    assert_leaks_nothing(response, "internal detail", "secret.py", "password_hash", "RuntimeError")


def test_api8_a_database_error_is_a_500_without_sql(alice, monkeypatch):
    from consumo.consumptions import service

    def bad_sql(session: Any, *_args: Any, **_kwargs: Any) -> Any:
        session.execute(text("SELECT secret_column FROM no_such_table"))

    monkeypatch.setattr(service, "get_visible_record", bad_sql)
    response = alice.get(f"{CONSUMPTIONS}/{uuid.uuid4()}")

    assert_problem(response, 500)
    assert_leaks_nothing(response, "no_such_table", "secret_column", "undefinedtable")


def test_api8_debug_mode_is_off_and_there_is_no_debug_console(app, client):
    assert app.app.debug is False
    assert app.app.config.get("TESTING") is not True
    for url in ("/console", f"{API}/console", "/__debug__", f"{API}/debug"):
        assert_problem(client.get(url), 404)


# --- API9:2023 Improper Inventory Management ------------------------------------------------------

# What the framework serves beside the operations: the contract itself and its docs.
DOCUMENTATION_ROUTES = {f"{API}/openapi.json", f"{API}/openapi.yaml", f"{API}/docs", f"{API}/docs/"}


def _spec_routes() -> set[tuple[str, str]]:
    return {(f"{API}{path}", method.upper()) for path, method, _ in operations()}


def test_api9_every_route_of_the_application_is_an_operation_of_the_spec(app):
    routed: set[tuple[str, str]] = set()
    for rule in app.app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((path, method))
    assert routed == _spec_routes(), routed ^ _spec_routes()


def test_api9_documentation_is_served_only_at_its_documented_addresses(client):
    for url in DOCUMENTATION_ROUTES:
        assert client.get(url).status_code == 200, url
    for url in (f"{API}/swagger.json", f"{API}/ui/", "/docs", "/openapi.json", f"{API}/redoc"):
        assert_problem(client.get(url), 404)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/api",
        "/api/v1",
        "/api/v1/",
        "/api/v2/consumptions",
        "/api/v0/consumptions",
        f"{API}/admin",
        f"{API}/users",
        f"{API}/tenants",
        f"{API}/metrics-internal",
        "/static/app.js",
        "/.env",
        "/.git/config",
        f"{API}/consumptions.json",
        f"{API}/health/extra",
        "/api/v1//consumptions",
    ],
)
def test_api9_undocumented_paths_are_404(alice, url):
    assert_problem(alice.get(url), 404)


def test_api9_every_documented_path_refuses_undocumented_methods(alice):
    for path, item in SPEC["paths"].items():
        url = API + re.sub(r"\{\w+\}", str(uuid.uuid4()), path)
        for method in {"get", "post", "put", "patch", "delete", "trace"} - set(item):
            response = alice.client.request(method.upper(), url, headers=alice.headers)
            assert_problem(response, 405)
