from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String, func
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.db import Base


class AuditEvent(Base):
    """Who did what to which object of the tenant, with the changed fields before and after.

    Written by `consumo.audit.hook` in the same transaction as the change; append-only for the
    app role (it may insert and read, never update or delete) and pruned only by
    `consumo audit-prune`, as the table owner, after the retention period."""

    __tablename__ = "audit_events"
    __audit__ = False  # the trail itself
    __table_args__ = (Index("ix_audit_events_newest", "tenant_id", "seq"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # Insertion order: newest first is `seq` descending (many events share one transaction's time).
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=False))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_token_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    request_id: Mapped[str | None] = mapped_column(String(128))
    client_ip: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(512))
