"""In-app alerts: budgets projected over, a line's balance low, an allowance used up."""

from __future__ import annotations

from conftest import API, VALID_LINE, create_meter

ALERTS = f"{API}/alerts"


def test_a_new_user_has_no_alerts(alice):
    response = alice.get(ALERTS)
    assert response.status_code == 200 and response.json() == {"items": []}


def test_a_line_with_a_low_balance_and_a_used_up_allowance_alerts(alice, bob):
    line = create_meter(alice, **VALID_LINE)  # no top-up: balance 0, under the threshold
    types = {(a["type"], a["meter_id"]) for a in alice.get(ALERTS).json()["items"]}
    assert ("line.balance_low", line["id"]) in types
    assert not any(t == "line.allowance_exhausted" for t, _ in types)

    topped = alice.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": 100000})
    assert topped.status_code == 201, topped.text
    used = alice.post(f"{API}/meters/{line['id']}/simulate", json={"sms": 100})
    assert used.status_code in (200, 201), used.text
    items = alice.get(ALERTS).json()["items"]
    assert {"line.allowance_exhausted"} == {a["type"] for a in items}
    assert items[0]["kind"] == "sms" and items[0]["meter_name"] == "My phone"
    assert bob.get(ALERTS).json()["items"] == []  # another tenant sees none of it


def test_a_meter_projected_over_its_monthly_budget_alerts(alice):
    meter = create_meter(alice, monthly_budget_minor=100)
    from datetime import date

    today = date.today().isoformat()
    created = alice.post(
        f"{API}/consumptions",
        json={
            "kind": "electricity",
            "quantity": 10,
            "period_start": today,
            "period_end": today,
            "cost_minor": 5000,
            "currency": "EUR",
            "meter_id": meter["id"],
        },
    )
    assert created.status_code == 201, created.text
    items = alice.get(ALERTS).json()["items"]
    over = [a for a in items if a["type"] == "budget.projected_over" and a["meter_id"] == meter["id"]]
    assert len(over) == 1 and over[0]["limit_minor"] == 100 and over[0]["amount_minor"] > 100
