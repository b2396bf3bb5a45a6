"""A mobile line's ledger. Its rules (also in the contract and the README):
- usage charged to the line's balance (its simulations) is immutable: neither edited nor
  deleted, so the allowance it used up cannot be freed without the balance knowing;
- charges are rounded on the cycle's running total, so usage split over many requests pays
  exactly what it would in one, never less;
- a record put on a line by hand (an operator's statement, say) is usage the line already
  paid elsewhere: it counts against the cycle's allowances and never touches the balance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from conftest import API, VALID_LINE, assert_problem, create_meter


def _line(account: Any, identifier: str = VALID_LINE["identifier"], **plan: int) -> dict[str, Any]:
    line = create_meter(account, **{**VALID_LINE, "identifier": identifier, "plan": {**VALID_LINE["plan"], **plan}})
    assert account.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": 100000}).status_code == 201
    return line


def _simulate(account: Any, line: dict[str, Any], **usage: float) -> dict[str, Any]:
    response = account.post(f"{API}/meters/{line['id']}/simulate", json=usage)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _balance(account: Any, line: dict[str, Any]) -> int:
    return int(account.get(f"{API}/meters/{line['id']}").json()["balance_minor"])


def test_twenty_small_overages_cost_what_one_of_their_sum_costs(alice):
    split, whole = (
        _line(alice, data_mb=0, data_mb_price_minor=2),
        _line(alice, identifier="+56912345679", data_mb=0, data_mb_price_minor=2),
    )

    charges = [_simulate(alice, split, data_mb=0.249)["cost_minor"] for _ in range(20)]
    one = _simulate(alice, whole, data_mb=0.249 * 20)["cost_minor"]

    assert one == 10  # 4.98 MB × 2
    assert sum(charges) == one
    assert _balance(alice, split) == _balance(alice, whole) == 100000 - 10


@pytest.mark.parametrize("pieces", [[1.333, 1.333, 1.334], [0.001] * 7 + [3.993], [2.5, 0.5, 0.999, 0.001]])
def test_any_split_of_usage_pays_the_same_as_the_whole(alice, pieces):
    split, whole = (
        _line(alice, voice_minutes=0, voice_minute_price_minor=7),
        _line(alice, identifier="+56912345679", voice_minutes=0, voice_minute_price_minor=7),
    )

    paid = sum(_simulate(alice, split, voice_minutes=piece)["cost_minor"] for piece in pieces)
    total = float(sum(Decimal(str(piece)) for piece in pieces))

    assert paid == _simulate(alice, whole, voice_minutes=total)["cost_minor"]


def test_charged_usage_cannot_be_edited_or_deleted(alice):
    line = _line(alice, data_mb=0, data_mb_price_minor=2)
    record = _simulate(alice, line, data_mb=50)["records"][0]
    url = f"{API}/consumptions/{record['id']}"

    edited = alice.patch(url, json={"quantity": 0, "cost_minor": 0}, headers={"If-Match": '"1"'})
    deleted = alice.delete(url, headers={"If-Match": '"1"'})

    assert_problem(edited, 422)
    assert_problem(deleted, 422)
    assert alice.get(url).json() == record


def test_a_record_put_on_a_line_by_hand_uses_the_allowance_and_never_the_balance(alice):
    line = _line(alice, data_mb=100, data_mb_price_minor=2)
    before = _balance(alice, line)

    created = alice.post(
        f"{API}/consumptions",
        json={
            "kind": "mobile_data",
            "quantity": 999999,
            "period_start": "2025-01-01",
            "period_end": "2025-01-01",
            "meter_id": line["id"],
        },
    )
    status = alice.get(f"{API}/meters/{line['id']}/status").json()

    assert created.status_code == 201, created.text
    assert created.json()["cost_from_tariff"] is False
    assert _balance(alice, line) == before
    assert status["balance_minor"] == before
