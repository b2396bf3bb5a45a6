from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.days import within_days
from consumo.db import Base

METER_KINDS = ("electricity", "water", "gas", "mobile_line")
# Which record kinds a meter of each kind may hold.
RECORD_KINDS_BY_METER_KIND = {
    "electricity": ("electricity",),
    "water": ("water",),
    "gas": ("gas",),
    "mobile_line": ("mobile_data", "voice", "sms"),
}


class Meter(Base):
    """Where consumption is measured: a utility meter or a mobile line (which has a plan
    and a prepaid balance)."""

    __tablename__ = "meters"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "kind", "identifier", name="uq_meters_identifier"),
        CheckConstraint(f"kind IN {METER_KINDS!r}", name="ck_meters_kind"),
        CheckConstraint(
            "(kind = 'mobile_line') = (plan_cycle_start_day IS NOT NULL AND balance_minor IS NOT NULL)",
            name="ck_meters_line_plan",
        ),
        CheckConstraint("balance_minor IS NULL OR balance_minor >= 0", name="ck_meters_balance"),
        CheckConstraint(
            "low_balance_minor IS NULL OR (kind = 'mobile_line' AND low_balance_minor >= 0)",
            name="ck_meters_low_balance",
        ),
        CheckConstraint(
            "plan_cycle_start_day IS NULL OR plan_cycle_start_day BETWEEN 1 AND 28", name="ck_meters_cycle_day"
        ),
        Index("ix_meters_owner_name", "tenant_id", "owner_id", "name", "id"),
        Index("ix_meters_tenant_name", "tenant_id", "name", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    identifier: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    monthly_budget_minor: Mapped[int | None] = mapped_column(BigInteger)
    plan_data_mb: Mapped[int | None] = mapped_column(BigInteger)
    plan_voice_minutes: Mapped[int | None] = mapped_column(Integer)
    plan_sms: Mapped[int | None] = mapped_column(Integer)
    plan_cycle_start_day: Mapped[int | None] = mapped_column(Integer)
    plan_data_mb_price_minor: Mapped[int | None] = mapped_column(Integer)
    plan_voice_minute_price_minor: Mapped[int | None] = mapped_column(Integer)
    plan_sms_price_minor: Mapped[int | None] = mapped_column(Integer)
    balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    # A line's own low-balance threshold; NULL: the LINE_BALANCE_LOW_MINOR setting.
    low_balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    updated_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))

    @property
    def is_line(self) -> bool:
        return self.kind == "mobile_line"

    def low_balance_threshold(self, default: int) -> int:
        """The balance under which this line is low: its own threshold, else `default` (the setting)."""
        return self.low_balance_minor if self.low_balance_minor is not None else default


class MeterTariff(Base):
    """A price per unit and a fixed charge per day, in the meter's currency, from
    `valid_from` until the next tariff of the meter. Tariffs are never edited."""

    __tablename__ = "meter_tariffs"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "meter_id"], ["meters.tenant_id", "meters.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "meter_id", "valid_from", name="uq_meter_tariffs_valid_from"),
        CheckConstraint("unit_price_minor >= 0 AND fixed_daily_minor >= 0", name="ck_meter_tariffs_prices"),
        within_days("valid_from", name="ck_meter_tariffs_days"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    meter_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    valid_from: Mapped[date] = mapped_column(Date)
    unit_price_minor: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    fixed_daily_minor: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
