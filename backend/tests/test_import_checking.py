"""A file larger than IMPORT_INLINE_BYTES: its header checked in the request, the file stored
(`import_uploads`) and read by a queued job (`validating` → `ready`, or `rejected`), with the
same preview as a small file's, progress any process can read, and nothing left behind."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import API, Account, assert_problem, create_meter
from tests.test_imports import (  # noqa: F401 (_empty_import_queue: the same fixture here)
    HEADER,
    _empty_import_queue,
    commit,
    errors_of,
    preview,
    queued_import_jobs,
    rows_of,
    run_import_jobs,
    upload,
)

# Valid rows, a row breaking two rules, a row repeated in the file: about 3 KB.
BODY = (
    HEADER
    + "".join(
        f"gas,{n},2026-{1 + n // 28:02d}-{1 + n % 28:02d},2026-{1 + n // 28:02d}-{1 + n % 28:02d},{n}.50,EUR,row {n}\n"
        if n % 10
        else "gas,-1,2026-02-30,2026-01-01,,XXX,\n"
        for n in range(1, 80)
    )
    + "gas,1,2026-01-02,2026-01-02,1.50,EUR,row 1 again\n"
)


@pytest.fixture
def small_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only files of up to 200 bytes are checked in their request."""
    from consumo.config import get_settings

    monkeypatch.setattr(get_settings(), "import_inline_bytes", 200)


def stored_pieces(owner_engine: Any, import_id: str) -> int:
    with owner_engine.begin() as conn:
        conn.execute(text("SET LOCAL row_security = off"))
        return int(
            conn.execute(
                text("SELECT count(*) FROM import_uploads WHERE import_id = :i"), {"i": import_id}
            ).scalar_one()
        )


