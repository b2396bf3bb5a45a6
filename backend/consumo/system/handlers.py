"""Liveness, readiness and metrics."""

from __future__ import annotations

import flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from consumo import api_models as api
from consumo import metrics
from consumo.http import db_session, respond
from consumo.problems import ServiceUnavailable


def get_health() -> flask.Response:
    return respond(api.HealthStatus(status="ok"))


def get_ready() -> flask.Response:
    try:
        db_session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise ServiceUnavailable("The database is not reachable.", code="unavailable.database") from None
    return respond(api.HealthStatus(status="ok"))


def get_metrics() -> flask.Response:
    return flask.Response(metrics.exposition(), status=200, mimetype=None, content_type=metrics.CONTENT_TYPE)
