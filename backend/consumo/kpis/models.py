from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKeyConstraint, Index, Integer, Numeric, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.db import Base

NO_METER = uuid.UUID(int=0)
NO_METER_SQL = text("'00000000-0000-0000-0000-000000000000'::uuid")


class ConsumptionDaily(Base):
    """Roll-up: each record spread evenly over the days of its period, summed per
    owner, kind, currency and day. Maintained by a trigger on `consumption_records`
    (migration 0002), in the same transaction as the write, so it is always exact."""

    __tablename__ = "consumption_daily"
    __audit__ = False  # derived from consumption_records by a trigger; the records' own events tell the story
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        Index("ix_consumption_daily_tenant_day", "tenant_id", "day"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    # The record's meter, or NO_METER for records without one (a primary key column cannot be null).
    meter_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=NO_METER_SQL)
    quantity: Mapped[Decimal] = mapped_column(Numeric(30, 12))
    cost_minor: Mapped[Decimal] = mapped_column(Numeric(30, 12))
    records: Mapped[int] = mapped_column(Integer)


class ConsumptionMonthly(Base):
    """The daily roll-up summed per calendar month (`month` is its first day), kept by the
    same trigger. Long ranges read whole months here and only their partial edge months
    from `consumption_daily`."""

    __tablename__ = "consumption_monthly"
    __audit__ = False  # derived from consumption_records by a trigger; the records' own events tell the story
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        Index("ix_consumption_monthly_tenant_month", "tenant_id", "month"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    # The record's meter, or NO_METER for records without one (a primary key column cannot be null).
    meter_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=NO_METER_SQL)
    quantity: Mapped[Decimal] = mapped_column(Numeric(30, 12))
    cost_minor: Mapped[Decimal] = mapped_column(Numeric(30, 12))
    records: Mapped[int] = mapped_column(Integer)


class Budget(Base):
    """A user's monthly limit for one kind: on quantity, on cost, or both."""

    __tablename__ = "budgets"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        CheckConstraint("quantity_limit IS NOT NULL OR cost_limit_minor IS NOT NULL", name="ck_budget_limit"),
        CheckConstraint("cost_limit_minor IS NULL OR currency IS NOT NULL", name="ck_budget_currency"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    quantity_limit: Mapped[Decimal | None] = mapped_column(Numeric(13, 3))
    cost_limit_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
