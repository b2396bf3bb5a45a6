"""Imports every model so `Base.metadata` knows the whole schema (Alembic, tests, ERD)."""

from consumo.accounts.models import AuthSession, RefreshToken, Tenant, User
from consumo.alerts.models import AlertMark
from consumo.apitokens.models import ApiToken
from consumo.audit import hook as audit_hook
from consumo.audit.models import AuditEvent
from consumo.consumptions.models import ConsumptionRecord
from consumo.idempotency.models import IdempotencyKey
from consumo.imports.models import Import, ImportRow, ImportRowError
from consumo.kpis.models import Budget, ConsumptionDaily, ConsumptionMonthly
from consumo.lines.models import TopUp
from consumo.meters.models import Meter, MeterTariff
from consumo.readings.models import MeterReading
from consumo.team.models import Invitation
from consumo.webhooks import events as _webhook_events  # noqa: F401  (the flush hook that publishes events)
from consumo.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "AlertMark",
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "Budget",
    "ConsumptionDaily",
    "ConsumptionMonthly",
    "ConsumptionRecord",
    "IdempotencyKey",
    "Import",
    "ImportRow",
    "ImportRowError",
    "Invitation",
    "Meter",
    "MeterReading",
    "MeterTariff",
    "RefreshToken",
    "Tenant",
    "TopUp",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "audit_hook",
]
