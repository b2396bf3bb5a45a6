"""Issue 16's remaining events and guarantees: a line's own low-balance threshold; line.balance_low
on the crossing only; line.allowance_exhausted and budget.projected_over once per period (a job
coalesced per owner); a deleted meter's detached records announced; signing secrets sealed at rest
and still signing across a key rotation. Every event is enqueued in the transaction of its change."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from openapi_schema_validator import OAS30Validator
from sqlalchemy import Engine, text
from standardwebhooks import Webhook

from conftest import API, VALID_LINE, assert_problem, create_meter
from test_webhooks import deliveries_in_db, register

ALERTS = f"{API}/alerts"
pytestmark = pytest.mark.usefixtures("empty_job_queue")


def run_all_jobs() -> None:
    """A real procrastinate worker over every queue (alert evaluations, then the deliveries they
    enqueue), until nothing is due."""
    from consumo.jobs import job_app

    app = job_app()
    with app.open():
        for _ in range(2):
            app.run_worker(queues=["alerts", "webhooks"], wait=False, install_signal_handlers=False)


def queued(owner_engine: Engine, task: str) -> list[Any]:
    with owner_engine.begin() as conn:
        return list(
            conn.execute(
                text("SELECT args, status FROM procrastinate.procrastinate_jobs WHERE task_name = :t ORDER BY id"),
                {"t": task},
            ).all()
        )


def payloads(owner_engine: Engine, tenant_id: str, event_type: str) -> list[dict[str, Any]]:
    return [row.payload for row in deliveries_in_db(owner_engine, tenant_id) if row.event_type == event_type]


def _contract() -> dict[str, Any]:
    from consumo.config import SPEC_PATH

    return dict(yaml.safe_load(SPEC_PATH.read_text()))


def assert_matches_contract(payload: dict[str, Any]) -> None:
    """The body an endpoint receives validates against its event's schema in `x-webhooks`."""
    spec = _contract()
    operation = spec["x-webhooks"][payload["type"]]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    OAS30Validator({**schema, "components": spec["components"]}).validate(payload)


def top_up(account: Any, line: dict[str, Any], amount: int) -> None:
    response = account.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": amount})
    assert response.status_code == 201, response.text


def spend(account: Any, line: dict[str, Any], cost: int) -> None:
    """One SMS charged `cost` (an explicit charge), taken from the balance."""
    response = account.post(f"{API}/meters/{line['id']}/simulate", json={"sms": 1, "cost_minor": cost})
    assert response.status_code in (200, 201), response.text


def patch_meter(account: Any, meter: dict[str, Any], body: dict[str, Any]) -> Any:
    current = account.get(f"{API}/meters/{meter['id']}")
    return account.patch(f"{API}/meters/{meter['id']}", json=body, headers={"If-Match": current.headers["ETag"]})


# --- the threshold ----------------------------------------------------------------------------


def test_a_line_sets_its_own_low_balance_threshold_and_its_alert_uses_it(alice):
    line = create_meter(alice, **VALID_LINE, low_balance_minor=2000)
    assert line["low_balance_minor"] == 2000
    top_up(alice, line, 1500)
    low = [a for a in alice.get(ALERTS).json()["items"] if a["type"] == "line.balance_low"]
    assert [(a["amount_minor"], a["limit_minor"]) for a in low] == [(1500, 2000)]

    cleared = patch_meter(alice, line, {"low_balance_minor": None})  # back to the default (500)
    assert cleared.status_code == 200 and cleared.json()["low_balance_minor"] is None
    assert not [a for a in alice.get(ALERTS).json()["items"] if a["type"] == "line.balance_low"]

    stale = alice.patch(f"{API}/meters/{line['id']}", json={"low_balance_minor": 10}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)


def test_only_a_mobile_line_has_a_low_balance_threshold(alice):
    meter = create_meter(alice)
    assert meter["low_balance_minor"] is None
    assert_problem(patch_meter(alice, meter, {"low_balance_minor": 100}), 422, "low_balance_minor")
    refused = alice.post(
        f"{API}/meters", json={"kind": "gas", "name": "G", "identifier": "G-1", "low_balance_minor": 1}
    )
    assert_problem(refused, 400)
    assert_problem(patch_meter(alice, create_meter(alice, **VALID_LINE), {"low_balance_minor": -1}), 400)


