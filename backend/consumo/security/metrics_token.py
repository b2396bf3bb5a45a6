"""The static bearer token of `GET /metrics`, kept apart from user JWTs: a scraper is not a
user, belongs to no tenant, and a user's token must never read operational data."""

from __future__ import annotations

import hmac
from typing import Any

from consumo.config import get_settings
from consumo.problems import NotFound, Unauthorized


def verify_metrics_token(token: str) -> dict[str, Any]:
    """Connexion's check for the `metricsAuth` scheme. Without METRICS_TOKEN the endpoint
    does not exist: any bearer token gets a 404 (a request without one is a 401 first, as on
    every secured operation). Otherwise the token must match, compared in constant time."""
    expected = get_settings().metrics_token
    if expected is None:
        raise NotFound("No such resource.", code="not_found")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthorized("Invalid metrics token.", code="auth.metrics_token_invalid")
    return {"sub": "metrics-scraper"}
