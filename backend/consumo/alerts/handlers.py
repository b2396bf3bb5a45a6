"""HTTP handler for /alerts."""

from __future__ import annotations

import flask

from consumo import api_models as api
from consumo.alerts import service
from consumo.http import db_session, respond
from consumo.security.caller import current_caller


def list_alerts(limit: int = 25) -> flask.Response:
    alerts = service.current_alerts(db_session(), current_caller())[:limit]
    return respond(api.AlertList(items=[api.Alert.model_validate(alert, from_attributes=True) for alert in alerts]))
