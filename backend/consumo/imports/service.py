"""CSV imports: a dry-run preview stored before anything is recorded, then an atomic commit
(one set-based insert from the staged rows; the roll-ups follow once per statement), a revert
while none of the records was edited, and the history.

The long steps (`commit_rows`, `revert_rows`) take a plain connection and report progress
through a callback, so they run the same in the request, in a background thread
(`consumo.imports.runner`) or in a job worker.
"""

from __future__ import annotations

import io
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any, cast

import psycopg
from sqlalchemy import Connection, Select, insert, select, text
from sqlalchemy.orm import Session

from consumo.audit import hook as audit
from consumo.config import get_settings
from consumo.db import TENANT_KEY
from consumo.imports.models import Import, ImportRow, ImportRowError, ImportUpload
from consumo.imports.parser import HEAD_BYTES, CsvReader, ParsedRow, ReadOptions, RowProblem, open_csv, parse_row
from consumo.meters import pricing
from consumo.meters import service as meters
from consumo.meters.models import RECORD_KINDS_BY_METER_KIND, Meter
from consumo.paging import Page, by_position, by_time_and_id, keyset_page
from consumo.problems import Conflict, Forbidden, NotFound, UnprocessableContent
from consumo.security.identity import Caller
from consumo.webhooks import events as webhook_events

MAX_STORED_ERRORS = 10_000
COPY_ROWS = 20_000  # rows per COPY into the staging table
COMMIT_CHUNKS = 10  # progress steps of a commit (each one set-based insert)
# A commit or revert whose process died leaves its state behind; with no runner holding its
# lock and no progress for this long, it is reported as failed (and may be retried).
ABANDONED_AFTER_S = 120


# --- scoping: the only place that decides which imports a caller reaches -------------------


def readable_imports(caller: Caller) -> Select[tuple[Import]]:
    """The caller's own imports (an import is its owner's work in progress)."""
    return select(Import).where(Import.tenant_id == caller.tenant_id, Import.owner_id == caller.user_id)


def of_import(model: type[ImportRow] | type[ImportRowError], job: Import) -> Any:
    """The rows of `model` that belong to `job` (an import the caller reached)."""
    return (model.tenant_id == job.tenant_id) & (model.import_id == job.id)


def _lock_key(import_id: uuid.UUID) -> int:
    return uuid.UUID(int=import_id.int).int % (2**63)


def get_import(session: Session, caller: Caller, import_id: uuid.UUID, *, for_update: bool = False) -> Import:
    statement = readable_imports(caller).where(Import.id == import_id)
    # FOR NO KEY UPDATE: it serialises the import's state changes without waiting for a job that
    # holds the row FOR KEY SHARE (the foreign keys of the rows it stages or records take that
    # lock) until its transaction ends: a commit or discard of an import at work answers 409 at once.
    locked = statement.with_for_update(key_share=True) if for_update else statement
    found = session.execute(locked).scalar_one_or_none()
    if found is None:
        raise NotFound("No such import.", code="import.not_found")
    _settle_abandoned(session, found)
    return found


def _settle_abandoned(session: Session, job: Import) -> None:
    """A commit or revert whose runner is gone (its process died: its transaction rolled back,
    nothing changed) is reported as failed, so it can be retried."""
    if job.state not in ("committing", "reverting"):
        return
    if (datetime.now(UTC) - job.updated_at).total_seconds() < ABANDONED_AFTER_S:
        return
    free = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(job.id)}).scalar_one()
    if free:
        job.failure = "The work was interrupted; nothing changed. Try again."
        job.state, job.progress, job.updated_at = "failed", 0, datetime.now(UTC)
        session.flush()


# --- the preview ----------------------------------------------------------------------------

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Upload:
    stream: IO[bytes]
    options: ReadOptions
    meter_id: uuid.UUID | None = None
    filename: str | None = None


_STAGE = """
CREATE TEMP TABLE import_stage (
    row_number bigint, kind text, quantity numeric(13, 3), period_start date, period_end date,
    cost_minor bigint, currency text, notes text, cost_from_tariff boolean
) ON COMMIT DROP"""


def _set_long_timeout(connection: Connection) -> None:
    connection.execute(
        text("SELECT set_config('statement_timeout', :timeout, true)"),
        {"timeout": str(get_settings().import_statement_timeout_ms)},
    )


