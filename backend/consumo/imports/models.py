"""An import: a CSV file parsed into a preview (staged rows, row errors), then committed
into consumption records in one transaction, or discarded; a committed one can be reverted."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from consumo.days import within_days
from consumo.db import Base

# validating: the file is stored and a job checks it (progress 0–100); rejected: it could not be
# read to the end (failure says why; nothing staged); ready: the preview is stored;
# committing/reverting: the runner is at work (progress 0–100); committed, reverted, failed (the
# commit or revert failed and changed nothing; retryable).
IMPORT_STATES = (
    "validating",
    "rejected",
    "ready",
    "committing",
    "committed",
    "reverting",
    "reverted",
    "failed",
)
DUPLICATE_KINDS = ("existing", "file")


class Import(Base):
    __tablename__ = "imports"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        CheckConstraint(f"state IN {IMPORT_STATES!r}", name="ck_imports_state"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="ck_imports_progress"),
        Index("ix_imports_owner_created", "tenant_id", "owner_id", "created_at", "id"),
        Index("ix_imports_tenant_created", "tenant_id", "created_at", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    state: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    filename: Mapped[str | None] = mapped_column(String(255))
    meter_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # How the file was read: column mapping (field → header), separator, decimal mark.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    total_rows: Mapped[int] = mapped_column(BigInteger, server_default="0")
    valid_rows: Mapped[int] = mapped_column(BigInteger, server_default="0")
    error_rows: Mapped[int] = mapped_column(BigInteger, server_default="0")
    duplicate_rows: Mapped[int] = mapped_column(BigInteger, server_default="0")
    skip_duplicates: Mapped[bool] = mapped_column(Boolean, server_default="false")
    records_created: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # The stored file's size while a job checks it (progress is the share of it read).
    upload_bytes: Mapped[int] = mapped_column(BigInteger, server_default="0")
    failure: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImportRow(Base):
    """A row of the file that passed every rule: the staging table the commit inserts from."""

    __tablename__ = "import_rows"
    __audit__ = False  # a preview's staging rows, written by COPY; the import's own events tell the story
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "import_id"], ["imports.tenant_id", "imports.id"], ondelete="CASCADE"),
        CheckConstraint(f"duplicate IS NULL OR duplicate IN {DUPLICATE_KINDS!r}", name="ck_import_rows_duplicate"),
        within_days("period_start", "period_end", name="ck_import_rows_days"),
        # The commit reads its chunks (ranges of period_start) in this order (migration 0013).
        Index("ix_import_rows_period", "tenant_id", "import_id", "period_start", "row_number"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    import_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    row_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(Numeric(13, 3))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    cost_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    notes: Mapped[str | None] = mapped_column(String(1000))
    cost_from_tariff: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # 'existing': same kind, period and meter as a record the owner has; 'file': an earlier row
    # of the same file has them.
    duplicate: Mapped[str | None] = mapped_column(String(8))


class ImportRowError(Base):
    """A row of the file that broke a rule, per column (the first MAX_STORED_ERRORS are kept)."""

    __tablename__ = "import_errors"
    __audit__ = False  # a preview's findings, derived from the file; the import's own events tell the story
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "import_id"], ["imports.tenant_id", "imports.id"], ondelete="CASCADE"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    import_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_number: Mapped[int] = mapped_column(BigInteger)
    column: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(300))


class ImportUpload(Base):
    """A piece (up to IMPORT_UPLOAD_PIECE bytes) of a file stored for its checking job; the job
    deletes the pieces once it has read them."""

    __tablename__ = "import_uploads"
    __audit__ = False  # the file as it arrived, for minutes; the import's own events tell the story
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "import_id"], ["imports.tenant_id", "imports.id"], ondelete="CASCADE"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    import_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
