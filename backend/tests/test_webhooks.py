"""Webhooks: endpoints (owner and admins), events enqueued in the transaction of the change,
delivery by the real job queue (procrastinate) signed per Standard Webhooks and verified with the
`standardwebhooks` package, retries with backoff, disablement after 3 days, SSRF refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from standardwebhooks import Webhook

from conftest import API, VALID_RECORD, Account, add_member, assert_problem, create_record

WEBHOOKS = f"{API}/webhooks"
pytestmark = pytest.mark.usefixtures("empty_job_queue")


# The receiver on 127.0.0.1, the allow-list that lets deliveries reach it and the emptied job
# queue are fixtures of conftest.py (the alert events' tests use them too).


def run_worker() -> None:
    """A real procrastinate worker that runs every job due now, then stops."""
    from consumo.jobs import job_app

    app = job_app()
    with app.open():
        app.run_worker(queues=["webhooks"], wait=False, install_signal_handlers=False)


def jobs(owner_engine: Engine) -> list[Any]:
    with owner_engine.begin() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT task_name, args, scheduled_at, status FROM procrastinate.procrastinate_jobs "
                    "WHERE task_name = 'deliver_webhook' ORDER BY id"
                )
            ).all()
        )


def deliveries_in_db(owner_engine: Engine, tenant_id: str) -> list[Any]:
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant_id})
        return list(conn.execute(text("SELECT * FROM webhook_deliveries ORDER BY created_at")).all())


def register(account: Account, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = account.post(WEBHOOKS, json={"url": url, "event_types": events or ["consumption.created"]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def only_delivery(account: Account, endpoint: dict[str, Any]) -> dict[str, Any]:
    items = account.get(f"{WEBHOOKS}/{endpoint['id']}/deliveries").json()["items"]
    assert len(items) == 1, items
    return dict(items[0])


# --- endpoints ------------------------------------------------------------------------------


def test_an_owner_registers_an_endpoint_and_sees_its_secret_once(alice, receiver, local_allowed):
    created = register(alice, receiver.url(), ["consumption.created", "meter.deleted"])
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["consumption.created", "meter.deleted"] and created["active"] is True
    read = alice.get(f"{WEBHOOKS}/{created['id']}")
    assert read.status_code == 200 and "secret" not in read.json()
    assert "secret" not in alice.get(WEBHOOKS).json()["items"][0]


def test_edits_and_deletes_need_the_current_version(alice, receiver, local_allowed):
    created = register(alice, receiver.url())
    url = f"{WEBHOOKS}/{created['id']}"
    assert_problem(alice.patch(url, json={"description": "x"}), 428)
    assert_problem(alice.patch(url, json={"description": "x"}, headers={"If-Match": '"9"'}), 412)
    edited = alice.patch(url, json={"description": "ERP", "active": False}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200 and edited.json()["active"] is False and edited.headers["ETag"] == '"2"'
    assert_problem(alice.delete(url, headers={"If-Match": '"1"'}), 412)
    assert alice.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert_problem(alice.get(url), 404)


def test_members_and_viewers_cannot_manage_webhooks_and_other_tenants_do_not_see_them(
    alice, bob, receiver, local_allowed, owner_engine, app
):
    created = register(alice, receiver.url())
    for role in ("member", "viewer"):
        someone = add_member(owner_engine, app, alice, f"u_{role}", role)
        assert_problem(someone.get(WEBHOOKS), 403)
        assert_problem(someone.get(f"{WEBHOOKS}/{created['id']}"), 404)
        assert_problem(someone.post(WEBHOOKS, json={"url": receiver.url(), "event_types": ["meter.created"]}), 403)
    admin = add_member(owner_engine, app, alice, "an_admin", "admin")
    assert admin.get(f"{WEBHOOKS}/{created['id']}").status_code == 200
    assert_problem(bob.get(f"{WEBHOOKS}/{created['id']}"), 404)
    assert_problem(bob.post(f"{WEBHOOKS}/{created['id']}/test"), 404)
    assert bob.get(WEBHOOKS).json()["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost/hook",  # a name that resolves to 127.0.0.1
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
        # multicast: `ipaddress` calls these global, but a group is never a webhook's one host
        "http://224.0.0.1/hook",
        "http://239.255.255.250:1900/",
        "http://[ff02::1]/hook",
        "http://[ff0e::1]/hook",
        "http://[::ffff:224.0.0.1]/hook",
    ],
)
def test_private_loopback_link_local_and_metadata_urls_are_refused(alice, url):
    assert_problem(alice.post(WEBHOOKS, json={"url": url, "event_types": ["meter.created"]}), 422, "url")


@pytest.mark.parametrize(
    "url",
    [
        "https://]8_+ui(M0_!Db;e5'O0",  # a malformed IPv6 literal (found by the fuzzer: it was a 500)
        "https://[::1",
        "https://example.com:99999/hook",  # a port out of range
        "https://example.com:port/hook",
    ],
)
def test_malformed_urls_are_refused_on_their_field(alice, url):
    assert_problem(alice.post(WEBHOOKS, json={"url": url, "event_types": ["meter.created"]}), 422, "url")


def test_unknown_event_types_are_refused(alice, receiver, local_allowed):
    refused = alice.post(WEBHOOKS, json={"url": receiver.url(), "event_types": ["consumption.eaten"]})
    assert_problem(refused, 400)


# --- events in the transaction of the change ------------------------------------------------


def test_a_change_enqueues_its_event_in_its_own_transaction_and_a_rolled_back_one_nothing(
    alice, receiver, local_allowed, owner_engine
):
    import uuid as uuid_module

    from consumo.consumptions import service as records
    from consumo.db import bind_tenant, session_factory
    from consumo.security.identity import Caller

    register(alice, receiver.url())
    caller = Caller(uuid_module.UUID(alice.user_id), uuid_module.UUID(alice.tenant_id), uuid_module.uuid4(), "owner")

    session = session_factory()()
    bind_tenant(session, caller.tenant_id)
    records.create_record(session, caller, dict(VALID_RECORD))
    session.flush()
    assert len(deliveries_in_db(owner_engine, alice.tenant_id)) == 0  # not visible before the commit
    session.rollback()
    session.close()
    assert deliveries_in_db(owner_engine, alice.tenant_id) == [] and jobs(owner_engine) == []

    session = session_factory()()
    bind_tenant(session, caller.tenant_id)
    records.create_record(session, caller, dict(VALID_RECORD))
    session.commit()
    session.close()
    assert len(deliveries_in_db(owner_engine, alice.tenant_id)) == 1
    assert [job.task_name for job in jobs(owner_engine)] == ["deliver_webhook"]


def test_events_reach_only_endpoints_subscribed_to_them(alice, receiver, local_allowed, owner_engine):
    register(alice, receiver.url("/records"), ["consumption.created"])
    register(alice, receiver.url("/meters"), ["meter.created", "meter.updated"])
    record = create_record(alice)
    meter = alice.post(f"{API}/meters", json={"kind": "water", "name": "Garden", "identifier": "W-1"}).json()
    alice.patch(f"{API}/meters/{meter['id']}", json={"name": "Garden tap"}, headers={"If-Match": '"1"'})
    alice.delete(f"{API}/consumptions/{record['id']}", headers={"If-Match": '"1"'})
    types = sorted(row.event_type for row in deliveries_in_db(owner_engine, alice.tenant_id))
    assert types == ["consumption.created", "meter.created", "meter.updated"]


# --- delivery -------------------------------------------------------------------------------


def test_a_worker_delivers_a_signed_event_that_standardwebhooks_verifies(alice, receiver, local_allowed):
    endpoint = register(alice, receiver.url())
    record = create_record(alice)
    run_worker()
    assert len(receiver.received) == 1
    got = receiver.received[0]
    event = Webhook(endpoint["secret"]).verify(got["body"], got["headers"])
    assert event["type"] == "consumption.created" and event["version"] == 1
    assert event["data"]["id"] == record["id"] and event["data"]["kind"] == "electricity"
    assert got["headers"]["webhook-id"].startswith("evt_")
    delivery = only_delivery(alice, endpoint)
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 1 and delivery["response_status"] == 204
    with pytest.raises(Exception):
        Webhook("whsec_" + "A" * 44).verify(got["body"], got["headers"])


def test_a_failing_receiver_is_retried_later_with_backoff_and_its_answer_truncated(
    alice, receiver, local_allowed, owner_engine
):
    endpoint = register(alice, receiver.url())
    receiver.status, receiver.body = 503, b"x" * 10_000
    create_record(alice)
    before = datetime.now(UTC)
    run_worker()
    delivery = only_delivery(alice, endpoint)
    assert delivery["status"] == "retrying" and delivery["attempts"] == 1 and delivery["response_status"] == 503
    assert len(delivery["response_body"]) == 2048
    next_retry = datetime.fromisoformat(delivery["next_retry_at"])
    assert before + timedelta(seconds=24) <= next_retry <= datetime.now(UTC) + timedelta(seconds=36)
    scheduled = [job for job in jobs(owner_engine) if job.status == "todo"]
    assert len(scheduled) == 1 and scheduled[0].scheduled_at == next_retry
    assert len(receiver.received) == 1  # not again before its time


def test_the_retry_schedule_spans_about_a_day_with_jitter():
    import random

    from consumo.webhooks.service import MAX_ATTEMPTS, retry_delay

    rng = random.Random(7)
    delays = [retry_delay(n, rng) for n in range(1, MAX_ATTEMPTS)]
    total = sum(delays, timedelta())
    assert timedelta(hours=18) < total < timedelta(hours=30)
    assert delays[0] < delays[5] < delays[-1] <= timedelta(hours=4.8)
    assert len({d.total_seconds() for d in delays}) == len(delays)  # jittered


def test_a_retried_delivery_succeeds_once_the_receiver_recovers(alice, receiver, local_allowed, owner_engine):
    endpoint = register(alice, receiver.url())
    receiver.status = 500
    create_record(alice)
    run_worker()
    receiver.status = 200
    with owner_engine.begin() as conn:  # its time has come
        conn.execute(text("UPDATE procrastinate.procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
    run_worker()
    delivery = only_delivery(alice, endpoint)
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
    assert receiver.received[0]["headers"]["webhook-id"] == receiver.received[1]["headers"]["webhook-id"]
    assert alice.get(f"{WEBHOOKS}/{endpoint['id']}").json()["failing_since"] is None


def test_an_endpoint_failing_for_three_days_is_disabled_and_says_why(alice, receiver, local_allowed, owner_engine):
    endpoint = register(alice, receiver.url())
    receiver.status = 500
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": alice.tenant_id})
        conn.execute(text("UPDATE webhook_endpoints SET failing_since = now() - interval '3 days 1 minute'"))
    create_record(alice)
    run_worker()
    read = alice.get(f"{WEBHOOKS}/{endpoint['id']}").json()
    assert read["active"] is False
    assert "failed for 3 days" in read["disabled_reason"] and "500" in read["disabled_reason"]
    assert only_delivery(alice, endpoint)["status"] == "failed"
    assert [job for job in jobs(owner_engine) if job.status == "todo"] == []
    create_record(alice)  # a disabled endpoint is sent nothing more
    assert len(deliveries_in_db(owner_engine, alice.tenant_id)) == 1
    enabled = alice.patch(f"{WEBHOOKS}/{endpoint['id']}", json={"active": True}, headers={"If-Match": '"1"'})
    assert enabled.status_code == 200 and enabled.json()["disabled_reason"] is None


def test_redirects_are_not_followed(alice, receiver, local_allowed):
    endpoint = register(alice, receiver.url("/moved"))
    receiver.status, receiver.headers = 302, {"Location": receiver.url("/elsewhere")}
    create_record(alice)
    run_worker()
    assert [r["path"] for r in receiver.received] == ["/moved"]
    delivery = only_delivery(alice, endpoint)
    assert delivery["status"] == "retrying" and "redirect" in delivery["error"]


def test_delivery_re_resolves_the_address_and_refuses_loopback_without_the_allow_list(
    alice, receiver, local_allowed, monkeypatch
):
    """Saved while allowed, delivered after the allow-list is gone: as a name that resolved to a
    public address when saved and to 127.0.0.1 later (DNS rebinding) would be."""
    from consumo.config import get_settings

    endpoint = register(alice, receiver.url(host="localhost"))
    create_record(alice)
    monkeypatch.setattr(get_settings(), "webhook_allowed_networks", "")
    run_worker()
    assert receiver.received == []
    delivery = only_delivery(alice, endpoint)
    assert delivery["status"] == "retrying" and delivery["response_status"] is None
    assert "127.0.0.1" in delivery["error"] or "::1" in delivery["error"]


def test_test_events_redelivery_and_secret_rotation(alice, receiver, local_allowed):
    endpoint = register(alice, receiver.url())
    queued = alice.post(f"{WEBHOOKS}/{endpoint['id']}/test")
    assert queued.status_code == 201 and queued.json()["event_type"] == "webhook.test"
    assert alice.get(queued.headers["Location"]).json()["id"] == queued.json()["id"]
    run_worker()
    first = receiver.received[0]
    assert Webhook(endpoint["secret"]).verify(first["body"], first["headers"])["type"] == "webhook.test"

    rotated = alice.post(f"{WEBHOOKS}/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] != endpoint["secret"]
    again = alice.post(f"{WEBHOOKS}/{endpoint['id']}/deliveries/{queued.json()['id']}/redeliver")
    assert again.status_code == 201 and again.json()["event_id"] == queued.json()["event_id"]
    run_worker()
    second = receiver.received[1]
    assert second["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert len(second["headers"]["webhook-signature"].split(" ")) == 2  # new and old secret, for a day
    for secret in (endpoint["secret"], rotated.json()["secret"]):
        assert Webhook(secret).verify(second["body"], second["headers"])["type"] == "webhook.test"
    missing = alice.post(f"{WEBHOOKS}/{endpoint['id']}/deliveries/{uuid.uuid4()}/redeliver")
    assert_problem(missing, 404)


def test_deliveries_are_listed_in_cursor_pages(alice, receiver, local_allowed):
    endpoint = register(alice, receiver.url())
    for _ in range(3):
        create_record(alice)
    first = alice.get(f"{WEBHOOKS}/{endpoint['id']}/deliveries", params={"limit": 2}).json()
    second = alice.get(
        f"{WEBHOOKS}/{endpoint['id']}/deliveries", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert all(d["status"] == "pending" for d in first["items"] + second["items"])