class _Pricing:
    """The import's meter: whether a row's kind fits it, and its tariff cost for rows without one."""

    def __init__(self, session: Session, meter: Meter | None) -> None:
        self.meter = meter
        self.tariffs = pricing.tariffs_of(session, meter) if meter and pricing.follows_tariffs(meter) else None

    def apply(self, row: ParsedRow) -> tuple[ParsedRow, bool] | RowProblem:
        if self.meter is None:
            return row, False
        if row.kind not in RECORD_KINDS_BY_METER_KIND[self.meter.kind]:
            allowed = ", ".join(RECORD_KINDS_BY_METER_KIND[self.meter.kind])
            return RowProblem(row.row, "kind", f"The {self.meter.kind} meter holds only {allowed} records.")
        if self.tariffs is None or row.cost_minor is not None:
            return row, False
        cost = pricing.price(self.tariffs, row.quantity, row.period_start, row.period_end)
        priced = ParsedRow(
            row.row, row.kind, row.quantity, row.period_start, row.period_end, cost, self.meter.currency, row.notes
        )
        return priced, True


def create_import(session: Session, caller: Caller, upload: Upload) -> Import:
    """The preview of an uploaded file. Its header is checked now, whatever its size. A file of
    up to IMPORT_INLINE_BYTES is then read whole in this request: the import is `ready`. A
    larger one is stored as it arrives (`import_uploads`) and the import is `validating`: the
    caller queues `validate_rows` in this transaction. Nothing is recorded either way."""
    if not caller.can_write:
        raise Forbidden("Your role may read but not record consumption.", code="role.read_only")
    meter = None
    if upload.meter_id is not None:
        meter = session.execute(
            meters.readable_meters(caller, "mine").where(Meter.id == upload.meter_id)
        ).scalar_one_or_none()
        if meter is None:
            raise UnprocessableContent("No such meter among yours.", field="meter_id", code="meter.unknown")
    inline_bytes = get_settings().import_inline_bytes
    # At least the parser's head: the request checks what a job would (binary content, the header).
    head = _read_up_to(upload.stream, max(inline_bytes + 1, HEAD_BYTES))
    reader = open_csv(io.BytesIO(head), upload.options)  # a file without a usable header stops here
    default_currency = meter.currency if meter is not None else caller.default_currency
    now = datetime.now(UTC)
    job = Import(
        tenant_id=caller.tenant_id,
        id=uuid.uuid4(),
        owner_id=caller.user_id,
        state="ready" if len(head) <= inline_bytes else "validating",
        progress=0,
        filename=upload.filename,
        meter_id=meter.id if meter else None,
        # How the file is read, again by the job that checks a stored file.
        settings={
            "delimiter": reader.layout.delimiter,
            "decimal": reader.layout.decimal,
            "date_format": upload.options.date_format,
            "columns": {name: reader.layout.header[index] for name, index in reader.layout.columns.items()},
            "kind": upload.options.kind,
            "currency": upload.options.currency,
            "default_currency": default_currency,
        },
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    if job.state == "ready":
        _stage(session, job, reader, upload.options, meter)
    else:
        _store(session, job, head, upload.stream)
    return job


UPLOAD_PIECE = 1024 * 1024  # bytes per stored piece of a file checked by a job


def _read_up_to(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes of `stream` (fewer only at its end)."""
    parts: list[bytes] = []
    wanted = size
    while wanted > 0:
        part = stream.read(min(wanted, UPLOAD_PIECE))
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def _store(session: Session, job: Import, head: bytes, stream: IO[bytes]) -> None:
    """The file, in pieces as it arrives (memory bounded by one piece), for the job to read."""
    connection = session.connection()
    _set_long_timeout(connection)
    seq, size, pending = 0, 0, head
    while True:
        if len(pending) < UPLOAD_PIECE:
            pending += _read_up_to(stream, UPLOAD_PIECE - len(pending))
        if not pending:
            break
        part, pending = pending[:UPLOAD_PIECE], pending[UPLOAD_PIECE:]
        seq += 1
        size += len(part)
        connection.execute(
            insert(ImportUpload), {"tenant_id": job.tenant_id, "import_id": job.id, "seq": seq, "data": part}
        )
    job.upload_bytes = size
    session.flush()


class _StoredFile(io.RawIOBase):
    """A stored file read back piece by piece, reporting the share read so far."""

    def __init__(self, connection: Connection, job: Import, progress: Progress) -> None:
        self.connection, self.job, self.progress = connection, job, progress
        self.seq, self.read_bytes, self.pending = 0, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self.pending:
            self.seq += 1
            piece = self.connection.execute(
                text(
                    "SELECT data FROM import_uploads"
                    " WHERE tenant_id = :tenant AND import_id = :import_id AND seq = :seq"
                ),
                {"tenant": self.job.tenant_id, "import_id": self.job.id, "seq": self.seq},
            ).scalar_one_or_none()
            if piece is None:
                return 0
            self.pending = bytes(piece)
            self.read_bytes += len(self.pending)
            self.progress(min(95, self.read_bytes * 95 // max(1, self.job.upload_bytes)))
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        return size


class MeterGone(UnprocessableContent):
    """The import's meter was deleted since the upload (a 422 in a request; in a job, the import
    says so: `rejected` while checking, `failed` at its commit)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="meter_id", code="import.meter_gone")


