"""HTTP handlers for /imports: arguments in, service call, response out."""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import IO, Any

import flask

from consumo.config import get_settings
from consumo.http import db_session, etag_for, respond
from consumo.imports import runner, service
from consumo.imports.models import Import, ImportRow, ImportRowError
from consumo.imports.parser import ReadOptions
from consumo.problems import UnprocessableContent
from consumo.security.caller import current_caller

BASE_PATH = "/api/v1/imports"


def import_json(job: Import) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "state": job.state,
        "progress": job.progress,
        "filename": job.filename,
        "meter_id": str(job.meter_id) if job.meter_id else None,
        "total_rows": job.total_rows,
        "valid_rows": job.valid_rows,
        "error_rows": job.error_rows,
        "duplicate_rows": job.duplicate_rows,
        "records_created": job.records_created,
        "skip_duplicates": job.skip_duplicates,
        "failure": job.failure,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "committed_at": job.committed_at,
        "reverted_at": job.reverted_at,
    }


def _row_json(row: ImportRow) -> dict[str, Any]:
    return {
        "row": row.row_number,
        "kind": row.kind,
        "quantity": float(row.quantity),
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "cost_minor": row.cost_minor,
        "currency": row.currency,
        "notes": row.notes,
        "duplicate": row.duplicate,
    }


def _error_json(error: ImportRowError) -> dict[str, Any]:
    return {"row": error.row_number, "column": error.column, "message": error.message}


def create_import(  # noqa: PLR0917 (Connexion passes each query parameter by name)
    column_kind: str | None = None,
    column_quantity: str | None = None,
    column_period_start: str | None = None,
    column_period_end: str | None = None,
    column_cost: str | None = None,
    column_currency: str | None = None,
    column_notes: str | None = None,
    kind: str | None = None,
    currency: str | None = None,
    meter_id: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    date_format: str = "iso",
    filename: str | None = None,
) -> flask.Response:
    named = {
        "kind": column_kind,
        "quantity": column_quantity,
        "period_start": column_period_start,
        "period_end": column_period_end,
        "cost": column_cost,
        "currency": column_currency,
        "notes": column_notes,
    }
    columns = {name: header for name, header in named.items() if header}
    if flask.request.content_length is None:
        # A chunked upload (no Content-Length): the server hands on exactly the body it received,
        # ended, so werkzeug may read it to its end. Without that mark werkzeug takes such a body
        # for empty, and had already done so (the stream, data and form it keeps were read from
        # an empty stand-in; the real input is untouched): they are read again, from the input.
        flask.request.environ["wsgi.input_terminated"] = True
        for kept in ("stream", "_cached_data", "form", "files"):
            flask.request.__dict__.pop(kept, None)
    if flask.request.mimetype == "multipart/form-data":
        # A form, as a browser sends a file: werkzeug spools the file part to disk as it arrives.
        stream, mapping_text, meter_text, part_name = _form_parts()
        mapped = _mapping_part(mapping_text)
        # The query and the form may both say something; they may not say two different things.
        if clash := sorted(field for field, header in mapped.items() if columns.get(field, header) != header):
            raise UnprocessableContent(
                f"The `mapping` part and the query name different columns for {', '.join(clash)}.",
                field="mapping",
                code="import.part_conflict",
            )
        columns.update(mapped)
        form_meter = _meter_part(meter_text)
        if form_meter and meter_id and uuid.UUID(meter_id) != uuid.UUID(form_meter):
            raise UnprocessableContent(
                "The `meter_id` part and the query's `meter_id` name different meters.",
                field="meter_id",
                code="import.part_conflict",
            )
        meter_id = form_meter or meter_id
        filename = filename or part_name
    else:
        # The body is read as a stream (never held whole): the handler takes no `body` argument.
        stream = flask.request.stream
    options = ReadOptions(
        columns=columns,
        kind=kind,
        currency=currency,
        delimiter=delimiter,
        decimal=decimal,
        date_format=date_format,
    )
    upload = service.Upload(stream, options, uuid.UUID(meter_id) if meter_id else None, filename)
    session = db_session()
    job = service.create_import(session, current_caller(), upload)
    if job.state == "validating":  # a large file: stored, and checked by a job once this commits
        runner.submit(session, "validate", job.tenant_id, job.id)
    return respond(import_json(job), 201, {"Location": f"{BASE_PATH}/{job.id}", **_headers(job)})


FORM_PARTS = ("file", "mapping", "meter_id")
SMALL_PART_BYTES = 4096