# --- line.balance_low ---------------------------------------------------------------------------


def test_balance_low_is_published_when_the_balance_crosses_below_and_not_again_until_it_went_back_above(
    alice, receiver, local_allowed, owner_engine
):
    register(alice, receiver.url(), ["line.balance_low"])
    line = create_meter(alice, **VALID_LINE, low_balance_minor=1000)
    top_up(alice, line, 1500)  # 0 → 1500: from low to not low, nothing to announce
    assert payloads(owner_engine, alice.tenant_id, "line.balance_low") == []
    spend(alice, line, 600)  # 1500 → 900: crosses below 1000
    spend(alice, line, 100)  # 900 → 800: still low, no second event
    events = payloads(owner_engine, alice.tenant_id, "line.balance_low")
    assert len(events) == 1
    assert events[0]["data"] | {} == {
        "meter_id": line["id"],
        "owner_id": alice.user_id,
        "name": "My phone",
        "currency": line["currency"],
        "balance_minor": 900,
        "low_balance_minor": 1000,
    }
    assert_matches_contract(events[0])

    top_up(alice, line, 1000)  # 800 → 1800: above again
    spend(alice, line, 900)  # 1800 → 900: a new crossing
    assert len(payloads(owner_engine, alice.tenant_id, "line.balance_low")) == 2

    # Raising the threshold above the balance is a crossing too; lowering it is not.
    top_up(alice, line, 1000)  # 1900
    assert patch_meter(alice, line, {"low_balance_minor": 2500}).status_code == 200
    assert patch_meter(alice, line, {"low_balance_minor": 2400}).status_code == 200
    assert [e["data"]["low_balance_minor"] for e in payloads(owner_engine, alice.tenant_id, "line.balance_low")][
        -1
    ] == 2500
    assert len(payloads(owner_engine, alice.tenant_id, "line.balance_low")) == 3


def test_a_rolled_back_balance_change_publishes_nothing(alice, receiver, local_allowed, owner_engine):
    from consumo import api_models as api
    from consumo.db import bind_tenant, session_factory
    from consumo.lines import service as lines
    from consumo.security.identity import Caller

    register(alice, receiver.url(), ["line.balance_low", "line.topped_up"])
    line = create_meter(alice, **VALID_LINE, low_balance_minor=1000)
    top_up(alice, line, 1500)
    before = len(deliveries_in_db(owner_engine, alice.tenant_id))
    caller = Caller(uuid.UUID(alice.user_id), uuid.UUID(alice.tenant_id), uuid.uuid4(), "owner")
    for commit in (False, True):
        session = session_factory()()
        try:
            bind_tenant(session, caller.tenant_id)
            usage = api.SimulationRequest(sms=1, cost_minor=600)
            lines.simulate_usage(session, caller, uuid.UUID(line["id"]), usage)
            session.commit() if commit else session.rollback()
        finally:
            session.close()
        published = payloads(owner_engine, alice.tenant_id, "line.balance_low")
        assert len(published) == (1 if commit else 0)
    assert len(deliveries_in_db(owner_engine, alice.tenant_id)) == before + 1


# --- line.allowance_exhausted and budget.projected_over ----------------------------------------------


def test_an_exhausted_allowance_is_published_once_per_cycle_by_one_job_per_burst(
    alice, receiver, local_allowed, owner_engine
):
    endpoint = register(alice, receiver.url(), ["line.allowance_exhausted"])
    line = create_meter(alice, **VALID_LINE)
    top_up(alice, line, 100000)
    for _ in range(3):  # a burst of usage: one evaluation job waits for all of it
        assert alice.post(f"{API}/meters/{line['id']}/simulate", json={"sms": 40}).status_code in (200, 201)
    assert len(queued(owner_engine, "evaluate_alerts")) == 1
    assert payloads(owner_engine, alice.tenant_id, "line.allowance_exhausted") == []  # evaluated by the job

    run_all_jobs()
    events = payloads(owner_engine, alice.tenant_id, "line.allowance_exhausted")
    assert len(events) == 1
    assert events[0]["data"] == {
        "meter_id": line["id"],
        "owner_id": alice.user_id,
        "name": "My phone",
        "kind": "sms",
        "cycle_start": date.today().replace(day=1).isoformat(),
    }
    assert_matches_contract(events[0])
    assert len(receiver.received) == 1
    Webhook(endpoint["secret"]).verify(receiver.received[0]["body"], receiver.received[0]["headers"])

    assert alice.post(f"{API}/meters/{line['id']}/simulate", json={"sms": 5}).status_code in (200, 201)
    run_all_jobs()  # evaluated again: still used up, already announced for this cycle
    assert len(payloads(owner_engine, alice.tenant_id, "line.allowance_exhausted")) == 1
    with owner_engine.begin() as conn:
        marks = conn.execute(text("SELECT alert_key, period_start FROM alert_marks")).all()
    assert [(m.alert_key, m.period_start) for m in marks] == [
        (f"allowance:{line['id']}:sms", date.today().replace(day=1))
    ]