def _hold_meter(connection: Connection, tenant_id: uuid.UUID, meter_id: uuid.UUID) -> bool:
    """Whether the meter still exists, then held (FOR KEY SHARE, as a foreign key holds it) until
    the transaction ends."""
    held = connection.execute(
        text("SELECT 1 FROM meters WHERE tenant_id = :tenant AND id = :meter FOR KEY SHARE"),
        {"tenant": tenant_id, "meter": meter_id},
    ).first()
    return held is not None


def validate_rows(connection: Connection, tenant_id: uuid.UUID, import_id: uuid.UUID, progress: Progress) -> None:
    """A stored file's preview, in the connection's transaction (the body of the checking job):
    the same reading as a small file's in its request, then the pieces go and the import is
    `ready`. A file that cannot be read to the end raises UnprocessableContent (the caller rolls
    back and records it `rejected`). An import no longer `validating` is left as it is."""
    _set_long_timeout(connection)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(import_id)})
    # A session on this very connection, in a savepoint of its transaction (released below).
    with Session(bind=connection, join_transaction_mode="create_savepoint", info={TENANT_KEY: tenant_id}) as session:
        job = session.get(Import, (tenant_id, import_id))
        if job is None or job.state != "validating":
            return
        audit.set_actor(session, job.owner_id)
        meter = session.get(Meter, (tenant_id, job.meter_id)) if job.meter_id is not None else None
        if job.meter_id is not None and meter is None:
            raise MeterGone("The import's meter was deleted while its file was checked; upload the file again.")
        settings = job.settings
        options = ReadOptions(
            columns=dict(settings["columns"]),
            kind=settings.get("kind"),
            currency=settings.get("currency"),
            delimiter=settings["delimiter"],
            decimal=settings["decimal"],
            date_format=settings["date_format"],
        )
        reader = open_csv(io.BufferedReader(_StoredFile(connection, job, progress), UPLOAD_PIECE), options)
        _stage(session, job, reader, options, meter)
        # The meter may have been deleted while the file was read (nothing held it): the preview
        # would then be one that can never be committed. Held from here to the commit, so a
        # deletion either came first (rejected) or waits for this transaction.
        if meter is not None and not _hold_meter(connection, tenant_id, meter.id):
            raise MeterGone("The import's meter was deleted while its file was checked; upload the file again.")
        connection.execute(
            text("DELETE FROM import_uploads WHERE tenant_id = :tenant AND import_id = :import_id"),
            {"tenant": tenant_id, "import_id": import_id},
        )
        session.refresh(job, ["progress"])  # written apart while reading: 0 must be a change
        job.state, job.progress, job.updated_at, job.version = "ready", 0, datetime.now(UTC), job.version + 1
        session.commit()