def _form_parts() -> tuple[IO[bytes], str | None, str | None, str | None]:
    """The form's parts (the contract's ImportUpload): the file's stream, the mapping's and the
    meter's text, the file's name. A part may come as a file or as a plain field."""
    form, files = flask.request.form, flask.request.files
    unknown = sorted((set(form) | set(files)) - set(FORM_PARTS))
    if unknown:
        raise UnprocessableContent(
            f"The form has a part the upload does not take: {unknown[0]!r} (only file, mapping, meter_id).",
            field=unknown[0][:64] or "(a part without a name)",
            code="import.unknown_part",
        )
    for each in FORM_PARTS:
        if len(form.getlist(each)) + len(files.getlist(each)) > 1:
            raise UnprocessableContent(
                f"The form has more than one `{each}` part.", field=each, code="import.part_conflict"
            )

    def small(name: str) -> str | None:
        if name in files:
            return files[name].stream.read(SMALL_PART_BYTES).decode("utf-8", errors="replace")
        return form.get(name)

    part = files.get("file")
    if part is not None:
        stream: IO[bytes] = part.stream
        name = part.filename or None
        # The part's name is the file's name: the rule of the query's `filename` applies to it.
        if name and re.search(r"[\x00-\x1f]", name):
            raise UnprocessableContent(
                "The file's name may not contain control characters.", field="filename", code="field.pattern"
            )
    elif "file" in form:
        stream, name = io.BytesIO(form["file"].encode()), None
    else:
        raise UnprocessableContent(
            "The form has no `file` part (the CSV file).", field="file", code="import.file_missing"
        )
    return stream, small("mapping"), small("meter_id"), name[:255] if name else None


MAPPED_FIELDS = ("kind", "quantity", "period_start", "period_end", "cost", "currency", "notes")


def _mapping_part(raw: str | None) -> dict[str, str]:
    """The `mapping` part: a JSON object of field → column header (the contract's ImportMapping)."""
    if raw is None:
        return {}
    try:
        mapping = json.loads(raw)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(
        field in MAPPED_FIELDS and isinstance(header, str) and 1 <= len(header) <= 64 and "\x00" not in header
        for field, header in mapping.items()
    ):
        raise UnprocessableContent(
            "`mapping` must be a JSON object naming, for fields among "
            + ", ".join(MAPPED_FIELDS)
            + ", the header of their column (1 to 64 characters).",
            field="mapping",
            code="import.mapping_invalid",
        )
    return dict(mapping)


def _meter_part(raw: str | None) -> str | None:
    """The `meter_id` part, if any: a meter's id (whether it is one of the caller's is the
    service's check, as for the query parameter)."""
    if raw is None:
        return None
    try:
        if len(raw) == 36:
            return str(uuid.UUID(raw))
    except ValueError:
        pass
    raise UnprocessableContent("`meter_id` must be a meter's id (a UUID).", field="meter_id", code="meter.unknown")


def list_imports(limit: int = 25, cursor: str | None = None) -> flask.Response:
    page = service.list_imports(db_session(), current_caller(), limit=limit, cursor=cursor)
    return respond({"items": [import_json(job) for job in page.items], "next_cursor": page.next_cursor})


def _headers(job: Import) -> dict[str, str]:
    return {"ETag": etag_for(job.version)}


def get_import(import_id: str) -> flask.Response:
    job = service.get_import(db_session(), current_caller(), uuid.UUID(import_id))
    return respond(import_json(job), headers=_headers(job))


def list_import_errors(import_id: str, limit: int = 25, cursor: str | None = None) -> flask.Response:
    page = service.list_errors(db_session(), current_caller(), uuid.UUID(import_id), limit=limit, cursor=cursor)
    return respond({"items": [_error_json(error) for error in page.items], "next_cursor": page.next_cursor})


def list_import_rows(
    import_id: str, duplicates: bool = False, limit: int = 25, cursor: str | None = None
) -> flask.Response:
    page = service.list_rows(
        db_session(), current_caller(), uuid.UUID(import_id), duplicates=duplicates, limit=limit, cursor=cursor
    )
    return respond({"items": [_row_json(row) for row in page.items], "next_cursor": page.next_cursor})


def delete_import(import_id: str) -> flask.Response:
    service.discard_import(db_session(), current_caller(), uuid.UUID(import_id))
    return respond(None, 204)


def _run(job: Import, work: runner.Work, rows: int) -> flask.Response:
    """A small job runs now, in this request's transaction; a large one is queued in it (a
    worker runs it once the transaction commits)."""
    session = db_session()
    if rows <= get_settings().import_inline_rows:
        runner.run_inline(session.connection(), work, job.tenant_id, job.id)
        session.refresh(job)
    else:
        runner.submit(session, work, job.tenant_id, job.id)
    return respond(import_json(job), 202, _headers(job))


def commit_import(import_id: str, skip_duplicates: bool = False) -> flask.Response:
    job = service.start_commit(db_session(), current_caller(), uuid.UUID(import_id), skip_duplicates=skip_duplicates)
    return _run(job, "commit", job.valid_rows)


def revert_import(import_id: str) -> flask.Response:
    job = service.start_revert(db_session(), current_caller(), uuid.UUID(import_id))
    return _run(job, "revert", job.records_created)