def test_a_budget_projected_over_is_published_once_per_month_and_budget(alice, receiver, local_allowed, owner_engine):
    register(alice, receiver.url(), ["budget.projected_over"])
    meter = create_meter(alice, monthly_budget_minor=100)
    today = date.today().isoformat()
    record = {
        "kind": "electricity",
        "quantity": 10,
        "period_start": today,
        "period_end": today,
        "cost_minor": 5000,
        "currency": "EUR",
        "meter_id": meter["id"],
    }
    assert alice.post(f"{API}/consumptions", json=record).status_code == 201
    run_all_jobs()
    events = payloads(owner_engine, alice.tenant_id, "budget.projected_over")
    assert len(events) == 1
    data = events[0]["data"]
    assert data["meter_id"] == meter["id"] and data["kind"] is None and data["budget_cost_minor"] == 100
    assert data["projected_cost_minor"] > 100 and data["month"] == date.today().replace(day=1).isoformat()
    assert_matches_contract(events[0])

    assert alice.post(f"{API}/consumptions", json=record).status_code == 201
    run_all_jobs()
    assert len(payloads(owner_engine, alice.tenant_id, "budget.projected_over")) == 1  # once this month


def test_without_a_subscriber_no_evaluation_job_is_deferred(alice, receiver, local_allowed, owner_engine):
    register(alice, receiver.url(), ["consumption.created"])
    meter = create_meter(alice, monthly_budget_minor=100)
    today = date.today().isoformat()
    body = {"kind": "electricity", "quantity": 1, "period_start": today, "period_end": today, "meter_id": meter["id"]}
    assert alice.post(f"{API}/consumptions", json=body).status_code == 201
    assert queued(owner_engine, "evaluate_alerts") == []


def test_a_rolled_back_record_defers_no_evaluation(alice, receiver, local_allowed, owner_engine):
    from consumo.consumptions import service as records
    from consumo.db import bind_tenant, session_factory
    from consumo.security.identity import Caller

    register(alice, receiver.url(), ["budget.projected_over"])
    caller = Caller(uuid.UUID(alice.user_id), uuid.UUID(alice.tenant_id), uuid.uuid4(), "owner")
    today = date.today().isoformat()
    for commit in (False, True):
        session = session_factory()()
        bind_tenant(session, caller.tenant_id)
        records.create_record(
            session, caller, {"kind": "water", "quantity": 1, "period_start": today, "period_end": today}
        )
        session.commit() if commit else session.rollback()
        session.close()
        assert len(queued(owner_engine, "evaluate_alerts")) == (1 if commit else 0)


# --- a deleted meter's records ------------------------------------------------------------------------