def record_rejection(connection: Connection, tenant_id: uuid.UUID, import_id: uuid.UUID, message: str) -> None:
    """After a stored file that could not be read to the end (rolled back, nothing staged): the
    import says why, and its file goes."""
    binds = {"tenant": tenant_id, "import_id": import_id, "message": message[:500]}
    updated = connection.execute(
        text("""
        UPDATE imports SET state = 'rejected', failure = :message, progress = 0, updated_at = now(),
               version = version + 1
        WHERE tenant_id = :tenant AND id = :import_id AND state = 'validating'"""),
        binds,
    ).rowcount
    if updated:
        connection.execute(
            text("DELETE FROM import_uploads WHERE tenant_id = :tenant AND import_id = :import_id"), binds
        )


def _stage(session: Session, job: Import, reader: CsvReader, options: ReadOptions, meter: Meter | None) -> None:
    """Reads every row: the valid ones into the preview (`import_rows`, likely duplicates marked),
    the others' problems into `import_errors`; the counts onto the import."""
    connection = session.connection()
    _set_long_timeout(connection)
    connection.execute(text(_STAGE))
    prices = _Pricing(session, meter)
    total = valid = errors = 0
    stored_errors: list[tuple[Any, ...]] = []
    staged: list[tuple[Any, ...]] = []
    raw = cast(psycopg.Connection[Any], connection.connection.dbapi_connection)

    def flush_staged() -> None:
        with (
            raw.cursor() as cursor,
            cursor.copy(
                "COPY import_stage (row_number, kind, quantity, period_start, period_end, cost_minor, currency, notes,"
                " cost_from_tariff) FROM STDIN"
            ) as copy,
        ):
            for values in staged:
                copy.write_row(values)
        staged.clear()

    currency = job.settings["default_currency"]  # of rows without one, when the file or query names none
    for number, cells in reader.rows():
        total += 1
        parsed = parse_row(number, cells, reader.layout, options, currency)
        result = prices.apply(parsed) if isinstance(parsed, ParsedRow) else parsed
        if isinstance(result, tuple):
            row, from_tariff = result
            valid += 1
            staged.append(
                (
                    row.row,
                    row.kind,
                    row.quantity,
                    row.period_start,
                    row.period_end,
                    row.cost_minor,
                    row.currency,
                    row.notes,
                    from_tariff,
                )
            )
            if len(staged) >= COPY_ROWS:
                flush_staged()
            continue
        errors += 1
        for problem in result if isinstance(result, list) else [result]:
            if len(stored_errors) < MAX_STORED_ERRORS:
                stored_errors.append((problem.row, problem.column, problem.message[:300]))
    flush_staged()
    if total == 0:
        raise UnprocessableContent("The file has a header but no rows.", field="body", code="import.no_rows")
    # One set-based insert from the session's staging table into the preview (COPY cannot
    # write through row-level security; INSERT checks every row against the tenant policy).
    # Partitioned by period first, so the rows are stored (and ix_import_rows_period written)
    # nearly in the order the commit reads them.
    binds = {"tenant": job.tenant_id, "import_id": job.id, "owner": job.owner_id, "meter": job.meter_id}
    connection.execute(
        text("""
        INSERT INTO import_rows (tenant_id, import_id, row_number, kind, quantity, period_start, period_end,
                                 cost_minor, currency, notes, cost_from_tariff, duplicate)
        SELECT :tenant, :import_id, s.row_number, s.kind, s.quantity, s.period_start, s.period_end,
               s.cost_minor, s.currency, s.notes, s.cost_from_tariff,
               CASE WHEN row_number() OVER same_record > 1 THEN 'file' END
        FROM import_stage s
        WINDOW same_record AS (PARTITION BY s.period_start, s.kind, s.period_end ORDER BY s.row_number)"""),
        binds,
    )
    # Likely duplicates of what the owner already has: same kind, period and meter.
    connection.execute(
        text("""
        UPDATE import_rows s SET duplicate = 'existing'
        WHERE s.tenant_id = :tenant AND s.import_id = :import_id AND EXISTS (
            SELECT 1 FROM consumption_records r
            WHERE r.tenant_id = s.tenant_id AND r.owner_id = :owner AND r.kind = s.kind
              AND r.period_start = s.period_start AND r.period_end = s.period_end
              AND r.meter_id IS NOT DISTINCT FROM CAST(:meter AS uuid))"""),
        binds,
    )
    if stored_errors:
        session.execute(
            insert(ImportRowError),
            [
                {
                    "tenant_id": job.tenant_id,
                    "import_id": job.id,
                    "seq": seq,
                    "row_number": row,
                    "column": column,
                    "message": message,
                }
                for seq, (row, column, message) in enumerate(stored_errors, start=1)
            ],
        )
    duplicates = connection.execute(
        text(
            "SELECT count(*) FROM import_rows WHERE tenant_id = :tenant AND import_id = :import_id"
            " AND duplicate IS NOT NULL"
        ),
        binds,
    ).scalar_one()
    job.total_rows, job.valid_rows, job.error_rows, job.duplicate_rows = total, valid, errors, duplicates
    session.flush()


