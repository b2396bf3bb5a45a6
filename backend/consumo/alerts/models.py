from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.db import Base


class AlertMark(Base):
    """An alert event already published for its period: `budget.projected_over` once per month
    and budget, `line.allowance_exhausted` once per line, kind and billing cycle. The primary key
    is the rule: a second evaluation of the same period inserts nothing and publishes nothing."""

    __tablename__ = "alert_marks"
    # De-duplication marks written by the alert job; the event itself is in the outbox and the
    # changes that caused it are audited themselves.
    __audit__ = False

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    # "budget:<owner>:kind:<kind>", "budget:meter:<meter>", "allowance:<meter>:<kind>"
    alert_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