def test_a_large_file_is_stored_then_checked_by_a_job_into_the_same_preview(
    alice: Account, bob: Account, owner_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consumo.config import get_settings

    inline = preview(alice, BODY)  # checked in its request, as every file up to a mebibyte
    assert inline["state"] == "ready"
    monkeypatch.setattr(get_settings(), "import_inline_bytes", 200)
    job = preview(alice, BODY)
    assert (job["state"], job["progress"], job["total_rows"]) == ("validating", 0, 0)
    # Stored and queued in the request's transaction; nothing read yet.
    assert stored_pieces(owner_engine, job["id"]) == 1
    ((args, status),) = queued_import_jobs(owner_engine)
    assert (args, status) == ({"work": "validate", "tenant_id": alice.tenant_id, "import_id": job["id"]}, "todo")
    assert rows_of(alice, job["id"]) == []
    assert assert_problem(alice.post(f"{API}/imports/{job['id']}/commit"), 409)["code"] == "import.not_ready"
    assert_problem(bob.get(f"{API}/imports/{job['id']}"), 404)

    run_import_jobs()
    checked = alice.get(f"{API}/imports/{job['id']}").json()
    counts = ("state", "total_rows", "valid_rows", "error_rows", "duplicate_rows")
    assert [checked[name] for name in counts] == ["ready", *(inline[name] for name in counts[1:])]
    assert checked["progress"] == 0  # progress belongs to the work under way
    assert (checked["total_rows"], checked["error_rows"], checked["duplicate_rows"]) == (80, 7, 1)
    assert rows_of(alice, checked["id"]) == rows_of(alice, inline["id"])
    assert errors_of(alice, checked["id"]) == errors_of(alice, inline["id"])
    assert stored_pieces(owner_engine, job["id"]) == 0
    # The job run again (at least once delivery) changes nothing.
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE procrastinate.procrastinate_jobs SET status = 'todo' WHERE task_name = 'run_import'"))
    run_import_jobs()
    assert alice.get(f"{API}/imports/{job['id']}").json() == checked
    assert commit(alice, job["id"])["records_created"] == 73


def test_the_check_reports_its_progress_as_it_reads_the_stored_pieces(
    alice: Account, small_inline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consumo.imports import service

    monkeypatch.setattr(service, "UPLOAD_PIECE", 500)
    job = preview(alice, BODY)
    reported: list[int] = []
    real = service.record_progress

    def record(connection: Any, tenant_id: Any, import_id: Any, percent: int) -> None:
        real(connection, tenant_id, import_id, percent)  # committed apart: any process reads it
        reported.append(percent)

    monkeypatch.setattr(service, "record_progress", record)
    run_import_jobs()
    assert len(reported) == -(-len(BODY) // 500) and reported == sorted(reported)
    assert 0 < reported[0] < 20 and reported[-1] == 95
    assert alice.get(f"{API}/imports/{job['id']}").json()["state"] == "ready"


def test_a_stored_file_that_breaks_past_its_head_is_rejected_and_leaves_nothing(
    alice: Account, owner_engine: Any, small_inline: None
) -> None:
    # Past the first 64 KiB (which the request checks itself): Latin-1, not UTF-8.
    filler = "".join(f"water,{n},2026-05-01,2026-05-01,,,filler row {n}\n" for n in range(2000)).encode()
    body = BODY.encode() + filler + b"gas,1,2026-03-01,2026-03-01,,,caf\xe9\n"
    created = upload(alice, body)
    assert created.status_code == 201 and created.json()["state"] == "validating", created.text
    job = created.json()
    run_import_jobs()
    rejected = alice.get(f"{API}/imports/{job['id']}").json()
    assert rejected["state"] == "rejected" and "UTF-8" in rejected["failure"], rejected
    assert len(body) > 70_000
    assert (rejected["valid_rows"], rows_of(alice, job["id"]), errors_of(alice, job["id"])) == (0, [], [])
    assert stored_pieces(owner_engine, job["id"]) == 0
    assert assert_problem(alice.post(f"{API}/imports/{job['id']}/commit"), 409)["code"] == "import.not_ready"
    assert alice.delete(f"{API}/imports/{job['id']}").status_code == 204
    assert_problem(alice.get(f"{API}/imports/{job['id']}"), 404)


def test_a_file_without_its_header_is_refused_in_the_request_whatever_its_size(
    alice: Account, owner_engine: Any, small_inline: None
) -> None:
    body = "quantity,period_start\n" + "1,2026-01-01\n" * 100
    assert assert_problem(upload(alice, body, kind="gas"), 422)["code"] == "import.columns_unnamed"
    assert alice.get(f"{API}/imports").json()["items"] == []
    assert queued_import_jobs(owner_engine) == []


def test_a_validating_import_discarded_before_its_job_runs_is_gone_with_its_file(
    alice: Account, owner_engine: Any, small_inline: None
) -> None:
    job = preview(alice, BODY)
    assert alice.delete(f"{API}/imports/{job['id']}").status_code == 204
    assert stored_pieces(owner_engine, job["id"]) == 0
    run_import_jobs()  # finds nothing to do
    assert_problem(alice.get(f"{API}/imports/{job['id']}"), 404)


def test_a_stored_file_whose_meter_went_meanwhile_is_rejected(
    alice: Account, owner_engine: Any, small_inline: None
) -> None:
    meter = create_meter(alice)
    job = preview(alice, BODY.replace("gas,", "electricity,"), meter_id=meter["id"])
    assert job["state"] == "validating"
    assert alice.delete(f"{API}/meters/{meter['id']}", headers={"If-Match": '"1"'}).status_code == 204
    run_import_jobs()
    rejected = alice.get(f"{API}/imports/{job['id']}").json()
    assert (rejected["state"], rejected["valid_rows"]) == ("rejected", 0)
    assert "meter" in rejected["failure"]
    assert stored_pieces(owner_engine, job["id"]) == 0


def test_a_meter_deleted_while_its_file_is_read_leaves_the_import_rejected_not_ready(
    alice: Account, owner_engine: Any, small_inline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consumo.imports import service

    monkeypatch.setattr(service, "UPLOAD_PIECE", 500)
    meter = create_meter(alice)
    job = preview(alice, BODY.replace("gas,", "electricity,"), meter_id=meter["id"])
    real = service.record_progress

    def record(connection: Any, tenant_id: Any, import_id: Any, percent: int) -> None:
        real(connection, tenant_id, import_id, percent)
        if percent < 95 and alice.get(f"{API}/meters/{meter['id']}").status_code == 200:
            # the meter goes, committed, while the job is reading the file (nothing holds it yet)
            assert alice.delete(f"{API}/meters/{meter['id']}", headers={"If-Match": '"1"'}).status_code == 204

    monkeypatch.setattr(service, "record_progress", record)
    run_import_jobs()
    rejected = alice.get(f"{API}/imports/{job['id']}").json()
    assert (rejected["state"], rejected["valid_rows"]) == ("rejected", 0), rejected
    assert rejected["failure"] == "The import's meter was deleted while its file was checked; upload the file again."
    assert stored_pieces(owner_engine, job["id"]) == 0


def test_a_meter_deleted_before_a_queued_commit_runs_fails_it_saying_so(
    alice: Account, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from consumo.config import get_settings

    monkeypatch.setattr(get_settings(), "import_inline_rows", 0)  # every commit is a job
    meter = create_meter(alice)
    job = preview(alice, HEADER + "electricity,1,2026-01-01,2026-01-01,1.50,EUR,\n", meter_id=meter["id"])
    assert commit(alice, job["id"])["state"] == "committing"
    assert alice.delete(f"{API}/meters/{meter['id']}", headers={"If-Match": '"1"'}).status_code == 204
    run_import_jobs()
    failed = alice.get(f"{API}/imports/{job['id']}").json()
    assert (failed["state"], failed["records_created"]) == ("failed", 0), failed
    assert failed["failure"] == "The import's meter was deleted since the preview; upload the file again."
    assert not [r for r in caplog.records if r.levelname == "ERROR" and r.name.startswith("consumo")]
    again = alice.post(f"{API}/imports/{job['id']}/commit")
    assert_problem(again, 422, "meter_id")
    assert again.json()["code"] == "import.meter_gone"


def test_a_commit_or_discard_of_an_import_at_work_answers_409_at_once(
    alice: Account, owner_engine: Any, small_inline: None
) -> None:
    """While a job works on an import it holds its advisory lock, and the rows it stages lock
    the import FOR KEY SHARE until its transaction ends: neither may hold up a request."""
    from consumo.imports.service import _lock_key

    job = preview(alice, BODY)
    with owner_engine.connect() as conn, conn.begin():  # as the checking job, mid-way
        conn.execute(text("SET LOCAL row_security = off"))
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(uuid.UUID(job["id"]))})
        conn.execute(text("SELECT 1 FROM imports WHERE id = :i FOR KEY SHARE"), {"i": job["id"]})
        for response in (alice.post(f"{API}/imports/{job['id']}/commit"), alice.delete(f"{API}/imports/{job['id']}")):
            assert response.status_code == 409, response.text
    run_import_jobs()
    assert alice.get(f"{API}/imports/{job['id']}").json()["state"] == "ready"


def test_a_chunked_upload_without_a_length_is_read_to_its_end(alice: Account, small_inline: None) -> None:
    data = BODY.encode()
    pieces = iter([data[:100], data[100:2000], data[2000:]])  # sent with Transfer-Encoding: chunked
    response = alice.post(f"{API}/imports", content=pieces, headers={"Content-Type": "text/csv"})
    assert response.status_code == 201 and response.json()["state"] == "validating", response.text
    run_import_jobs()
    assert alice.get(f"{API}/imports/{response.json()['id']}").json()["total_rows"] == 80


def test_a_chunked_form_upload_is_read_to_its_end(alice: Account, small_inline: None) -> None:
    boundary = "consumoboundary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{BODY}\r\n--{boundary}--\r\n"
    ).encode()
    response = alice.post(
        f"{API}/imports",
        content=iter([form[:50], form[50:]]),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 201 and response.json()["filename"] == "big.csv", response.text
    run_import_jobs()
    assert alice.get(f"{API}/imports/{response.json()['id']}").json()["total_rows"] == 80