# --- history and the preview's pages --------------------------------------------------------


IMPORTS_NEWEST_FIRST = by_time_and_id(Import.created_at, Import.id, descending=True)


def list_imports(session: Session, caller: Caller, *, limit: int, cursor: str | None) -> Page[Import]:
    page: Page[Import] = keyset_page(
        session, readable_imports(caller), IMPORTS_NEWEST_FIRST, limit=limit, cursor=cursor
    )
    for job in page.items:
        _settle_abandoned(session, job)
    return page


ERRORS_IN_ORDER = by_position(ImportRowError.seq)
ROWS_IN_ORDER = by_position(ImportRow.row_number)


def list_errors(
    session: Session, caller: Caller, import_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ImportRowError]:
    job = get_import(session, caller, import_id)
    statement = select(ImportRowError).where(of_import(ImportRowError, job))
    return keyset_page(session, statement, ERRORS_IN_ORDER, limit=limit, cursor=cursor, scope=job.id)


def list_rows(
    session: Session, caller: Caller, import_id: uuid.UUID, *, duplicates: bool, limit: int, cursor: str | None
) -> Page[ImportRow]:
    job = get_import(session, caller, import_id)
    statement = select(ImportRow).where(of_import(ImportRow, job))
    if duplicates:
        statement = statement.where(ImportRow.duplicate.is_not(None))
    return keyset_page(session, statement, ROWS_IN_ORDER, limit=limit, cursor=cursor, scope=job.id)


def discard_import(session: Session, caller: Caller, import_id: uuid.UUID) -> None:
    """A ready, rejected, failed or reverted import goes, with its preview; so does one whose file
    waits for its checking job (the job then finds nothing to do), but not while the job reads it."""
    job = get_import(session, caller, import_id, for_update=True)
    if (
        job.state == "validating"
        and not session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(job.id)}).scalar_one()
    ):
        raise Conflict(
            "This import's file is being checked right now; discard it once the check is over.",
            code="import.not_discardable",
        )
    if job.state not in ("validating", "rejected", "ready", "failed", "reverted"):
        raise Conflict(
            f"An import that is {job.state} cannot be discarded"
            + ("; revert it first." if job.state == "committed" else "."),
            code="import.not_discardable",
        )
    session.delete(job)
    session.flush()


# --- commit and revert ----------------------------------------------------------------------


def start_commit(session: Session, caller: Caller, import_id: uuid.UUID, *, skip_duplicates: bool) -> Import:
    """Moves a ready (or failed) import to `committing`; the caller then runs `commit_rows`."""
    if not caller.can_write:
        raise Forbidden("Your role may read but not record consumption.", code="role.read_only")
    job = get_import(session, caller, import_id, for_update=True)
    if job.state not in ("ready", "failed") or job.committed_at is not None:
        raise Conflict(f"Only a ready import can be committed; this one is {job.state}.", code="import.not_ready")
    if (
        job.meter_id is not None
        and session.execute(meters.readable_meters(caller, "mine").where(Meter.id == job.meter_id)).scalar_one_or_none()
        is None
    ):
        raise MeterGone("The import's meter was deleted since the preview; upload the file again.")
    job.state, job.progress, job.failure, job.skip_duplicates = "committing", 0, None, skip_duplicates
    job.updated_at = datetime.now(UTC)
    session.flush()
    return job


