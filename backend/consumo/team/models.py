from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.db import Base

INVITABLE_ROLES = ("admin", "member", "viewer")


class Invitation(Base):
    """An invitation to join a tenant with a role: a single-use token, stored as a SHA-256
    hash, valid until `expires_at`. Accepted, revoked or expired, it can no longer be redeemed."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(f"role IN {INVITABLE_ROLES!r}", name="ck_invitations_role"),
        Index("uq_invitations_token_hash", "tenant_id", "token_hash", unique=True),
        Index("ix_invitations_newest", "tenant_id", "created_at", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    # Who invited, kept when they leave (no foreign key, like the audit trail's actors).
    invited_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
