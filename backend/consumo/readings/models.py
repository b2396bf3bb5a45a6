from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    Numeric,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.days import within_days
from consumo.db import Base


class MeterReading(Base):
    """A meter's cumulative index at the start of a day, entered by hand. Consecutive
    readings derive the consumption records between them (`source = 'reading'`)."""

    __tablename__ = "meter_readings"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "meter_id"], ["meters.tenant_id", "meters.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "meter_id", "reading_date", name="uq_meter_readings_date"),
        CheckConstraint("index_value >= 0", name="ck_meter_readings_index"),
        CheckConstraint("replaced_meter_final_index IS NULL OR replacement", name="ck_meter_readings_replacement"),
        within_days("reading_date", name="ck_meter_readings_days"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    meter_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    reading_date: Mapped[date] = mapped_column(Date)
    index_value: Mapped[Decimal] = mapped_column(Numeric(13, 3))
    replacement: Mapped[bool] = mapped_column(Boolean, server_default="false")
    replaced_meter_final_index: Mapped[Decimal | None] = mapped_column(Numeric(13, 3))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    updated_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
