from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.db import Base
from consumo.security import sealing


class WebhookEndpoint(Base):
    """Where a tenant wants its events POSTed, signed with the endpoint's secret (Standard
    Webhooks). Signing needs the secret itself, so it is kept encrypted (`security.sealing`,
    keys from WEBHOOK_SECRET_KEYS), never as such; it is shown only when made."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_created", "tenant_id", "created_at", "id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500), server_default="")
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    sealed_secret: Mapped[str] = mapped_column("secret", String(500))
    # After a rotation the old secret keeps signing (beside the new one) for a day, so receivers
    # can switch without losing a delivery.
    sealed_previous_secret: Mapped[str | None] = mapped_column("previous_secret", String(500))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))

    @property
    def secret(self) -> str:
        """The signing secret (`whsec_…`), opened with the configured keys."""
        return sealing.unseal(self.sealed_secret)

    @secret.setter
    def secret(self, plain: str) -> None:
        self.sealed_secret = sealing.seal(plain)


class WebhookDelivery(Base):
    """One event for one endpoint (the outbox row, written in the transaction of the change)
    and the outcome of its latest attempt."""

    __tablename__ = "webhook_deliveries"
    # The outbox and its delivery attempts (written by the publishing hook and the worker): the
    # changes they announce are audited themselves.
    __audit__ = False
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"], ["webhook_endpoints.tenant_id", "webhook_endpoints.id"], ondelete="CASCADE"
        ),
        Index("ix_webhook_deliveries_endpoint", "tenant_id", "endpoint_id", "created_at", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_id: Mapped[str] = mapped_column(String(40))  # the `webhook-id` header: the same on every attempt
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    response_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))
    next_retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