def _records_on(alice: Any, meter: dict[str, Any], count: int) -> list[dict[str, Any]]:
    made = []
    for day in range(1, count + 1):
        body = {
            "kind": "electricity",
            "quantity": 1,
            "period_start": f"2026-01-{day:02d}",
            "period_end": f"2026-01-{day:02d}",
            "meter_id": meter["id"],
        }
        response = alice.post(f"{API}/consumptions", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


def test_deleting_a_meter_announces_each_record_it_detaches_in_the_same_transaction(
    alice, receiver, local_allowed, owner_engine
):
    register(alice, receiver.url(), ["consumption.updated", "meter.deleted"])
    meter = create_meter(alice)
    made = _records_on(alice, meter, 2)
    deleted = alice.delete(f"{API}/meters/{meter['id']}", headers={"If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text

    updated = payloads(owner_engine, alice.tenant_id, "consumption.updated")
    assert sorted(e["data"]["id"] for e in updated) == sorted(r["id"] for r in made)
    assert {(e["data"]["meter_id"], e["data"]["version"]) for e in updated} == {(None, 2)}
    for event in updated:
        assert_matches_contract(event)
    (gone,) = payloads(owner_engine, alice.tenant_id, "meter.deleted")
    assert gone["data"]["id"] == meter["id"] and gone["data"]["detached_records"] == 2
    assert_matches_contract(gone)
    # The records as the API now shows them agree with what was announced.
    record = alice.get(f"{API}/consumptions/{made[0]['id']}")
    assert record.json()["meter_id"] is None and record.headers["ETag"] == '"2"'


def test_a_meter_with_more_records_than_announced_one_by_one_says_how_many_it_detached(
    alice, receiver, local_allowed, owner_engine, monkeypatch
):
    from consumo.meters import service as meters

    monkeypatch.setattr(meters, "ANNOUNCED_DETACHED_RECORDS", 2)
    register(alice, receiver.url(), ["consumption.updated", "meter.deleted"])
    meter = create_meter(alice)
    _records_on(alice, meter, 3)
    assert alice.delete(f"{API}/meters/{meter['id']}", headers={"If-Match": '"1"'}).status_code == 204
    assert payloads(owner_engine, alice.tenant_id, "consumption.updated") == []
    (gone,) = payloads(owner_engine, alice.tenant_id, "meter.deleted")
    assert gone["data"]["detached_records"] == 3


def test_a_rolled_back_meter_deletion_announces_nothing(alice, receiver, local_allowed, owner_engine):
    from consumo.db import bind_tenant, session_factory
    from consumo.meters import service as meters
    from consumo.security.identity import Caller

    register(alice, receiver.url(), ["consumption.updated", "meter.deleted"])
    meter = create_meter(alice)
    _records_on(alice, meter, 2)
    caller = Caller(uuid.UUID(alice.user_id), uuid.UUID(alice.tenant_id), uuid.uuid4(), "owner")
    session = session_factory()()
    bind_tenant(session, caller.tenant_id)
    meters.delete_meter(session, caller, uuid.UUID(meter["id"]), precondition=lambda _version: True)
    session.rollback()
    session.close()
    assert deliveries_in_db(owner_engine, alice.tenant_id) == []
    assert alice.get(f"{API}/meters/{meter['id']}").status_code == 200


# --- every published event is in the contract ------------------------------------------------------------


def test_every_event_type_is_in_the_contract_enum_and_x_webhooks():
    from consumo.webhooks.events import EVENT_TYPES, TEST_EVENT

    spec = _contract()
    assert spec["components"]["schemas"]["WebhookEventType"]["enum"] == list(EVENT_TYPES)
    assert set(spec["x-webhooks"]) == {*EVENT_TYPES, TEST_EVENT}
    for event_type, hook in spec["x-webhooks"].items():
        example = hook["post"]["requestBody"]["content"]["application/json"]["example"]
        assert example["type"] == event_type
        assert_matches_contract(example)


# --- signing secrets at rest -------------------------------------------------------------------------


def _stored_secrets(owner_engine: Engine) -> list[tuple[str, str | None]]:
    with owner_engine.begin() as conn:
        return [tuple(row) for row in conn.execute(text("SELECT secret, previous_secret FROM webhook_endpoints"))]


def test_the_signing_secret_is_never_stored_in_clear(alice, receiver, local_allowed, owner_engine):
    endpoint = register(alice, receiver.url())
    rotated = alice.post(f"{WEBHOOKS}/{endpoint['id']}/rotate-secret").json()["secret"]
    ((stored, previous),) = _stored_secrets(owner_engine)
    for value in (stored, previous):
        assert value is not None and "whsec_" not in value and endpoint["secret"] not in value
        assert rotated.removeprefix("whsec_") not in value
    with owner_engine.begin() as conn:
        trail = conn.execute(text("SELECT changes::text FROM audit_events WHERE entity_type = 'webhook_endpoints'"))
        assert not any("whsec_" in row[0] or stored in row[0] for row in trail)


WEBHOOKS = f"{API}/webhooks"


def test_rotating_the_encryption_keys_keeps_deliveries_signing(
    alice, receiver, local_allowed, owner_engine, monkeypatch
):
    from consumo import cli
    from consumo.config import get_settings
    from consumo.security import sealing

    settings = get_settings()
    old_key = sealing.configured_keys()[0]  # the development key, derived from JWT_SECRET
    endpoint = register(alice, receiver.url(), ["meter.created"])
    sealed_before = _stored_secrets(owner_engine)[0][0]

    def delivered_and_verified(name: str) -> None:
        create_meter(alice, identifier=name)
        run_all_jobs()
        got = receiver.received[-1]
        assert Webhook(endpoint["secret"]).verify(got["body"], got["headers"])["data"]["name"] == "Home"

    new_key = Fernet.generate_key().decode()
    monkeypatch.setattr(settings, "webhook_secret_keys", f"{new_key},{old_key}")  # step 1: a new key first
    delivered_and_verified("M-1")  # still opened by the old key
    assert cli.reseal_secrets() == 1  # step 2: everything sealed under the new key
    sealed_after = _stored_secrets(owner_engine)[0][0]
    assert sealed_after != sealed_before
    monkeypatch.setattr(settings, "webhook_secret_keys", new_key)  # step 3: the old key dropped
    delivered_and_verified("M-2")
    assert len(receiver.received) == 2


def test_production_refuses_to_start_without_webhook_secret_keys(monkeypatch):
    from pydantic import ValidationError

    from consumo.config import Settings

    base = {"environment": "production", "jwt_secret": "x" * 40, "database_url": "postgresql://u@h/d"}
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET_KEYS"):
        Settings(**base)
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET_KEYS"):
        Settings(**base, webhook_secret_keys="not-a-key")
    assert Settings(**base, webhook_secret_keys=Fernet.generate_key().decode()).environment == "production"


# --- readings: created, updated, deleted, and the records derived from them ------------------------


def test_a_readings_life_is_announced_with_its_derived_records(alice, receiver, local_allowed, owner_engine):
    register(alice, receiver.url(), ["reading.created", "reading.updated", "reading.deleted", "consumption.deleted"])
    meter = create_meter(alice)
    readings = f"{API}/meters/{meter['id']}/readings"
    first = alice.post(readings, json={"date": "2026-01-01", "index_value": 100})
    second = alice.post(readings, json={"date": "2026-02-01", "index_value": 250})
    assert first.status_code == second.status_code == 201, second.text
    second_id = second.json()["id"]
    edited = alice.patch(f"{readings}/{second_id}", json={"index_value": 260}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    derived = alice.get(f"{API}/consumptions", params={"meter_id": meter["id"]}).json()["items"]
    assert len(derived) == 1
    gone = alice.delete(f"{readings}/{second_id}", headers={"If-Match": '"2"'})
    assert gone.status_code == 204, gone.text

    created = payloads(owner_engine, alice.tenant_id, "reading.created")
    assert [event["data"]["version"] for event in created] == [1, 1]
    (updated,) = payloads(owner_engine, alice.tenant_id, "reading.updated")
    assert updated["data"] == {
        "id": second_id,
        "meter_id": meter["id"],
        "reading_date": "2026-02-01",
        "index_value": "260.000",
        "version": 2,
    }
    (deleted,) = payloads(owner_engine, alice.tenant_id, "reading.deleted")
    assert deleted["data"]["id"] == second_id and deleted["data"]["version"] == 2
    # The record the deleted reading derived goes with it, announced like any deleted record.
    (record_deleted,) = payloads(owner_engine, alice.tenant_id, "consumption.deleted")
    assert record_deleted["data"]["id"] == derived[0]["id"]
    for event in [*created, updated, deleted, record_deleted]:
        assert_matches_contract(event)


def test_every_event_type_fits_in_one_endpoints_subscription(alice, receiver, local_allowed):
    from consumo.webhooks.events import EVENT_TYPES

    endpoint = alice.post(f"{API}/webhooks", json={"url": receiver.url(), "event_types": list(EVENT_TYPES)})
    assert endpoint.status_code == 201, endpoint.text
    assert sorted(endpoint.json()["event_types"]) == sorted(EVENT_TYPES)
