"""What hangs off a meter (its records, tariffs, readings and top-ups) is reached only through the
meter, so only through a meter the caller may reach (`meters.service.readable_meters` and its
writable variant). This is the one place that writes their tenant and meter filter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from consumo.meters.models import Meter


def on_meter(model: Any, meter: Meter) -> ColumnElement[bool]:
    """Rows of `model` (any table with `tenant_id` and `meter_id`) that belong to `meter`."""
    return and_(model.tenant_id == meter.tenant_id, model.meter_id == meter.id)