def _chunks_by_period(
    connection: Connection, tenant_id: uuid.UUID, import_id: uuid.UUID
) -> tuple[list[tuple[date, date]], int]:
    """The commit's chunks: consecutive ranges of period_start (first and last day), about
    COMMIT_CHUNKS of them (one day's rows stay in one chunk, so every chunk's rows come after the
    previous chunk's in period order); and the span of a day's positions, above every row number."""
    days = connection.execute(
        text(
            "SELECT period_start, count(*), max(row_number) FROM import_rows"
            " WHERE tenant_id = :tenant AND import_id = :import_id GROUP BY period_start ORDER BY period_start"
        ),
        {"tenant": tenant_id, "import_id": import_id},
    ).all()
    size = -(-sum(count for _, count, _ in days) // COMMIT_CHUNKS)  # rounded up
    chunks: list[tuple[date, date]] = []
    in_chunk = 0
    for day, count, _ in days:
        if chunks and in_chunk < size:
            chunks[-1] = (chunks[-1][0], day)
            in_chunk += count
        else:
            chunks.append((day, day))
            in_chunk = count
    return chunks, max((int(last) for _, _, last in days), default=0) + 1


def commit_rows(connection: Connection, tenant_id: uuid.UUID, import_id: uuid.UUID, progress: Progress) -> int:
    """Every staged row of the import becomes a record (source `import`), in the connection's
    transaction: all of them or, if anything fails, none. Returns how many were recorded."""
    # The advisory lock, not a row lock, keeps a second runner out: progress is written to the
    # import's row from other transactions while this one works.
    _set_long_timeout(connection)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(import_id)})
    job = connection.execute(
        text(
            "SELECT owner_id, meter_id, skip_duplicates, state, duplicate_rows, error_rows FROM imports"
            " WHERE tenant_id = :tenant AND id = :import_id"
        ),
        {"tenant": tenant_id, "import_id": import_id},
    ).one()
    if job.state != "committing":
        return 0
    if job.meter_id is not None and not _hold_meter(connection, tenant_id, job.meter_id):
        raise MeterGone("The import's meter was deleted since the preview; upload the file again.")
    chunks, span = _chunks_by_period(connection, tenant_id, import_id)
    # One set-based insert per chunk, in the database (migration 0013: the shared references
    # checked once, the roll-ups refreshed from the inserted records, the records inserted in one
    # order across the chunks, by period then row, with UUID v7 ids ascending in that order: this
    # random start plus the row's position, (period_start - first day) * span + row_number).
    seed = secrets.randbits(61)
    created = 0
    for index, (first_day, last_day) in enumerate(chunks, start=1):
        created += connection.execute(
            text("SELECT consumo_import_insert(:tenant, :import_id, :first_day, :last_day, :origin, :span, :seed)"),
            {
                "tenant": tenant_id,
                "import_id": import_id,
                "first_day": first_day,
                "last_day": last_day,
                "origin": chunks[0][0],
                "span": span,
                "seed": seed,
            },
        ).scalar_one()
        progress(min(95, index * 95 // len(chunks)))
    connection.execute(
        text("""
        UPDATE imports SET state = 'committed', progress = 100, records_created = :created,
               committed_at = now(), updated_at = now(), version = version + 1
        WHERE tenant_id = :tenant AND id = :import_id"""),
        {"tenant": tenant_id, "import_id": import_id, "created": created},
    )
    # The records are not audited or announced one by one (a million events would cost more
    # than the import): one audit event and one `import.completed` event stand for them, in
    # this same transaction.
    audit.record_event_on(
        connection,
        tenant_id=tenant_id,
        action="import_commit",
        entity_type="imports",
        entity_id=str(import_id),
        changes={
            "state": ("committing", "committed"),
            "records_created": (0, created),
            "duplicate_rows": (None, job.duplicate_rows),
            "skip_duplicates": (None, job.skip_duplicates),
            "error_rows": (None, job.error_rows),
        },
        actor_user_id=job.owner_id,
    )
    # A session on this very connection (its tenant the same), in a savepoint of its
    # transaction, released (kept) below.
    with Session(bind=connection, join_transaction_mode="create_savepoint", info={TENANT_KEY: tenant_id}) as session:
        webhook_events.publish(
            session,
            tenant_id,
            [
                (
                    "import.completed",
                    {
                        "id": str(import_id),
                        "owner_id": str(job.owner_id),
                        "meter_id": str(job.meter_id) if job.meter_id else None,
                        "records_created": created,
                        "duplicate_rows": job.duplicate_rows,
                        "duplicates_skipped": job.skip_duplicates,
                        "error_rows": job.error_rows,
                    },
                )
            ],
        )
        # The records went in without the ORM: the owner's budgets are evaluated as after any change.
        webhook_events.evaluate_alerts_later(session, tenant_id, job.owner_id)
        session.commit()
    return created


def start_revert(session: Session, caller: Caller, import_id: uuid.UUID) -> Import:
    if not caller.can_write:
        raise Forbidden("Your role may read but not change consumption.", code="role.read_only")
    job = get_import(session, caller, import_id, for_update=True)
    if job.state != "committed":
        raise Conflict(
            f"Only a committed import can be reverted; this one is {job.state}.", code="import.not_committed"
        )
    if _edited_since(session.connection(), job.tenant_id, job.id):
        raise Conflict(
            "Some of this import's records were edited since; it can no longer be reverted.", code="import.edited_since"
        )
    job.state, job.progress, job.failure, job.updated_at = "reverting", 0, None, datetime.now(UTC)
    session.flush()
    return job


def _edited_since(connection: Connection, tenant_id: uuid.UUID, import_id: uuid.UUID) -> bool:
    return bool(
        connection.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM consumption_records WHERE tenant_id = :tenant"
                " AND import_id = :import_id AND version > 1)"
            ),
            {"tenant": tenant_id, "import_id": import_id},
        ).scalar_one()
    )


