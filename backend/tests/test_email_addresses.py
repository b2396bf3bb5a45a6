"""One rule for email addresses, the same in the contract, the server, the database, the
response and the web app's generated Zod schemas: ASCII, an internationalised domain in its
IDNA (`xn--`) form, stored lower-case and returned exactly as stored; login accepts the
domain in either form.

Odd but valid and internationalised addresses go through register → login → profile, and the
real responses are saved (volatile values replaced) to frontend/src/test/api-responses/,
where a Vitest test parses every one with the generated Zod schemas (src/lib/email-contract.test.ts).
A change in what the API answers fails here until the saved file is committed again."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conftest import API, assert_problem
from consumo.config import BACKEND_DIR

SAVED = BACKEND_DIR.parent / "frontend" / "src" / "test" / "api-responses" / "email-addresses.json"
PASSWORD = "s3cret-passw0rd-long"

# (address as sent, address as stored and returned, the same address as a person may type it to log in)
ACCEPTED = [
    ("Alice.O'Brien+bills@Example.COM", "alice.o'brien+bills@example.com", "ALICE.O'BRIEN+BILLS@example.com"),
    ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example", "user@bücher.example"),
    ("Ivan@XN--E1AFMKFD.Example", "ivan@xn--e1afmkfd.example", "ivan@пример.example"),
    ("first_last-99@sub-domain.mail.example.co", "first_last-99@sub-domain.mail.example.co", None),
    ("1234567890@numbers.example", "1234567890@numbers.example", None),
    ("a@b.co", "a@b.co", None),
    ("x" * 64 + "@example.org", "x" * 64 + "@example.org", None),
]
# Not ASCII, or not something the web app could send or show: a 400 naming the field.
REFUSED = [
    "josé@example.com",  # a non-ASCII local part
    "user@bücher.example",  # an internationalised domain not in its xn-- form
    "user@example.xn--p1ai",  # a top-level domain that is not letters
    "x" * 65 + "@example.org",  # a local part over 64 octets (RFC 5321)
    "user@ab--cd.example",  # a label with -- that is not IDNA
    "user@xn--zz.example",  # an xn-- label that is not valid IDNA
    "o'brien'@example.com",  # the local part ends in an apostrophe
    "a..b@example.com",
]


def _stable(value: Any) -> Any:
    """The response with the values that change on every run replaced."""
    text = json.dumps(value, ensure_ascii=False)
    text = re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "00000000-0000-4000-8000-000000000000", text
    )
    text = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "2026-01-01T00:00:00Z", text)
    text = re.sub(r'"access_token": "[^"]+"', '"access_token": "header.payload.signature"', text)
    return json.loads(text)


@pytest.mark.parametrize("address", REFUSED)
def test_an_address_outside_the_rule_is_a_400_naming_the_field(client, address):
    response = client.post(f"{API}/auth/register", json={"username": "refused", "email": address, "password": PASSWORD})

    body = assert_problem(response, 400, "email")
    assert [e["field"] for e in body["errors"]] == ["email"]


def test_odd_and_internationalised_addresses_register_log_in_and_come_back_exactly_as_stored(app):
    saved: list[dict[str, Any]] = []
    for index, (sent, stored, typed) in enumerate(ACCEPTED):
        client = app.test_client()
        username = f"mail{index}"
        registered = client.post(
            f"{API}/auth/register", json={"username": username, "email": sent, "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        assert registered.json()["email"] == stored

        for login in filter(None, [stored, sent, typed]):
            logged_in = client.post(f"{API}/auth/login", json={"username": login, "password": PASSWORD})
            assert logged_in.status_code == 200, (login, logged_in.text)
            assert logged_in.json()["user"]["email"] == stored
        token = {"Authorization": f"Bearer {logged_in.json()['access_token']}"}

        profile = client.put(f"{API}/user", json={"username": username, "email": sent}, headers=token)
        assert profile.status_code == 200, profile.text
        assert profile.json()["email"] == stored
        assert client.get(f"{API}/user", headers=token).json()["email"] == stored

        saved.append(
            {
                "sent": sent,
                "stored": stored,
                "register": _stable(registered.json()),
                "login": _stable(logged_in.json()),
                "update_current_user": _stable(profile.json()),
            }
        )

    text = json.dumps(saved, ensure_ascii=False, indent=2) + "\n"
    if not SAVED.exists() or SAVED.read_text() != text:
        SAVED.parent.mkdir(parents=True, exist_ok=True)
        SAVED.write_text(text)
        pytest.fail(f"the API's answers changed: {SAVED} was rewritten; commit it (the web app's test parses it)")
