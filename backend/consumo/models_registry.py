"""Imports every model so `Base.metadata` knows the whole schema (Alembic, tests, ERD)."""

from consumo.accounts.models import AuthSession, RefreshToken, Tenant, User
from consumo.consumptions.models import ConsumptionRecord
from consumo.idempotency import IdempotencyKey
from consumo.kpis.models import Budget, ConsumptionDaily, ConsumptionMonthly

__all__ = [
    "AuthSession", "Budget", "ConsumptionDaily", "ConsumptionMonthly", "ConsumptionRecord", "IdempotencyKey",
    "RefreshToken", "Tenant", "User",
]
