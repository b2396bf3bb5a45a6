"""Imports every model so `Base.metadata` knows the whole schema (Alembic, tests, ERD)."""

from consumo.accounts.models import AuthSession, RefreshToken, Tenant, User
from consumo.consumptions.models import ConsumptionRecord
from consumo.idempotency import IdempotencyKey

__all__ = ["AuthSession", "ConsumptionRecord", "IdempotencyKey", "RefreshToken", "Tenant", "User"]
