from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.days import within_days
from consumo.db import Base

UNIT_BY_KIND = {
    "electricity": "kWh",
    "water": "m3",
    "gas": "m3",
    "mobile_data": "MB",
    "voice": "min",
    "sms": "count",
}
SOURCES = ("manual", "import", "api", "simulation", "reading")


class ConsumptionRecord(Base):
    __tablename__ = "consumption_records"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        CheckConstraint(f"kind IN {tuple(UNIT_BY_KIND)!r}", name="ck_consumption_kind"),
        CheckConstraint(f"source IN {SOURCES!r}", name="ck_consumption_source"),
        CheckConstraint("quantity >= 0", name="ck_consumption_quantity"),
        CheckConstraint("period_end >= period_start", name="ck_consumption_period"),
        within_days("period_start", "period_end", name="ck_consumption_days"),
        CheckConstraint("cost_minor IS NULL OR cost_minor >= 0", name="ck_consumption_cost"),
        # Keyset pagination: one index per sort order, per owner (the common scope).
        Index(
            "ix_consumption_owner_period",
            "tenant_id",
            "owner_id",
            "period_start",
            "id",
        ),
        Index(
            "ix_consumption_owner_created",
            "tenant_id",
            "owner_id",
            "created_at",
            "id",
        ),
        Index("ix_consumption_tenant_period", "tenant_id", "period_start", "id"),
        # Records stay when their meter or reading goes: the services detach them first.
        ForeignKeyConstraint(["tenant_id", "meter_id"], ["meters.tenant_id", "meters.id"], name="fk_consumption_meter"),
        ForeignKeyConstraint(
            ["tenant_id", "reading_id"],
            ["meter_readings.tenant_id", "meter_readings.id"],
            name="fk_consumption_reading",
        ),
        Index(
            "ix_consumption_meter_period",
            "tenant_id",
            "meter_id",
            "period_start",
            postgresql_where="meter_id IS NOT NULL",
        ),
        Index(
            "uq_consumption_reading", "tenant_id", "reading_id", unique=True, postgresql_where="reading_id IS NOT NULL"
        ),
        CheckConstraint("reading_id IS NULL OR meter_id IS NOT NULL", name="ck_consumption_reading_meter"),
        # The import a record came from (source 'import'), so the whole import can be reverted.
        ForeignKeyConstraint(
            ["tenant_id", "import_id"], ["imports.tenant_id", "imports.id"], name="fk_consumption_import"
        ),
        Index("ix_consumption_import", "tenant_id", "import_id", postgresql_where="import_id IS NOT NULL"),
        # Overlapping records (same owner, kind and meter or none, periods sharing a day): migration 0011.
        Index(
            "ix_consumption_overlap",
            "tenant_id",
            "owner_id",
            "kind",
            "period_start",
            postgresql_include=["period_end", "meter_id"],
        ),
        Index(
            "ix_consumption_overlap_long",
            "tenant_id",
            "owner_id",
            "kind",
            "period_start",
            postgresql_include=["period_end", "meter_id"],
            postgresql_where=text("period_end - period_start >= 31"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(Numeric(13, 3))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    cost_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(16), server_default="manual")
    notes: Mapped[str | None] = mapped_column(String(1000))
    meter_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # True when cost_minor was computed from the meter's tariffs and follows them.
    cost_from_tariff: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # The later of the two readings this record was derived from (source 'reading').
    reading_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    import_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    updated_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))

    @property
    def unit(self) -> str:
        return UNIT_BY_KIND[self.kind]
