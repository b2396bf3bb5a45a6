"""Malformed, hostile or merely wrong requests: each is a 4xx problem (RFC 9457,
`application/problem+json`) that names what is wrong, and none is ever a 500."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text

from conftest import API, Account, VALID_RECORD, assert_problem, create_record

CONSUMPTIONS = f"{API}/consumptions"
MAX_BODY = 1024 * 1024
JSON_HEADERS = {"Content-Type": "application/json"}


# --- helpers ---------------------------------------------------------------------------------


def assert_field_error(response: Any, field: str, status: int = 400) -> dict[str, Any]:
    body = assert_problem(response, status)
    assert field in [error["field"] for error in body.get("errors", [])], body
    return body


def post_raw(account: Account, raw: bytes, url: str = CONSUMPTIONS, **headers: str) -> Any:
    return account.post(url, content=raw, headers={**JSON_HEADERS, **headers})


def raw_record(quantity: str) -> bytes:
    """A valid record with `quantity` spliced in as raw JSON text."""
    return (
        b'{"kind": "electricity", "quantity": '
        + quantity.encode()
        + b', "period_start": "2025-01-01", "period_end": "2025-01-31"}'
    )


def count_records(owner_engine: Engine, tenant_id: str) -> int:
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant_id})
        return int(
            conn.execute(
                text("SELECT count(*) FROM consumption_records WHERE tenant_id = :t"), {"t": tenant_id}
            ).scalar_one()
        )


SERVER_MADE_FIELDS = {
    "id": str(uuid.uuid4()),
    "tenant_id": str(uuid.uuid4()),
    "owner_id": str(uuid.uuid4()),
    "version": 7,
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:00Z",
    "source": "import",
    "unit": "kWh",
}


# --- fields the client may not set -----------------------------------------------------------


@pytest.mark.parametrize("field", list(SERVER_MADE_FIELDS))
def test_create_refuses_a_server_made_field(alice, owner_engine, field):
    response = alice.post(CONSUMPTIONS, json={**VALID_RECORD, field: SERVER_MADE_FIELDS[field]})

    assert_field_error(response, field)
    assert count_records(owner_engine, alice.tenant_id) == 0


@pytest.mark.parametrize("field", list(SERVER_MADE_FIELDS))
def test_patch_refuses_a_server_made_field(alice, field):
    record = create_record(alice)

    response = alice.patch(
        f"{CONSUMPTIONS}/{record['id']}", json={field: SERVER_MADE_FIELDS[field]}, headers={"If-Match": '"1"'}
    )

    assert_field_error(response, field)
    assert alice.get(f"{CONSUMPTIONS}/{record['id']}").json() == record


def test_create_refuses_an_unknown_field(alice):
    assert_field_error(alice.post(CONSUMPTIONS, json={**VALID_RECORD, "meter": "x"}), "meter")


def test_create_names_every_missing_required_field(alice):
    body = assert_problem(alice.post(CONSUMPTIONS, json={}), 400)

    assert {error["field"] for error in body["errors"]} == {"kind", "quantity", "period_start", "period_end"}


def test_an_empty_patch_is_400(alice):
    record = create_record(alice)

    assert_field_error(alice.patch(f"{CONSUMPTIONS}/{record['id']}", json={}, headers={"If-Match": '"1"'}), "body")


@pytest.mark.parametrize("field", ["kind", "quantity", "period_start", "period_end", "currency"])
def test_patch_cannot_null_a_required_field(alice, field):
    record = create_record(alice)

    response = alice.patch(f"{CONSUMPTIONS}/{record['id']}", json={field: None}, headers={"If-Match": '"1"'})

    assert_field_error(response, field)


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN", "1e400", "-1e400"])
def test_non_finite_numbers_are_400(alice, owner_engine, literal):
    assert_field_error(post_raw(alice, raw_record(literal)), "body")
    assert count_records(owner_engine, alice.tenant_id) == 0


@pytest.mark.parametrize("quantity", [1e12, 1000000000.001, 0.0001, 1.0005, -1, -0.001])
def test_quantity_out_of_range_or_too_precise_is_400(alice, owner_engine, quantity):
    assert_field_error(alice.post(CONSUMPTIONS, json={**VALID_RECORD, "quantity": quantity}), "quantity")
    assert count_records(owner_engine, alice.tenant_id) == 0


@pytest.mark.parametrize("quantity", ['"12.5"', "true", "null"])
def test_quantity_that_is_not_a_number_is_400(alice, quantity):
    assert_field_error(post_raw(alice, raw_record(quantity)), "quantity")


def test_a_huge_integer_literal_is_400(alice):
    assert_field_error(post_raw(alice, raw_record("9" * 400)), "body")


def test_an_integer_literal_beyond_pythons_digit_limit_is_400(alice):
    assert_field_error(post_raw(alice, raw_record("1" * 5000)), "body")


def test_an_overlong_decimal_literal_is_400(alice):
    assert_field_error(post_raw(alice, raw_record("1." + "0" * 200)), "body")


@pytest.mark.parametrize("cost", [-1, 1.5, 100000000000001, "12"])
def test_invalid_cost_minor_is_400(alice, cost):
    assert_field_error(alice.post(CONSUMPTIONS, json={**VALID_RECORD, "cost_minor": cost}), "cost_minor")


# --- the shape of the body -------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"[]", b'[{"kind": "electricity"}]', b'"a string"', b"42", b"true", b"null"])
def test_a_body_that_is_not_an_object_is_400(alice, owner_engine, raw):
    assert_field_error(post_raw(alice, raw), "body")
    assert count_records(owner_engine, alice.tenant_id) == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'{"kind": "caf\xe9"}',  # latin-1
        b'{"notes": "\xed\xa0\x80"}',  # an encoded surrogate
        b"\xff\xfe{\x00}\x00",  # UTF-16 with a BOM
        b'{"kind": "electricity", "notes": "\xc3"}',  # truncated sequence
    ],
)
def test_a_body_that_is_not_utf8_is_400(alice, raw):
    assert_field_error(post_raw(alice, raw), "body")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"kind": ',
        b"{'kind': 'electricity'}",
        b'{"kind": "electricity",}',
        b'{"kind": "electricity"} trailing',
        b"{kind: 1}",
        b'{"notes": "unterminated}',
    ],
)
def test_invalid_json_is_400(alice, raw):
    assert_field_error(post_raw(alice, raw), "body")


def test_duplicate_keys_are_400(alice, owner_engine):
    raw = (
        b'{"kind": "electricity", "quantity": 1, "quantity": 1e12, '
        b'"period_start": "2025-01-01", "period_end": "2025-01-31"}'
    )

    body = assert_field_error(post_raw(alice, raw), "body")

    assert "quantity" in body["errors"][0]["message"]
    assert count_records(owner_engine, alice.tenant_id) == 0


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_json_is_400(alice, opening, closing):
    raw = (opening * 10_000 + "1" + closing * 10_000).encode()

    assert_field_error(post_raw(alice, raw), "body")


def test_deep_nesting_inside_a_field_is_400(alice):
    raw = b'{"kind": "electricity", "notes": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"

    assert_field_error(post_raw(alice, raw), "body")


def test_brackets_inside_strings_do_not_count_as_nesting(alice):
    response = alice.post(CONSUMPTIONS, json={**VALID_RECORD, "notes": "[{" * 400})

    assert response.status_code == 201, response.text


@pytest.mark.parametrize("raw", [b"", b"   "])
def test_an_empty_body_is_400(alice, raw):
    assert_problem(post_raw(alice, raw), 400)


# --- path, query and header parameters -------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    [
        "abc",
        "00000000-0000-0000-0000-00000000000g",
        "00000000000000000000000000000000",
        f"{uuid.uuid4()}0",
        "{" + str(uuid.uuid4()) + "}",
        "%00",
    ],
)
def test_a_bad_uuid_in_the_path_is_400(alice, bad_id):
    assert_field_error(alice.get(f"{CONSUMPTIONS}/{bad_id}"), "consumption_id")


def test_a_bad_uuid_in_the_path_of_patch_and_delete_is_400(alice):
    url = f"{CONSUMPTIONS}/not-a-uuid"

    assert_field_error(alice.patch(url, json={"notes": "x"}, headers={"If-Match": '"1"'}), "consumption_id")
    assert_field_error(alice.delete(url, headers={"If-Match": '"1"'}), "consumption_id")


BAD_DAYS = [
    "2025-02-30",
    "2025-13-01",
    "1999-12-31",
    "2101-01-01",
    "2025-1-01",
    "2025-01-01T00:00:00Z",
    "20250101",
    "2023-02-29",
    "",
]


@pytest.mark.parametrize("day", BAD_DAYS)
def test_an_invalid_day_in_the_body_is_400(alice, owner_engine, day):
    for field in ("period_start", "period_end"):
        assert_field_error(alice.post(CONSUMPTIONS, json={**VALID_RECORD, field: day}), field)
    assert count_records(owner_engine, alice.tenant_id) == 0


@pytest.mark.parametrize("day", [day for day in BAD_DAYS if day])
def test_an_invalid_day_in_the_query_is_400(alice, day):
    for param in ("from", "to"):
        assert_field_error(alice.get(CONSUMPTIONS, params={param: day}), param)


def test_an_invalid_day_in_a_patch_is_400_and_changes_nothing(alice):
    record = create_record(alice)

    response = alice.patch(
        f"{CONSUMPTIONS}/{record['id']}", json={"period_end": "2025-02-30"}, headers={"If-Match": '"1"'}
    )

    assert_field_error(response, "period_end")
    assert alice.get(f"{CONSUMPTIONS}/{record['id']}").json() == record


@pytest.mark.parametrize("url", [CONSUMPTIONS, f"{CONSUMPTIONS}/{uuid.uuid4()}"])
def test_an_unknown_query_parameter_is_400(alice, url):
    assert_field_error(alice.get(url, params={"owner_id": str(uuid.uuid4())}), "owner_id")


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("limit", "abc"),
        ("limit", "1.5"),
        ("limit", "0"),
        ("limit", "101"),
        ("sort", "owner_id"),
        ("sort", "period_end"),
        ("scope", "all"),
        ("kind", "steam"),
        ("q", ""),
        ("q", "x" * 101),
        ("cursor", "not a cursor!"),
        ("cursor", "x" * 513),
    ],
)
def test_an_invalid_list_parameter_is_400(alice, param, value):
    assert_field_error(alice.get(CONSUMPTIONS, params={param: value}), param)


@pytest.mark.parametrize("key", ["has space", "x" * 256, "tab\tinside", "é".encode()])
def test_an_invalid_idempotency_key_is_400(alice, owner_engine, key):
    response = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers={"Idempotency-Key": key})

    assert_field_error(response, "Idempotency-Key")
    assert count_records(owner_engine, alice.tenant_id) == 0


def test_an_overlong_if_match_is_400(alice):
    record = create_record(alice)

    response = alice.patch(f"{CONSUMPTIONS}/{record['id']}", json={"notes": "x"}, headers={"If-Match": "1" * 65})

    assert_field_error(response, "If-Match")


# --- field values ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["steam", "Electricity", "", "kWh"])
def test_an_unknown_kind_is_400(alice, kind):
    assert_field_error(alice.post(CONSUMPTIONS, json={**VALID_RECORD, "kind": kind}), "kind")


def test_notes_over_1000_characters_are_400(alice):
    assert_field_error(alice.post(CONSUMPTIONS, json={**VALID_RECORD, "notes": "n" * 1001}), "notes")


def test_notes_with_a_nul_character_are_400(alice, owner_engine):
    assert_field_error(alice.post(CONSUMPTIONS, json={**VALID_RECORD, "notes": "before\u0000after"}), "notes")
    record = create_record(alice)
    response = alice.patch(f"{CONSUMPTIONS}/{record['id']}", json={"notes": "\u0000"}, headers={"If-Match": '"1"'})
    assert_field_error(response, "notes")
    assert count_records(owner_engine, alice.tenant_id) == 1


def test_a_search_text_with_a_nul_character_is_400(alice):
    assert_field_error(alice.get(CONSUMPTIONS, params={"q": "a\u0000b"}), "q")


def test_notes_of_exactly_1000_characters_are_accepted(alice):
    assert create_record(alice, notes="ñ" * 1000)["notes"] == "ñ" * 1000


@pytest.mark.parametrize("currency", ["eur", "EURO", "EU", "E1R", "€"])
def test_a_currency_that_is_not_three_capitals_is_400(alice, currency):
    assert_field_error(alice.post(CONSUMPTIONS, json={**VALID_RECORD, "currency": currency}), "currency")


def test_errors_list_every_offending_field_at_once(alice):
    response = alice.post(CONSUMPTIONS, json={**VALID_RECORD, "kind": "steam", "currency": "eur", "notes": "n" * 1001})

    body = assert_problem(response, 400)
    assert {"kind", "currency", "notes"} <= {error["field"] for error in body["errors"]}


# --- size and media type -----------------------------------------------------------------------


def test_a_body_over_1_mib_is_413_before_it_is_parsed(alice, owner_engine):
    raw = json.dumps({**VALID_RECORD, "notes": "x" * MAX_BODY}).encode()

    response = post_raw(alice, raw, **{"Content-Length": str(len(raw))})

    assert_problem(response, 413)
    assert count_records(owner_engine, alice.tenant_id) == 0


def test_an_oversize_body_is_413_even_when_it_is_not_json(alice):
    raw = b"\xff" * (MAX_BODY + 1)

    assert_problem(post_raw(alice, raw, **{"Content-Length": str(len(raw))}), 413)


def test_an_oversize_patch_is_413(alice):
    record = create_record(alice)
    raw = b'{"notes": "' + b"x" * MAX_BODY + b'"}'

    response = alice.patch(
        f"{CONSUMPTIONS}/{record['id']}",
        content=raw,
        headers={**JSON_HEADERS, "If-Match": '"1"', "Content-Length": str(len(raw))},
    )

    assert_problem(response, 413)
    assert alice.get(f"{CONSUMPTIONS}/{record['id']}").json() == record


def test_a_body_just_under_the_limit_but_against_the_schema_is_400_not_413(alice):
    prefix = json.dumps({**VALID_RECORD, "notes": ""}).encode()[:-2]
    raw = prefix + b"x" * (MAX_BODY - len(prefix) - 3) + b'"}'
    assert len(raw) == MAX_BODY - 1

    assert_field_error(post_raw(alice, raw), "notes")


def test_a_valid_body_of_exactly_the_limit_is_accepted(alice):
    compact = json.dumps(VALID_RECORD).encode()
    raw = compact[:-1] + b" " * (MAX_BODY - len(compact)) + b"}"
    assert len(raw) == MAX_BODY

    response = post_raw(alice, raw)

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded", "application/merge-patch+json"],
)
def test_a_body_that_is_not_application_json_is_415(alice, owner_engine, content_type):
    response = alice.post(
        CONSUMPTIONS, content=json.dumps(VALID_RECORD).encode(), headers={"Content-Type": content_type}
    )

    assert_problem(response, 415)
    assert count_records(owner_engine, alice.tenant_id) == 0


def test_a_patch_that_is_not_application_json_is_415(alice):
    record = create_record(alice)

    response = alice.patch(
        f"{CONSUMPTIONS}/{record['id']}", content=b"notes=x", headers={"Content-Type": "text/plain", "If-Match": '"1"'}
    )

    assert_problem(response, 415)


def test_json_with_a_charset_parameter_is_accepted(alice):
    response = post_raw(alice, json.dumps(VALID_RECORD).encode(), **{"Content-Type": "application/json; charset=utf-8"})

    assert response.status_code == 201, response.text


# --- routing and credentials -------------------------------------------------------------------


@pytest.mark.parametrize("url", [f"{API}/nothing-here", f"{CONSUMPTIONS}/{uuid.uuid4()}/extra", "/nothing-here"])
def test_an_unknown_route_is_a_404_problem(alice, url):
    assert_problem(alice.get(url), 404)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", CONSUMPTIONS),
        ("DELETE", CONSUMPTIONS),
        ("PATCH", CONSUMPTIONS),
        ("POST", f"{CONSUMPTIONS}/{uuid.uuid4()}"),
        ("PUT", f"{CONSUMPTIONS}/{uuid.uuid4()}"),
    ],
)
def test_a_wrong_method_is_a_405_problem(alice, method, url):
    response = alice.client.request(method, url, headers=alice.headers)

    assert_problem(response, 405)


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic YWxpY2U6cHc=", "Bearer "])
def test_missing_or_malformed_credentials_are_a_401_problem(client, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    assert_problem(client.get(CONSUMPTIONS, headers=headers), 401)