class EditedSince(Exception):
    """A record of the import was edited after the revert was accepted."""


def revert_rows(connection: Connection, tenant_id: uuid.UUID, import_id: uuid.UUID, progress: Progress) -> int:
    """Deletes every record of the import in the connection's transaction (the roll-ups follow
    in the same statement); raises EditedSince, changing nothing, if one was edited."""
    _set_long_timeout(connection)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(import_id)})
    binds = {"tenant": tenant_id, "import_id": import_id}
    state = connection.execute(
        text("SELECT state FROM imports WHERE tenant_id = :tenant AND id = :import_id"), binds
    ).scalar_one()
    if state != "reverting":
        return 0
    # Locks the import's records first, so none is edited between the check and the delete.
    connection.execute(
        text("SELECT 1 FROM consumption_records WHERE tenant_id = :tenant AND import_id = :import_id FOR UPDATE"),
        binds,
    )
    if _edited_since(connection, tenant_id, import_id):
        raise EditedSince
    progress(50)
    deleted = connection.execute(
        text("DELETE FROM consumption_records WHERE tenant_id = :tenant AND import_id = :import_id"), binds
    ).rowcount
    owner = connection.execute(
        text("""
        UPDATE imports SET state = 'reverted', progress = 100, reverted_at = now(), updated_at = now(),
               version = version + 1
        WHERE tenant_id = :tenant AND id = :import_id
        RETURNING owner_id"""),
        binds,
    ).scalar_one()
    audit.record_event_on(
        connection,
        tenant_id=tenant_id,
        action="import_revert",
        entity_type="imports",
        entity_id=str(import_id),
        changes={"state": ("reverting", "reverted"), "records_deleted": (None, deleted)},
        actor_user_id=owner,
    )
    return deleted


def record_failure(connection: Connection, tenant_id: uuid.UUID, import_id: uuid.UUID, message: str) -> None:
    """After a failed commit or revert (rolled back, nothing changed): the import says so."""
    connection.execute(
        text("""
        UPDATE imports SET state = CASE WHEN state = 'reverting' THEN 'committed' ELSE 'failed' END,
               failure = :message, progress = 0, updated_at = now()
        WHERE tenant_id = :tenant AND id = :import_id AND state IN ('committing', 'reverting')"""),
        {"tenant": tenant_id, "import_id": import_id, "message": message[:500]},
    )


def record_progress(connection: Connection, tenant_id: uuid.UUID, import_id: uuid.UUID, percent: int) -> None:
    connection.execute(
        text(
            "UPDATE imports SET progress = :percent, updated_at = now() WHERE tenant_id = :tenant AND id = :import_id"
        ),
        {"tenant": tenant_id, "import_id": import_id, "percent": percent},
    )
