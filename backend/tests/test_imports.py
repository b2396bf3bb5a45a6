"""CSV imports: the parser's edge cases, the dry-run preview (errors, duplicates), an atomic
commit, revert, isolation, and the KPI roll-ups exact after import and revert."""

from __future__ import annotations

import codecs
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import API, Account, add_member, assert_problem, create_meter, create_record
from tests.test_bulk import _records, _rollup_matches_records
from tests.test_webhooks import register, run_worker

HEADER = "kind,quantity,period_start,period_end,cost,currency,notes\n"


def upload(account: Account, body: bytes | str, **params: Any) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return account.post(f"{API}/imports", content=data, params=params, headers={"Content-Type": "text/csv"})


def preview(account: Account, body: bytes | str, **params: Any) -> dict[str, Any]:
    response = upload(account, body, **params)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{API}/imports/{response.json()['id']}"
    return dict(response.json())


def rows_of(account: Account, import_id: str, **params: Any) -> list[dict[str, Any]]:
    response = account.get(f"{API}/imports/{import_id}/rows", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def errors_of(account: Account, import_id: str) -> list[tuple[int, str]]:
    response = account.get(f"{API}/imports/{import_id}/errors", params={"limit": 100})
    assert response.status_code == 200, response.text
    return [(error["row"], error["column"]) for error in response.json()["items"]]


def commit(account: Account, import_id: str, **params: Any) -> dict[str, Any]:
    response = account.post(f"{API}/imports/{import_id}/commit", params=params)
    assert response.status_code == 202, response.text
    return dict(response.json())


@pytest.fixture(autouse=True)
def _empty_import_queue(owner_engine: Any) -> Any:
    """Each test starts with no import job queued (a job a test queued and did not run is gone)."""
    yield
    with owner_engine.begin() as conn:
        conn.execute(text("TRUNCATE procrastinate.procrastinate_jobs, procrastinate.procrastinate_events CASCADE"))


# --- the parser -----------------------------------------------------------------------------


def test_a_clean_file_previews_every_row_and_records_nothing(alice: Account) -> None:
    job = preview(
        alice,
        HEADER + "electricity,212.5,2026-01-01,2026-01-31,61.20,EUR,January\nwater,8,2026-01-01,2026-01-31,,,\n",
        filename="bills.csv",
    )
    assert (job["state"], job["total_rows"], job["valid_rows"], job["error_rows"]) == ("ready", 2, 2, 0)
    assert job["filename"] == "bills.csv"
    assert [(row["row"], row["kind"], row["quantity"], row["cost_minor"]) for row in rows_of(alice, job["id"])] == [
        (2, "electricity", 212.5, 6120),
        (3, "water", 8.0, None),
    ]
    assert _records(alice) == []


def test_a_byte_order_mark_semicolons_and_decimal_commas_are_read(alice: Account) -> None:
    body = codecs.BOM_UTF8 + (
        b"tipo;cantidad;desde;hasta;importe;moneda;notas\nelectricidad;1.234,5;2026-01-01;2026-01-31;61,20;EUR;enero\n"
    )
    job = preview(alice, body)
    assert job["valid_rows"] == 1, errors_of(alice, job["id"])
    row = rows_of(alice, job["id"])[0]
    assert (row["kind"], row["quantity"], row["cost_minor"], row["notes"]) == ("electricity", 1234.5, 6120, "enero")


def test_quoted_fields_with_newlines_and_empty_lines(alice: Account) -> None:
    body = (
        HEADER
        + '\nelectricity,1,2026-01-01,2026-01-01,,,"two\nlines, and a comma"\n\n\nwater,2,2026-01-02,2026-01-02,,,\n'
    )
    job = preview(alice, body)
    assert (job["total_rows"], job["valid_rows"]) == (2, 2)
    assert [row["notes"] for row in rows_of(alice, job["id"])] == ["two\nlines, and a comma", None]


def test_a_column_mapping_in_the_query_and_a_default_kind(alice: Account) -> None:
    body = "Consumo kWh,Inicio factura,Fin factura\n300,01/01/2026,31/01/2026\n"
    job = preview(
        alice,
        body,
        column_quantity="Consumo kWh",
        column_period_start="Inicio factura",
        column_period_end="Fin factura",
        kind="electricity",
        date_format="dmy",
    )
    assert job["valid_rows"] == 1, errors_of(alice, job["id"])
    assert rows_of(alice, job["id"])[0]["period_end"] == "2026-01-31"


def test_a_form_upload_with_a_mapping_part_and_a_meter_part(alice: Account) -> None:
    """multipart/form-data, as a browser sends a file: `file`, `mapping` (JSON) and `meter_id`."""
    meter = create_meter(alice)
    body = "Tipo;Cantidad;Desde;Hasta;Importe\nelectricity;212,5;01/01/2026;31/01/2026;61,20\n"
    mapping = (
        '{"kind": "Tipo", "quantity": "Cantidad", "period_start": "Desde", "period_end": "Hasta", "cost": "Importe"}'
    )
    response = alice.post(
        f"{API}/imports",
        params={"date_format": "dmy"},
        files={"file": ("facturas.csv", body.encode(), "text/csv")},
        data={"mapping": mapping, "meter_id": meter["id"]},
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["valid_rows"], job["filename"], job["meter_id"]) == (1, "facturas.csv", meter["id"])
    (row,) = rows_of(alice, job["id"])
    assert (row["quantity"], row["cost_minor"], row["period_end"]) == (212.5, 6120, "2026-01-31")


@pytest.mark.parametrize(
    ("data", "files", "field"),
    [
        ({}, {"mapping": (None, b"{}")}, "file"),
        ({"colour": "red"}, {"file": ("a.csv", b"x")}, "colour"),
        ({"mapping": "[1]"}, {"file": ("a.csv", HEADER.encode() + b"water,1,2026-01-01,2026-01-01,,,\n")}, "mapping"),
        ({"mapping": '{"colour": "x"}'}, {"file": ("a.csv", b"x")}, "mapping"),
        ({"mapping": '{"kind": ""}'}, {"file": ("a.csv", b"x")}, "mapping"),
        ({"mapping": "not json"}, {"file": ("a.csv", b"x")}, "mapping"),
        ({"meter_id": "nope"}, {"file": ("a.csv", b"x")}, "meter_id"),
    ],
)
def test_a_form_without_a_file_or_with_a_bad_mapping_is_a_422_on_its_part(
    alice: Account, data: dict[str, str], files: Any, field: str
) -> None:
    response = alice.post(f"{API}/imports", data=data, files=files)
    assert_problem(response, 422, field)


def test_a_form_that_says_a_thing_twice_or_otherwise_than_its_query_is_a_422_on_that_part(alice: Account) -> None:
    first, second = create_meter(alice), create_meter(alice, name="Other", identifier="OTHER-2")
    csv_file = ("a.csv", (HEADER + "electricity,1,2026-01-01,2026-01-31,,,\n").encode(), "text/csv")
    twice = alice.post(f"{API}/imports", files=[("file", csv_file), ("file", csv_file)])
    assert_problem(twice, 422, "file")
    assert twice.json()["errors"][0]["code"] == "import.part_conflict"
    other_meter = alice.post(
        f"{API}/imports", params={"meter_id": first["id"]}, files={"file": csv_file}, data={"meter_id": second["id"]}
    )
    assert_problem(other_meter, 422, "meter_id")
    other_column = alice.post(
        f"{API}/imports",
        params={"column_quantity": "quantity"},
        files={"file": csv_file},
        data={"mapping": '{"quantity": "kWh"}'},
    )
    assert_problem(other_column, 422, "mapping")
    # Saying the same thing in both places is no conflict.
    same = alice.post(
        f"{API}/imports", params={"meter_id": first["id"]}, files={"file": csv_file}, data={"meter_id": first["id"]}
    )
    assert same.status_code == 201, same.text
    assert same.json()["meter_id"] == first["id"]


def test_a_form_part_without_a_name_is_a_422_naming_it(alice: Account) -> None:
    csv_file = ("a.csv", (HEADER + "electricity,1,2026-01-01,2026-01-31,,,\n").encode(), "text/csv")
    response = alice.post(f"{API}/imports", files={"file": csv_file}, data={"": "x"})
    assert_problem(response, 422, "(a part without a name)")


@pytest.mark.parametrize("name", ["\x00x.csv", "bills\x01.csv", "line\x1fbreak.csv"])
def test_a_form_files_name_with_control_characters_is_a_422_like_the_querys_filename(alice: Account, name: str) -> None:
    body = (
        b"--b\r\n"
        + f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'.encode()
        + b"Content-Type: text/csv\r\n\r\n"
        + (HEADER + "electricity,1,2026-01-01,2026-01-31,,,\n").encode()
        + b"\r\n--b--\r\n"
    )
    response = alice.post(f"{API}/imports", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert_problem(response, 422, "filename")
    assert alice.get(f"{API}/imports").json()["items"] == []
    # Any other name is kept as it came (it is only shown, never used as a path).
    kept = alice.post(
        f"{API}/imports", files={"file": ("../bills 2026 (año).csv", body.split(b"\r\n\r\n", 1)[1][:-10], "text/csv")}
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["filename"] == "../bills 2026 (año).csv"


def test_rows_that_break_rules_are_listed_by_row_and_column(alice: Account) -> None:
    body = HEADER + (
        "electricity,1,2026-01-01,2026-01-31,,,\n"
        "steam,1,2026-01-01,2026-01-31,,,\n"
        "electricity,-1,2026-01-01,2026-01-31,,,\n"
        "electricity,1,2026-02-01,2026-01-31,,,\n"
        "electricity,1,2026-01-01,2027-06-01,,,\n"
        "electricity,1.2345,01/01/2026,2026-01-31,1.234,XXX,\n"
    )
    job = preview(alice, body)
    assert (job["total_rows"], job["valid_rows"], job["error_rows"]) == (6, 1, 5)
    assert errors_of(alice, job["id"]) == [
        (3, "kind"),
        (4, "quantity"),
        (5, "period_end"),
        (6, "period_end"),
        (7, "quantity"),
        (7, "period_start"),
        (7, "currency"),
        (7, "cost"),
    ]


def test_a_file_that_is_not_csv_is_refused(alice: Account) -> None:
    assert_problem(upload(alice, b"PK\x03\x04\x14\x00\x00\x00binary xlsx"), 422, "body")
    assert_problem(upload(alice, "kind,quantity,period_start,period_end\n".encode("utf-16")), 422, "body")
    assert_problem(upload(alice, "caf\xe9,quantity\n".encode("latin-1")), 422, "body")
    assert_problem(upload(alice, "name,age\nx,1\n"), 422, "body")
    assert_problem(upload(alice, HEADER), 422, "body")
    response = alice.post(f"{API}/imports", content=b"a,b\n", headers={"Content-Type": "application/vnd.ms-excel"})
    assert_problem(response, 415)


def test_an_upload_over_50_mib_is_refused_before_it_is_read(alice: Account) -> None:
    big = HEADER.encode() + b"x" * (50 * 1024 * 1024)
    assert_problem(upload(alice, big), 413)


def test_an_upload_over_1_mib_is_accepted_for_imports_and_checked_by_a_job(alice: Account) -> None:
    line = "water,1,2026-01-01,2026-01-01,,,a note to make the file larger than one mebibyte\n"
    job = preview(alice, HEADER + line * (1024 * 1024 // len(line) + 10))
    assert job["state"] == "validating"  # over IMPORT_INLINE_BYTES: stored, checked by a job
    run_import_jobs()
    checked = alice.get(f"{API}/imports/{job['id']}").json()
    assert checked["state"] == "ready" and checked["valid_rows"] == checked["total_rows"] > 12000


def test_a_viewer_cannot_import(alice: Account, owner_engine: Any, app: Any) -> None:
    viewer = add_member(owner_engine, app, alice, "vera", "viewer")
    assert_problem(upload(viewer, HEADER + "water,1,2026-01-01,2026-01-01,,,\n"), 403)


def test_days_outside_2000_to_2100_are_row_errors_as_for_a_create(alice: Account) -> None:
    body = HEADER + (
        "water,1,1999-12-31,2000-01-01,,,\nwater,1,2100-12-31,2101-01-01,,,\n"
        "water,1,0001-01-01,0001-01-31,,,\nwater,1,2000-01-01,2000-01-31,,,\nwater,1,2100-12-01,2100-12-31,,,\n"
    )
    job = preview(alice, body)
    assert (job["valid_rows"], job["error_rows"]) == (2, 3)
    assert errors_of(alice, job["id"]) == [
        (2, "period_start"),
        (3, "period_end"),
        (4, "period_start"),
        (4, "period_end"),
    ]
    assert [row["row"] for row in rows_of(alice, job["id"])] == [5, 6]


def test_a_row_is_numbered_by_its_line_in_the_file(alice: Account) -> None:
    body = HEADER + 'water,1,2026-01-01,2026-01-01,,,"two\nlines"\n\nwater,x,2026-01-02,2026-01-02,,,\n'
    job = preview(alice, body)
    assert [row["row"] for row in rows_of(alice, job["id"])] == [2]
    assert errors_of(alice, job["id"]) == [(5, "quantity")]  # line 5: after the 2-line record and an empty line
    broken = upload(alice, HEADER + 'water,1,2026-01-01,2026-01-01,,,ok\nwater,1,2026-01-01,2026-01-01,,,"a"b\n')
    assert "Row 3 " in assert_problem(broken, 422)["detail"]


# --- duplicates, commit, revert ---------------------------------------------------------------


def test_likely_duplicates_of_records_and_within_the_file_are_marked(alice: Account) -> None:
    create_record(alice, kind="water", period_start="2026-01-01", period_end="2026-01-31")
    body = HEADER + (
        "water,1,2026-01-01,2026-01-31,,,\ngas,1,2026-01-01,2026-01-31,,,\ngas,2,2026-01-01,2026-01-31,,,\n"
    )
    job = preview(alice, body)
    assert job["duplicate_rows"] == 2
    assert [(row["row"], row["duplicate"]) for row in rows_of(alice, job["id"], duplicates=True)] == [
        (2, "existing"),
        (4, "file"),
    ]
    committed = commit(alice, job["id"], skip_duplicates=True)
    assert (committed["state"], committed["records_created"]) == ("committed", 1)


def test_a_commit_records_every_row_as_imported_and_a_revert_removes_them(alice: Account, owner_engine: Any) -> None:
    create_record(alice, notes="typed by hand")
    body = HEADER + "".join(
        f"electricity,{i},2026-01-{i:02d},2026-02-{i:02d},1.{i:02d},EUR,n{i}\n" for i in range(1, 21)
    )
    job = preview(alice, body)
    committed = commit(alice, job["id"])
    assert (committed["state"], committed["progress"], committed["records_created"]) == ("committed", 100, 20)
    imported = [record for record in _records(alice) if record["source"] == "import"]
    assert len(imported) == 20 and {record["currency"] for record in imported} == {"EUR"}
    assert {record["import_id"] for record in imported} == {job["id"]}
    assert [record["import_id"] for record in _records(alice, source="manual")] == [None]
    assert {record["id"] for record in _records(alice, import_id=job["id"])} == {record["id"] for record in imported}
    assert alice.get(f"{API}/consumptions/{imported[0]['id']}").json()["import_id"] == job["id"]
    # Ids are UUID version 7 (time first), all distinct.
    assert {record["id"][14] for record in imported} == {"7"} and len({r["id"] for r in imported}) == 20
    _rollup_matches_records(owner_engine)
    assert_problem(alice.post(f"{API}/imports/{job['id']}/commit"), 409)
    assert_problem(alice.delete(f"{API}/imports/{job['id']}"), 409)
    reverted = alice.post(f"{API}/imports/{job['id']}/revert")
    assert reverted.status_code == 202 and reverted.json()["state"] == "reverted"
    assert [record["notes"] for record in _records(alice)] == ["typed by hand"]
    _rollup_matches_records(owner_engine)
    assert alice.delete(f"{API}/imports/{job['id']}").status_code == 204
    assert_problem(alice.get(f"{API}/imports/{job['id']}"), 404)


def test_a_commit_inserts_in_period_order_across_its_chunks_with_ascending_v7_ids(
    alice: Account, owner_engine: Any
) -> None:
    """Rows in no particular order, over more days than the commit has chunks: every record goes
    in, the ids are UUID v7 (version 7, variant 10) ascending by period then row, the roll-ups exact."""
    from datetime import date, timedelta

    first = date(2026, 3, 1)
    rows = [(n, first + timedelta(days=(n * 7) % 40), 0 if n % 3 else 1 + n % 35) for n in range(1, 91)]
    body = HEADER + "".join(
        f"water,{n},{start},{start + timedelta(days=length)},{n},EUR,r{n}\n" for n, start, length in rows
    )
    job = preview(alice, body)
    assert commit(alice, job["id"])["records_created"] == 90
    imported = _records(alice, import_id=job["id"])
    assert len(imported) == 90
    assert {(record["id"][14], record["id"][19]) for record in imported} <= {("7", v) for v in "89ab"}
    by_id = [record["notes"] for record in sorted(imported, key=lambda record: record["id"])]
    assert by_id == [f"r{n}" for n, _, _ in sorted(rows, key=lambda row: (row[1], row[0]))]
    _rollup_matches_records(owner_engine)


def test_an_import_whose_record_was_edited_cannot_be_reverted(alice: Account) -> None:
    job = preview(alice, HEADER + "water,1,2026-01-01,2026-01-01,,,\n")
    commit(alice, job["id"])
    record = _records(alice)[0]
    edited = alice.patch(f"{API}/consumptions/{record['id']}", json={"quantity": 2}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert_problem(alice.post(f"{API}/imports/{job['id']}/revert"), 409)
    assert len(_records(alice)) == 1


def test_a_failure_mid_commit_leaves_nothing(alice: Account, owner_engine: Any) -> None:
    body = HEADER + "".join(f"water,{i},2026-01-01,2026-01-01,,,\n" for i in range(1, 101))
    job = preview(alice, body)
    # A row that the records table refuses, staged behind the preview's checks (as a bug or a
    # concurrent change would): the commit fails after inserting the rows before it.
    with owner_engine.begin() as conn:
        conn.execute(text("SET LOCAL row_security = off"))
        conn.execute(
            text("UPDATE import_rows SET quantity = -1 WHERE import_id = :i AND row_number = 90"), {"i": job["id"]}
        )
    response = alice.post(f"{API}/imports/{job['id']}/commit")
    assert response.status_code >= 400
    assert _records(alice) == []
    _rollup_matches_records(owner_engine)
    assert alice.get(f"{API}/imports/{job['id']}").json()["state"] == "ready"


def run_import_jobs() -> None:
    """A real procrastinate worker that runs every queued import job, then stops: the tests'
    way to run the queue synchronously against the real database."""
    from consumo.imports import runner
    from consumo.jobs import job_app

    app = job_app()
    with app.open():
        app.run_worker(queues=[runner.QUEUE], wait=False, install_signal_handlers=False)


def queued_import_jobs(owner_engine: Any) -> list[Any]:
    with owner_engine.begin() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT args, status FROM procrastinate.procrastinate_jobs WHERE task_name = 'run_import' ORDER BY id"
                )
            ).all()
        )


def test_a_large_commit_is_a_queued_job_deferred_in_the_request_with_progress(
    alice: Account, owner_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consumo.config import get_settings

    monkeypatch.setattr(get_settings(), "import_inline_rows", 10)
    body = HEADER + "".join(f"gas,{i},2026-01-01,2026-01-{1 + i % 28:02d},,,\n" for i in range(1, 501))
    job = preview(alice, body)
    started = commit(alice, job["id"])
    assert (started["state"], started["progress"]) == ("committing", 0)
    # The job exists, in the same transaction as the state: nothing ran yet.
    ((args, status),) = queued_import_jobs(owner_engine)
    assert (args, status) == ({"work": "commit", "tenant_id": alice.tenant_id, "import_id": job["id"]}, "todo")
    assert alice.get(f"{API}/imports/{job['id']}").json()["state"] == "committing"
    assert _records(alice) == []
    run_import_jobs()
    done = alice.get(f"{API}/imports/{job['id']}").json()
    assert (done["state"], done["progress"], done["records_created"]) == ("committed", 100, 500)
    _rollup_matches_records(owner_engine)
    # A job run again (at least once delivery) changes nothing.
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE procrastinate.procrastinate_jobs SET status = 'todo' WHERE task_name = 'run_import'"))
    run_import_jobs()
    with owner_engine.begin() as conn:
        conn.execute(text("SET LOCAL row_security = off"))
        count = "SELECT count(*) FROM consumption_records WHERE import_id = :i"
        assert conn.execute(text(count), {"i": job["id"]}).scalar_one() == 500
    assert alice.get(f"{API}/imports/{job['id']}").json()["records_created"] == 500
    assert alice.post(f"{API}/imports/{job['id']}/revert").json()["state"] == "reverting"
    run_import_jobs()
    assert alice.get(f"{API}/imports/{job['id']}").json()["state"] == "reverted"
    assert _records(alice) == []
    _rollup_matches_records(owner_engine)
    with owner_engine.begin() as conn:
        conn.execute(text("TRUNCATE procrastinate.procrastinate_jobs, procrastinate.procrastinate_events CASCADE"))


def test_a_refused_commit_queues_nothing(alice: Account, owner_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from consumo.config import get_settings

    monkeypatch.setattr(get_settings(), "import_inline_rows", 0)
    job = preview(alice, HEADER + "water,1,2026-01-01,2026-01-01,,,\n")
    assert_problem(alice.post(f"{API}/imports/{job['id']}/revert"), 409)
    assert queued_import_jobs(owner_engine) == []


def test_an_import_on_a_meter_checks_kinds_and_prices_from_tariffs(alice: Account, owner_engine: Any) -> None:
    meter = create_meter(alice)
    tariff = alice.post(
        f"{API}/meters/{meter['id']}/tariffs",
        json={"valid_from": "2025-01-01", "unit_price_minor": 20, "fixed_daily_minor": 0},
    )
    assert tariff.status_code == 201, tariff.text
    body = HEADER + "electricity,100,2026-01-01,2026-01-31,,,\nwater,1,2026-01-01,2026-01-31,,,\n"
    job = preview(alice, body, meter_id=meter["id"])
    assert (job["valid_rows"], job["error_rows"], job["meter_id"]) == (1, 1, meter["id"])
    assert errors_of(alice, job["id"]) == [(3, "kind")]
    commit(alice, job["id"])
    (record,) = _records(alice)
    assert (record["meter_id"], record["cost_minor"], record["cost_from_tariff"]) == (meter["id"], 2000, True)
    _rollup_matches_records(owner_engine)


def test_a_commit_where_the_owner_may_not_skip_triggers_takes_the_ordinary_path(
    alice: Account, owner_engine: Any
) -> None:
    """The fast path needs the migrating owner to set session_replication_role; without that
    right (a non-superuser owner not granted it), the same function inserts through the
    triggers: the foreign keys checked and the roll-ups kept per statement, the same result."""
    from consumo.config import get_settings

    signature = "consumo_import_insert(uuid, uuid, date, date, date, bigint, bigint)"
    with owner_engine.begin() as conn:
        owner = conn.execute(text("SELECT current_user")).scalar_one()
        conn.execute(text(f'ALTER FUNCTION {signature} OWNER TO "{get_settings().app_db_role}"'))
    try:
        create_record(alice, kind="gas", period_start="2026-01-03", period_end="2026-01-03")
        body = HEADER + "".join(f"gas,{i},2026-01-{i:02d},2026-03-{i:02d},{i},EUR,\n" for i in range(1, 29))
        job = preview(alice, body)
        assert commit(alice, job["id"])["records_created"] == 28
        assert len(_records(alice, import_id=job["id"])) == 28
        _rollup_matches_records(owner_engine)
    finally:
        with owner_engine.begin() as conn:
            conn.execute(text(f'ALTER FUNCTION {signature} OWNER TO "{owner}"'))
            conn.execute(text(f'GRANT EXECUTE ON FUNCTION {signature} TO "{get_settings().app_db_role}"'))


# --- who sees what --------------------------------------------------------------------------


def test_another_tenants_or_members_import_is_a_404(alice: Account, bob: Account, owner_engine: Any, app: Any) -> None:
    job = preview(alice, HEADER + "water,1,2026-01-01,2026-01-01,,,\n")
    member = add_member(owner_engine, app, alice, "mia", "admin")
    for other in (bob, member):
        assert_problem(other.get(f"{API}/imports/{job['id']}"), 404)
        assert_problem(other.get(f"{API}/imports/{job['id']}/rows"), 404)
        assert_problem(other.get(f"{API}/imports/{job['id']}/errors"), 404)
        assert_problem(other.post(f"{API}/imports/{job['id']}/commit"), 404)
        assert_problem(other.post(f"{API}/imports/{job['id']}/revert"), 404)
        assert_problem(other.delete(f"{API}/imports/{job['id']}"), 404)
        assert other.get(f"{API}/imports").json()["items"] == []
    assert [item["id"] for item in alice.get(f"{API}/imports").json()["items"]] == [job["id"]]


def test_the_import_history_pages_newest_first(alice: Account) -> None:
    ids = [preview(alice, HEADER + f"water,{i},2026-01-01,2026-01-01,,,\n")["id"] for i in range(1, 4)]
    first = alice.get(f"{API}/imports", params={"limit": 2}).json()
    second = alice.get(f"{API}/imports", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


def _every_page(account: Account, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = account.get(url, params=params).json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def test_a_previews_rows_and_errors_page_in_file_order_and_a_foreign_cursor_is_a_422(alice: Account) -> None:
    body = HEADER + "".join(
        f"water,{i},2026-01-01,2026-01-01,,,\n" if i % 2 else "water,-1,2026-01-01,2026-01-01,,,\n" for i in range(1, 8)
    )
    job = preview(alice, body)
    rows = _every_page(alice, f"{API}/imports/{job['id']}/rows")
    assert [row["row"] for row in rows] == [2, 4, 6, 8]
    errors = _every_page(alice, f"{API}/imports/{job['id']}/errors")
    assert [error["row"] for error in errors] == [3, 5, 7]
    history_cursor = alice.get(f"{API}/imports", params={"limit": 1}).json()["next_cursor"]
    for foreign in ("bm90LWEtY3Vyc29y", history_cursor):
        if foreign is not None:
            assert_problem(alice.get(f"{API}/imports/{job['id']}/rows", params={"cursor": foreign}), 422)


def test_the_sample_file_in_the_docs_imports_cleanly(alice: Account, owner_engine: Any) -> None:
    from consumo.config import BACKEND_DIR

    sample = (BACKEND_DIR.parent / "docs" / "import-sample.csv").read_bytes()
    job = preview(alice, sample, filename="import-sample.csv")
    assert job["error_rows"] == 0 and job["valid_rows"] == job["total_rows"] > 5
    assert commit(alice, job["id"])["records_created"] == job["valid_rows"]
    _rollup_matches_records(owner_engine)


def test_an_export_imports_back_as_the_same_records(alice: Account, bob: Account) -> None:
    create_record(alice, notes="=1+1")
    plain = {"kind": "water", "quantity": 3.25, "period_start": "2026-01-01", "period_end": "2026-01-01"}
    assert alice.post(f"{API}/consumptions", json=plain).status_code == 201
    exported = alice.get(f"{API}/consumptions/export").content
    job = preview(bob, exported)
    assert job["valid_rows"] == 2, errors_of(bob, job["id"])
    commit(bob, job["id"])
    fields = ("kind", "quantity", "period_start", "period_end", "cost_minor", "currency", "notes")
    mine = sorted(tuple(str(r[f]) for f in fields) for r in _records(alice))
    theirs = sorted(tuple(str(r[f]) for f in fields) for r in _records(bob))
    assert mine == theirs


# --- what a commit tells: one audit event and one webhook event, not one per record --------


def test_a_commit_and_a_revert_each_write_one_audit_event_naming_the_import(alice: Account) -> None:
    body = HEADER + "".join(f"water,{i},2026-01-{i:02d},2026-01-{i:02d},,,\n" for i in range(1, 11))
    job = preview(alice, body + "water,1,2026-01-01,2026-01-01,,,\nwater,-1,2026-01-01,2026-01-01,,,\n")
    commit(alice, job["id"], skip_duplicates=True)

    def events(action: str) -> list[dict[str, Any]]:
        response = alice.get(f"{API}/audit-events", params={"entity_type": "imports", "action": action, "limit": 100})
        assert response.status_code == 200, response.text
        return [
            {**item, "changes": {change.pop("field"): change for change in item["changes"]}}
            for item in response.json()["items"]
        ]

    (committed,) = events("import_commit")
    assert committed["entity_id"] == job["id"] and committed["actor_user_id"] == alice.user_id
    assert committed["changes"]["state"] == {"before": "committing", "after": "committed"}
    assert committed["changes"]["records_created"]["after"] == "10"
    assert committed["changes"]["duplicate_rows"]["after"] == "1"
    assert committed["changes"]["error_rows"]["after"] == "1"
    # The records themselves write no event each (a million would defeat the bulk path).
    per_record = alice.get(f"{API}/audit-events", params={"entity_type": "consumption_records", "limit": 100})
    assert per_record.json()["items"] == []
    alice.post(f"{API}/imports/{job['id']}/revert")
    (reverted,) = events("import_revert")
    assert reverted["changes"]["records_deleted"]["after"] == "10"
    assert reverted["changes"]["state"] == {"before": "reverting", "after": "reverted"}


def test_a_commit_sends_one_import_completed_event_to_subscribed_endpoints(
    alice: Account,
    receiver: Any,
    local_allowed: Any,
    owner_engine: Any,
) -> None:
    from standardwebhooks import Webhook

    endpoint = register(alice, receiver.url(), ["import.completed"])
    per_record = register(alice, receiver.url("/records"), ["consumption.created"])
    job = preview(alice, HEADER + "gas,1,2026-01-01,2026-01-31,,,\ngas,2,2026-02-01,2026-02-28,,,\nbad,1,x,y,,,\n")
    commit(alice, job["id"])
    run_worker()
    (got,) = receiver.received
    assert got["path"] == "/hook"
    event = Webhook(endpoint["secret"]).verify(got["body"], got["headers"])
    assert event["type"] == "import.completed"
    assert event["data"] == {
        "id": job["id"],
        "owner_id": alice.user_id,
        "meter_id": None,
        "records_created": 2,
        "duplicate_rows": 0,
        "duplicates_skipped": False,
        "error_rows": 1,
    }
    assert alice.get(f"{API}/webhooks/{per_record['id']}/deliveries").json()["items"] == []
    with owner_engine.begin() as conn:
        conn.execute(text("TRUNCATE procrastinate.procrastinate_jobs, procrastinate.procrastinate_events CASCADE"))


def test_a_field_read_from_a_repeated_column_name_is_a_422_naming_it(alice: Account) -> None:
    row = "electricity,1,2,2026-01-01,2026-01-01\n"
    # Found by its usual name, twice.
    refused = upload(alice, "kind,quantity,quantity,period_start,period_end\n" + row)
    assert_problem(refused, 422, "column_quantity")
    assert refused.json()["code"] == "import.column_repeated"
    # Named by the caller, twice in the header (also when they differ only in case or accents).
    for header in ("kind,Consumo,Consumo,period_start,period_end\n", "kind,Consumo,consumo,period_start,period_end\n"):
        named = upload(alice, header + row, column_quantity="Cónsumo")
        assert_problem(named, 422, "column_quantity")
    assert alice.get(f"{API}/imports").json()["items"] == []
    # Exactly one column has the exact name: that one. A repeated column nobody reads is no matter.
    exact = preview(alice, "kind,Consumo,consumo,period_start,period_end\n" + row, column_quantity="consumo")
    assert rows_of(alice, exact["id"])[0]["quantity"] == 2.0
    unread = preview(alice, "kind,quantity,extra,extra,period_start,period_end\nwater,3,a,b,2026-01-01,2026-01-01\n")
    assert unread["valid_rows"] == 1


def test_numbers_and_days_in_other_scripts_digits_are_row_errors(alice: Account) -> None:
    job = preview(
        alice,
        HEADER
        + "water,\u0661\u0662,2026-01-01,2026-01-01,,,\n"  # Arabic-Indic 12
        + "water,1,2026-01-01,2026-01-01,\uff11.50,EUR,\n"  # full-width 1
        + "water,1,2026-01-01,2026-01-01,,,\n",
    )
    assert (job["valid_rows"], job["error_rows"]) == (1, 2)
    assert errors_of(alice, job["id"]) == [(2, "quantity"), (3, "cost")]
    dmy = preview(alice, HEADER + "water,1,\u0661\u0662/01/2026,12/01/2026,,,\n", date_format="dmy")
    assert errors_of(alice, dmy["id"]) == [(2, "period_start")]
