"""Operations: /metrics (its own token, counters that move, pool gauges) and access logs that
carry request id, tenant, user, operationId, status and duration."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import orjson
import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from conftest import API, register_and_login
from consumo.config import Settings, get_settings
from consumo.logging import JsonFormatter

METRICS_TOKEN = secrets.token_urlsafe(32)


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(get_settings(), "metrics_token", METRICS_TOKEN)
    return METRICS_TOKEN


def scrape(client: Any, token: str = METRICS_TOKEN) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get(f"{API}/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_of(samples: dict[Any, float], operation_id: str, status: str) -> float:
    key = ("consumo_http_requests_total", (("operation_id", operation_id), ("status", status)))
    return samples.get(key, 0.0)


def latency_count_of(samples: dict[Any, float], operation_id: str, status: str) -> float:
    key = ("consumo_http_request_duration_seconds_count", (("operation_id", operation_id), ("status", status)))
    return samples.get(key, 0.0)


def test_metrics_do_not_exist_when_no_token_is_configured(app, client):
    assert get_settings().metrics_token is None
    account = register_and_login(app, "curious")
    for headers in ({"Authorization": "Bearer anything"}, account.headers):
        response = client.get(f"{API}/metrics", headers=headers)
        assert response.status_code == 404, headers
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404
    # Without credentials it is a 401 first, like every secured operation.
    assert client.get(f"{API}/metrics").status_code == 401


def test_metrics_refuse_a_missing_or_wrong_token_and_a_users_access_token(app, client, metrics_on):
    account = register_and_login(app, "scrapeuser")
    for headers in ({}, {"Authorization": "Bearer " + "x" * len(metrics_on)}, account.headers):
        response = client.get(f"{API}/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/problem+json"
        assert "WWW-Authenticate" in response.headers
        assert "consumo_http_requests_total" not in response.text


def test_metrics_count_requests_and_their_latency_per_operation_and_status(client, metrics_on):
    assert client.get(f"{API}/ready").status_code == 200  # the pool exists and has lent a connection
    before = scrape(client)
    for _ in range(3):
        assert client.get(f"{API}/health").status_code == 200
    assert (
        client.post(f"{API}/auth/login", json={"username": "nobody", "password": "wrong-password"}).status_code == 401
    )
    assert client.get(f"{API}/no-such-path").status_code == 404
    after = scrape(client)

    assert requests_of(after, "get_health", "200") - requests_of(before, "get_health", "200") == 3
    assert latency_count_of(after, "get_health", "200") - latency_count_of(before, "get_health", "200") == 3
    assert requests_of(after, "login", "401") - requests_of(before, "login", "401") == 1
    assert requests_of(after, "unrouted", "404") - requests_of(before, "unrouted", "404") == 1
    # The scrape itself is counted once its response is sent.
    assert requests_of(after, "get_metrics", "200") - requests_of(before, "get_metrics", "200") == 1


def test_metrics_report_database_pool_usage(client, metrics_on):
    assert client.get(f"{API}/ready").status_code == 200
    samples = scrape(client)
    settings = get_settings()
    assert samples[("consumo_db_pool_capacity_connections", ())] >= 2 * settings.db_pool_size
    assert samples[("consumo_db_pool_open_connections", ())] >= 1
    # Nothing holds a connection between requests.
    assert samples[("consumo_db_pool_checked_out_connections", ())] == 0


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access_lines() -> Any:
    handler = _Collect()
    logger = logging.getLogger("consumo.access")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_the_access_line_carries_request_id_tenant_user_operation_status_and_duration(app, access_lines):
    account = register_and_login(app, "loggeduser")
    response = account.get(f"{API}/consumptions", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-123"

    [line] = [record for record in access_lines if getattr(record, "request_id", None) == "req-123"]
    entry = orjson.loads(JsonFormatter().format(line))
    assert entry["request_id"] == "req-123"
    assert entry["tenant_id"] == account.tenant_id
    assert entry["user_id"] == account.user_id
    assert entry["operation_id"] == "list_consumptions"
    assert entry["status"] == 200
    assert entry["method"] == "GET"
    assert isinstance(entry["duration_ms"], float)


def test_an_anonymous_request_logs_no_tenant_and_gets_a_fresh_request_id(client, access_lines):
    response = client.get(f"{API}/health", headers={"X-Request-ID": "bad id with spaces"})
    request_id = response.headers["X-Request-ID"]
    assert request_id != "bad id with spaces"
    [line] = [record for record in access_lines if getattr(record, "request_id", None) == request_id]
    assert line.operation_id == "get_health"  # type: ignore[attr-defined]
    assert not hasattr(line, "tenant_id")


def test_logs_are_json_in_production_unless_turned_off():
    production = {
        "environment": "production",
        "jwt_secret": secrets.token_urlsafe(48),
        "database_url": "postgresql://owner@db/consumo",
        "webhook_secret_keys": Fernet.generate_key().decode(),
    }
    assert Settings(**production).log_json is True
    assert Settings(**production, log_json=False).log_json is False
    assert Settings(environment="development").log_json is False


def test_production_refuses_a_short_metrics_token_and_an_empty_one_means_off():
    production = {
        "environment": "production",
        "jwt_secret": secrets.token_urlsafe(48),
        "database_url": "postgresql://owner@db/consumo",
        "webhook_secret_keys": Fernet.generate_key().decode(),
    }
    with pytest.raises(ValueError, match="METRICS_TOKEN"):
        Settings(**production, metrics_token="short")
    assert Settings(**production, metrics_token="").metrics_token is None
