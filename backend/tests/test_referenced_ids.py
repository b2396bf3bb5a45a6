"""An id that a request refers to (in its body or as a filter) is looked up with the same
visibility as a GET of it, and one the caller cannot see answers exactly like one that
does not exist: another tenant's or another member's meter is indistinguishable from a
random id, and no constraint of the database ever turns into a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from conftest import API, VALID_RECORD, add_member, create_meter, create_record


def _answer(response: Any) -> tuple[int, Any]:
    body = response.json() if response.content else None
    if isinstance(body, dict):
        body.pop("instance", None)
    return response.status_code, body


@pytest.fixture
def dave(app, alice, owner_engine):
    """A member of alice's tenant: sees only his own records and meters."""
    return add_member(owner_engine, app, alice, "dave", "member")


@pytest.fixture
def foreign_meters(app, alice, bob, owner_engine) -> dict[str, str]:
    """Meters dave cannot see: bob's (another tenant), a fellow member's, and no meter at all."""
    member = add_member(owner_engine, app, alice, "carol", "member")
    return {
        "missing": str(uuid.uuid4()),
        "another tenant": create_meter(bob)["id"],
        "another member": create_meter(member)["id"],
    }


def _referring_requests(account, record_id: str) -> dict[str, Any]:
    """Every request that names a meter outside its path, as a function of that meter id."""
    days = {"from": "2025-01-01", "to": "2025-01-31"}
    return {
        "create_consumption": lambda meter_id: account.post(
            f"{API}/consumptions", json={**VALID_RECORD, "meter_id": meter_id}
        ),
        "update_consumption": lambda meter_id: account.patch(
            f"{API}/consumptions/{record_id}", json={"meter_id": meter_id}, headers={"If-Match": "*"}
        ),
        "update_consumption_kind_too": lambda meter_id: account.patch(
            f"{API}/consumptions/{record_id}", json={"meter_id": meter_id, "kind": "gas"}, headers={"If-Match": "*"}
        ),
        "list_consumptions": lambda meter_id: account.get(f"{API}/consumptions", params={"meter_id": meter_id}),
        "summarize_consumptions": lambda meter_id: account.get(
            f"{API}/consumptions/summary", params={"meter_id": meter_id}
        ),
        "get_kpi_summary": lambda meter_id: account.get(f"{API}/kpis/summary", params={**days, "meter_id": meter_id}),
        "get_kpi_timeseries": lambda meter_id: account.get(
            f"{API}/kpis/timeseries", params={**days, "interval": "day", "meter_id": meter_id}
        ),
        "get_kpi_breakdown": lambda meter_id: account.get(
            f"{API}/kpis/breakdown", params={**days, "meter_id": meter_id}
        ),
    }


@pytest.mark.parametrize("whose", ["another tenant", "another member"])
def test_every_referenced_meter_the_caller_cannot_see_answers_like_a_missing_one(dave, foreign_meters, whose):
    record = create_record(dave)
    for operation, send in _referring_requests(dave, record["id"]).items():
        missing = _answer(send(foreign_meters["missing"]))
        hidden = _answer(send(foreign_meters[whose]))

        assert missing[0] == 422, (operation, missing)
        assert hidden == missing, (operation, whose)
    assert dave.get(f"{API}/consumptions/{record['id']}").json() == record  # nothing changed


def test_patching_a_record_onto_another_tenants_meter_is_a_422_not_a_500(alice, bob):
    record = create_record(alice)

    response = alice.patch(
        f"{API}/consumptions/{record['id']}", json={"meter_id": create_meter(bob)["id"]}, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "meter_id", "message": "No such meter among yours.", "code": "meter.unknown"}
    ]


def test_a_meter_reference_still_works_for_the_callers_own_meter(alice):
    record = create_record(alice)
    meter = create_meter(alice)

    response = alice.patch(
        f"{API}/consumptions/{record['id']}", json={"meter_id": meter["id"].upper()}, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 200, response.text
    assert response.json()["meter_id"] == meter["id"]
