"""Handlers give services the contract's generated request models (typed values: days, UUIDs,
exact decimals), and the generated models take every value the contract allows.

A number with `multipleOf` is generated as a Decimal: a float check of 0.001 would refuse exact
values such as 9394981.483 (binary rounding), which the contract allows. Responses state no
`multipleOf`, so they keep their floats and answer JSON numbers, as the contract says.
"""

from __future__ import annotations

import typing
from decimal import Decimal

import pytest
import yaml

from conftest import API, VALID_RECORD, create_meter, create_record

from consumo import api_models as api
from consumo.config import SPEC_PATH

EXACT = [9394981.483, 999999999.999, 76384005.614, 0.001]


@pytest.mark.parametrize("quantity", EXACT)
def test_the_generated_request_model_takes_exact_decimals(quantity):
    body = api.ConsumptionCreate.model_validate({**VALID_RECORD, "quantity": quantity})

    assert body.quantity == Decimal(str(quantity))
    assert api.ConsumptionUpdate.model_validate({"quantity": quantity}).quantity == Decimal(str(quantity))
    assert api.ReadingCreate.model_validate({"date": "2025-01-01", "index_value": quantity}).index_value == Decimal(
        str(quantity)
    )


def test_a_decimal_that_breaks_the_step_is_still_refused_by_the_model():
    with pytest.raises(ValueError, match="multiple"):
        api.ConsumptionCreate.model_validate({**VALID_RECORD, "quantity": 1.0005})


@pytest.mark.parametrize("quantity", EXACT)
def test_an_exact_quantity_is_stored_and_answered_exactly_on_create_and_on_edit(alice, quantity):
    record = create_record(alice, quantity=1)
    edited = alice.patch(
        f"{API}/consumptions/{record['id']}",
        json={"quantity": quantity},
        headers={"If-Match": f'"{record["version"]}"'},
    )

    assert edited.status_code == 200, edited.text
    assert edited.json()["quantity"] == quantity
    assert isinstance(edited.json()["quantity"], float | int)
    assert create_record(alice, quantity=quantity)["quantity"] == quantity


@pytest.mark.parametrize("index", [9394981.483, 999999.999])
def test_an_exact_meter_index_is_taken_on_create_and_on_correction(alice, index):
    meter = create_meter(alice)
    created = alice.post(f"{API}/meters/{meter['id']}/readings", json={"date": "2025-01-01", "index_value": index})
    assert created.status_code == 201, created.text
    reading = created.json()

    corrected = alice.patch(
        f"{API}/meters/{meter['id']}/readings/{reading['id']}",
        json={"index_value": index + 1},
        headers={"If-Match": f'"{reading["version"]}"'},
    )

    assert reading["index_value"] == index
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["index_value"] == float(Decimal(str(index)) + 1)


def test_an_exact_tariff_price_is_taken(alice):
    meter = create_meter(alice)

    response = alice.post(
        f"{API}/meters/{meter['id']}/tariffs",
        json={"valid_from": "2025-01-01", "unit_price_minor": 999999.9999, "fixed_daily_minor": 12.3457},
    )

    assert response.status_code == 201, response.text
    assert (response.json()["unit_price_minor"], response.json()["fixed_daily_minor"]) == (999999.9999, 12.3457)


def _response_schemas() -> set[str]:
    """The names of the component schemas a response can carry (directly or nested)."""
    spec = yaml.safe_load(SPEC_PATH.read_text())
    schemas = spec["components"]["schemas"]
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    visit(schemas[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                visit(operation.get("responses", {}))
    visit(spec["components"].get("responses", {}))
    return found


def test_no_response_model_holds_a_decimal_so_responses_answer_json_numbers():
    decimals = []
    for name in sorted(_response_schemas()):
        model = getattr(api, name, None)
        if isinstance(model, type) and issubclass(model, api.BaseModel):
            hints = typing.get_type_hints(model, include_extras=True)
            decimals += [f"{name}.{field}" for field, hint in hints.items() if "Decimal" in repr(hint)]
    assert decimals == []
    assert "Consumption" in _response_schemas() and "ConsumptionCreate" not in _response_schemas()
