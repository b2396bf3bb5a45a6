"""Contract fuzzing in process (schemathesis over ASGI): every operation, every check
(the `Allow` header of 405s included), a fixed seed, zero failures allowed. The statuses a
check accepts are exactly those the operation documents (consumo/fuzz_config.py).

Each example runs as a freshly registered user (an example may delete its own account or
change its password), and path parameters point at a record that user really owns, so
the fuzzer reaches the handlers and the database rather than stopping at 404.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from conftest import API, VALID_LINE, VALID_METER, VALID_RECORD, register_and_login
from consumo import fuzz_config
from consumo.currencies import ISO_4217

CONFIG = schemathesis.Config.from_dict(fuzz_config.settings())
# The contract's own format: what a valid value of it looks like.
schemathesis.openapi.format("iso-4217", st.sampled_from(sorted(ISO_4217)))
_usernames = (f"fuzz{n}" for n in itertools.count())


@pytest.fixture(scope="session")
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_asgi(f"{API}/openapi.json", app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


def _fresh_account_with_record(app: Any) -> tuple[Any, dict[str, Any]]:
    account = register_and_login(app, next(_usernames))
    created = account.post(f"{API}/consumptions", json=VALID_RECORD)
    assert created.status_code == 201, created.text
    return account, created.json()


# Operations after which the caller's token no longer works: they get an account of their own.
ACCOUNT_ENDING = {"delete_current_user", "change_password", "logout"}
# Operations that only exist on a mobile line; the other meter operations get a utility meter.
LINE_ONLY = {"get_meter_status", "create_top_up", "simulate_usage", "get_top_up"}


def _point_at_real_objects(case: Any, account: Any) -> None:
    """Path parameters name objects the caller really owns (positive examples only)."""
    params = case.path_parameters or {}
    if "member_id" in params:  # the caller themselves: the rules about one's own row answer
        params["member_id"] = account.user_id
    if "invitation_id" in params:
        invited = account.post(
            f"{API}/tenant/invitations", json={"email": f"{next(_usernames)}@example.com", "role": "member"}
        )
        assert invited.status_code == 201, invited.text
        params["invitation_id"] = invited.json()["id"]
    if "consumption_id" in params:
        created = account.post(f"{API}/consumptions", json=VALID_RECORD)
        assert created.status_code == 201, created.text
        params["consumption_id"] = created.json()["id"]
    if "meter_id" in params:
        operation_id = case.operation.definition.raw.get("operationId")
        meter = account.post(f"{API}/meters", json=VALID_LINE if operation_id in LINE_ONLY else VALID_METER)
        assert meter.status_code in (201, 409), meter.text
        found = account.get(f"{API}/meters?kind={'mobile_line' if operation_id in LINE_ONLY else 'electricity'}")
        meter_id = found.json()["items"][0]["id"]
        params["meter_id"] = meter_id
        if "tariff_id" in params:
            tariff = account.post(
                f"{API}/meters/{meter_id}/tariffs", json={"valid_from": "2024-01-01", "unit_price_minor": 12.5}
            )
            listed = account.get(f"{API}/meters/{meter_id}/tariffs").json()["items"]
            params["tariff_id"] = tariff.json()["id"] if tariff.status_code == 201 else listed[0]["id"]
        if "top_up_id" in params:
            top_up = account.post(f"{API}/meters/{meter_id}/top-ups", json={"amount_minor": 100})
            assert top_up.status_code == 201, top_up.text
            params["top_up_id"] = top_up.json()["id"]
        if "reading_id" in params:
            reading = account.post(f"{API}/meters/{meter_id}/readings", json={"date": "2024-01-01", "index_value": 10})
            listed = account.get(f"{API}/meters/{meter_id}/readings").json()["items"]
            params["reading_id"] = reading.json()["id"] if reading.status_code == 201 else listed[-1]["id"]


@pytest.fixture
def shared_account(app: Any) -> Any:
    """One account per operation under test (tables are emptied between tests)."""
    return register_and_login(app, next(_usernames))


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_contract(case: Any, app: Any, shared_account: Any) -> None:
    if case.operation.definition.raw.get("operationId") in ACCOUNT_ENDING:
        account, _ = _fresh_account_with_record(app)
    else:
        account = shared_account
    if case.path_parameters and case.meta.generation.mode.is_positive:
        _point_at_real_objects(case, account)
    case.call_and_validate(headers={"Authorization": f"Bearer {account.access_token}"})


@pytest.mark.slow
def test_stateful_runs_follow_the_links(app: Any) -> None:
    """Create a record, then get / update / delete it through the links, with its ETag.

    Positive data only: the stateless run above covers negative data, and here the
    caller's Authorization header is added to every step, which would turn a generated
    "missing Authorization" case into a valid request."""
    settings_data = fuzz_config.settings()
    settings_data.setdefault("generation", {})["mode"] = "positive"
    positive = schemathesis.openapi.from_asgi(
        f"{API}/openapi.json", app, config=schemathesis.Config.from_dict(settings_data)
    )
    machine = positive.as_state_machine()

    class Lifecycle(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            self.account, _ = _fresh_account_with_record(app)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {self.account.access_token}"}}

    Lifecycle.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
