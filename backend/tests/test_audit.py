"""The audit trail: every write of every tenant model produces an event, written by one hook;
sign-ins, failed sign-ins, logouts, password and role changes are events too; the trail is
append-only for the app role, isolated by tenant, readable by owners and admins, and pruned."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from tests.conftest import API, VALID_LINE, Account, create_meter, create_record
from tests.test_team import invite, join


def events(account: Account, query: str = "") -> list[dict[str, Any]]:
    """The events (newest first), each with its `changes` as {field: {before?, after?}}."""
    response = account.get(f"{API}/audit-events?limit=100{query}")
    assert response.status_code == 200, response.text
    items = list(response.json()["items"])
    for item in items:
        item["changes"] = {change.pop("field"): change for change in item["changes"]}
    return items


def _write_one_of_everything(app: Any, owner: Account) -> None:
    """Writes, through the API, at least one row of every tenant model. A new model that
    no call here writes fails `test_every_tenant_model_write_produces_an_event` by name:
    add a call of its API here."""
    join(app, owner, "mia", "member")
    invite(owner, "nina@example.com", "viewer")
    meter = create_meter(owner)
    line = create_meter(owner, **VALID_LINE)
    create_record(owner)
    assert (
        owner.post(
            f"{API}/meters/{meter['id']}/tariffs", json={"valid_from": "2025-01-01", "unit_price_minor": 15}
        ).status_code
        == 201
    )
    assert (
        owner.post(f"{API}/meters/{meter['id']}/readings", json={"date": "2025-01-01", "index_value": 100}).status_code
        == 201
    )
    assert owner.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": 1000}).status_code == 201
    assert (
        owner.put(
            f"{API}/budgets", json={"items": [{"kind": "gas", "cost_limit_minor": 100, "currency": "EUR"}]}
        ).status_code
        == 200
    )
    tag = owner.get(f"{API}/tenant").headers["ETag"]
    assert owner.patch(f"{API}/tenant", json={"name": "Casa"}, headers={"If-Match": tag}).status_code == 200
    upload = owner.post(
        f"{API}/imports",
        content=b"kind,quantity,period_start,period_end\nwater,1,2025-01-01,2025-01-01\n",
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201, upload.text
    token = owner.post(f"{API}/user/tokens", json={"name": "script", "scopes": ["read"], "expires_at": None})
    assert token.status_code == 201, token.text
    webhook = owner.post(
        f"{API}/webhooks", json={"url": "https://hooks.example.invalid/x", "event_types": ["meter.created"]}
    )
    assert webhook.status_code == 201, webhook.text


def test_every_tenant_model_write_produces_an_event(app: Any, alice: Account, owner_engine: Any) -> None:
    from consumo import models_registry  # noqa: F401
    from consumo.audit.hook import is_audited, tenant_column
    from consumo.db import Base

    _write_one_of_everything(app, alice)
    audited = [m.class_ for m in Base.registry.mappers if is_audited(m.class_)]
    exempt = [m.class_.__name__ for m in Base.registry.mappers if tenant_column(m.class_) and not is_audited(m.class_)]
    # Opting out is for plumbing, derived data and the trail itself, never for tenant data.
    assert sorted(exempt) == sorted(
        [
            "AlertMark",
            "AuditEvent",
            "AuthSession",
            "ConsumptionDaily",
            "ConsumptionMonthly",
            "IdempotencyKey",
            "ImportRow",
            "ImportRowError",
            "ImportUpload",
            "RefreshToken",
            "WebhookDelivery",
        ]
    ), "a model opted out of the audit trail: " + ", ".join(exempt)
    missing_rows, silent = [], []
    with owner_engine.connect() as conn:
        for cls in audited:
            table = cls.__tablename__
            if not conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one():
                missing_rows.append(table)
            elif not conn.execute(
                text("SELECT count(*) FROM audit_events WHERE entity_type = :t AND action IN ('create', 'update')"),
                {"t": table},
            ).scalar_one():
                silent.append(table)
    assert missing_rows == [], f"no row of {missing_rows}: write one in _write_one_of_everything"
    assert silent == [], f"writes to {silent} produced no audit event"


def test_an_update_records_only_the_changed_fields_before_and_after_with_request_details(alice: Account) -> None:
    record = create_record(alice)
    changed = alice.patch(
        f"{API}/consumptions/{record['id']}",
        json={"notes": "corrected"},
        headers={"If-Match": '"1"', "User-Agent": "audit-test/1.0", "X-Request-ID": "audit-req-1"},
    )
    assert changed.status_code == 200, changed.text
    [update] = events(alice, f"&entity_id={record['id']}&action=update")
    assert update["entity_type"] == "consumption_records"
    assert update["actor_user_id"] == alice.user_id and update["actor_token_id"] is None
    assert update["changes"]["notes"] == {"before": "January bill", "after": "corrected"}
    assert "quantity" not in update["changes"]
    assert update["user_agent"] == "audit-test/1.0" and update["request_id"] == "audit-req-1"
    created = events(alice, f"&entity_id={record['id']}&action=create")
    assert created[0]["changes"]["notes"] == {"after": "January bill"}
    assert alice.delete(f"{API}/consumptions/{record['id']}", headers={"If-Match": '"2"'}).status_code == 204
    [deleted] = events(alice, f"&entity_id={record['id']}&action=delete")
    assert deleted["changes"]["notes"] == {"before": "corrected"}


def test_sign_ins_failures_logouts_password_and_role_changes_are_events(app: Any, alice: Account) -> None:
    member = join(app, alice, "mia", "member")
    client = app.test_client()
    assert client.post(f"{API}/auth/login", json={"username": "mia", "password": "wrong-password"}).status_code == 401
    assert client.post(f"{API}/auth/login", json={"username": "mia", "password": member.password}).status_code == 200
    assert client.post(f"{API}/auth/logout").status_code == 204
    assert (
        member.post(
            f"{API}/user/password", json={"current_password": member.password, "new_password": "another long secret"}
        ).status_code
        == 204
    )
    tag = alice.get(f"{API}/tenant/members/{member.user_id}").headers["ETag"]
    assert (
        alice.patch(
            f"{API}/tenant/members/{member.user_id}", json={"role": "viewer"}, headers={"If-Match": tag}
        ).status_code
        == 200
    )
    about_mia = events(alice, f"&entity_type=users&entity_id={member.user_id}")
    actions = [event["action"] for event in reversed(about_mia)]
    assert actions == ["create", "sign_in", "sign_in_failed", "sign_in", "logout", "password_change", "role_change"], (
        actions
    )
    by_action = {event["action"]: event for event in reversed(about_mia)}
    assert by_action["password_change"]["changes"]["password_hash"] == {"before": "[redacted]", "after": "[redacted]"}
    assert by_action["role_change"]["changes"]["role"] == {"before": "member", "after": "viewer"}
    assert by_action["role_change"]["actor_user_id"] == alice.user_id
    assert by_action["sign_in_failed"]["actor_user_id"] == member.user_id


def test_no_secret_is_ever_stored_in_the_trail(app: Any, alice: Account, owner_engine: Any) -> None:
    invitation = invite(alice, "nina@example.com", "viewer")
    join(app, alice, "mia", "member")
    with owner_engine.connect() as conn:
        trail = " ".join(str(row) for row in conn.execute(text("SELECT changes FROM audit_events")).scalars())
        hashes = (
            conn.execute(text("SELECT token_hash FROM invitations UNION ALL SELECT password_hash FROM users"))
            .scalars()
            .all()
        )
    assert invitation["token"] not in trail
    assert all(value not in trail for value in hashes)
    assert "[redacted]" in trail


def test_only_owners_and_admins_read_the_trail_and_only_their_tenants(app: Any, alice: Account, bob: Account) -> None:
    admin = join(app, alice, "adam", "admin")
    member = join(app, alice, "mia", "member")
    viewer = join(app, alice, "vic", "viewer")
    assert admin.get(f"{API}/audit-events").status_code == 200
    assert member.get(f"{API}/audit-events").status_code == 403
    assert viewer.get(f"{API}/audit-events").status_code == 403
    create_record(bob)
    assert all(event["entity_type"] != "consumption_records" for event in events(alice))
    assert alice.get(f"{API}/audit-events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z").status_code == 422


def test_the_trail_pages_newest_first(alice: Account) -> None:
    for _ in range(3):
        create_record(alice)
    first = alice.get(f"{API}/audit-events?limit=2&entity_type=consumption_records").json()
    second = alice.get(
        f"{API}/audit-events?limit=2&entity_type=consumption_records&cursor={first['next_cursor']}"
    ).json()
    ids = [e["entity_id"] for e in first["items"] + second["items"]]
    assert len(ids) == 3 and len(set(ids)) == 3 and second["next_cursor"] is None
    everything = events(alice)
    assert everything[0]["occurred_at"] >= everything[-1]["occurred_at"]


def test_the_app_role_cannot_change_or_delete_an_event(alice: Account, database_url: str) -> None:
    from consumo.db import _to_sqlalchemy_url

    create_record(alice)
    app_engine = create_engine(_to_sqlalchemy_url(database_url).set(username="consumo_app", password=None))
    try:
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with app_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("SELECT set_config('app.tenant_id', :t, false)"), {"t": alice.tenant_id})
                conn.execute(text(statement))
        with app_engine.connect() as conn:  # and without the tenant set, row-level security hides every event
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 0
    finally:
        app_engine.dispose()


def test_audit_prune_deletes_only_events_past_the_retention(alice: Account, owner_engine: Any) -> None:
    from consumo.cli import main

    create_record(alice)
    with owner_engine.begin() as conn:
        total = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        conn.execute(
            text("UPDATE audit_events SET occurred_at = now() - interval '401 days' WHERE entity_type = 'tenants'")
        )
    assert main(["audit-prune"]) == 0
    with owner_engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM audit_events WHERE entity_type = 'tenants'")).scalar_one() == 0
    assert left == total - 1
