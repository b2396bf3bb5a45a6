from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKeyConstraint, Index, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.db import Base


class TopUp(Base):
    """Prepaid balance added to a mobile line."""

    __tablename__ = "meter_top_ups"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "meter_id"], ["meters.tenant_id", "meters.id"], ondelete="CASCADE"),
        CheckConstraint("amount_minor > 0", name="ck_meter_top_ups_amount"),
        Index("ix_meter_top_ups_meter", "tenant_id", "meter_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    meter_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    balance_after_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
