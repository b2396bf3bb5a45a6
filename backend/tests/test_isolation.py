"""Who reaches which consumption record: tenants and users are isolated through the API
(OWASP API1:2023, Broken Object Level Authorization), roles limit what a reader may change,
and PostgreSQL row-level security holds on its own even when a query forgets its tenant."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from consumo.config import get_settings
from conftest import (
    TABLES,
    API,
    VALID_LINE,
    VALID_RECORD,
    Account,
    add_member,
    assert_problem,
    create_meter,
    create_record,
)

CONSUMPTIONS = f"{API}/consumptions"
RLS_TABLES = TABLES  # every table of the models holds tenant data
VERBS = ["GET", "PATCH", "DELETE"]


# --- helpers ---------------------------------------------------------------------------------


def url_of(record: dict[str, Any]) -> str:
    return f"{CONSUMPTIONS}/{record['id']}"


def attempt(account: Account, verb: str, url: str, etag: str = '"1"') -> Any:
    """`verb` on a record, sent the way a legitimate client would (with a valid If-Match)."""
    if verb == "GET":
        return account.get(url)
    if verb == "PATCH":
        return account.patch(url, json={"quantity": 1, "notes": "tampered"}, headers={"If-Match": etag})
    return account.delete(url, headers={"If-Match": etag})


def stored_row(owner_engine: Engine, owner: Account, record_id: str) -> dict[str, Any]:
    """The record as stored, read behind the API as the table owner."""
    with owner_engine.begin() as conn:
        scoped_to(conn, owner.tenant_id)
        row = conn.execute(text("SELECT * FROM consumption_records WHERE id = :i"), {"i": record_id}).mappings().first()
    assert row is not None, "the record is gone"
    return dict(row)


def count_records(owner_engine: Engine, tenant_id: str) -> int:
    with owner_engine.begin() as conn:
        scoped_to(conn, tenant_id)
        return int(
            conn.execute(
                text("SELECT count(*) FROM consumption_records WHERE tenant_id = :t"), {"t": tenant_id}
            ).scalar_one()
        )


def list_ids(account: Account, **params: Any) -> set[str]:
    response = account.get(CONSUMPTIONS, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def scoped_to(conn: Connection, tenant_id: str | None) -> None:
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant_id or ""})


@pytest.fixture
def member(app: Any, owner_engine: Engine, alice: Account) -> Account:
    """A plain member of alice's tenant."""
    return add_member(owner_engine, app, alice, "mallory", "member")


@pytest.fixture
def admin(app: Any, owner_engine: Engine, alice: Account) -> Account:
    return add_member(owner_engine, app, alice, "adminia", "admin")


@pytest.fixture
def viewer(app: Any, owner_engine: Engine, alice: Account) -> Account:
    return add_member(owner_engine, app, alice, "victor", "viewer")


@pytest.fixture
def app_engine(database_url: str) -> Engine:
    """The API's own engine: it connects as the app role, never as the table owner."""
    from consumo.db import app_engine

    return app_engine()


# --- BOLA through the API ----------------------------------------------------------------------


@pytest.mark.parametrize("verb", VERBS)
def test_bola_another_tenant_gets_404_for_every_verb_on_a_record(alice, bob, owner_engine, verb):
    record = create_record(alice)
    before = stored_row(owner_engine, alice, record["id"])

    assert_problem(attempt(bob, verb, url_of(record)), 404)

    assert stored_row(owner_engine, alice, record["id"]) == before
    assert alice.get(url_of(record)).json() == record


@pytest.mark.parametrize("verb", VERBS)
def test_bola_member_cannot_reach_another_members_record_in_the_same_tenant(alice, member, owner_engine, verb):
    record = create_record(alice)
    before = stored_row(owner_engine, alice, record["id"])

    assert_problem(attempt(member, verb, url_of(record)), 404)

    assert stored_row(owner_engine, alice, record["id"]) == before
    assert alice.get(url_of(record)).json() == record


@pytest.mark.parametrize("verb", VERBS)
def test_bola_owner_of_another_tenant_cannot_reach_a_member_record(alice, bob, member, owner_engine, verb):
    record = create_record(member)
    before = stored_row(owner_engine, member, record["id"])

    assert_problem(attempt(bob, verb, url_of(record)), 404)

    assert stored_row(owner_engine, member, record["id"]) == before


@pytest.mark.parametrize("verb", VERBS)
def test_bola_a_foreign_record_looks_exactly_like_a_missing_one(alice, bob, verb):
    record = create_record(alice)

    foreign = attempt(bob, verb, url_of(record))
    missing = attempt(bob, verb, f"{CONSUMPTIONS}/{uuid.uuid4()}")

    assert foreign.status_code == missing.status_code == 404
    assert {k: v for k, v in foreign.json().items() if k != "instance"} == {
        k: v for k, v in missing.json().items() if k != "instance"
    }


def test_bola_a_foreign_record_id_with_an_upper_case_spelling_is_still_404(alice, bob):
    record = create_record(alice)

    assert_problem(bob.get(f"{CONSUMPTIONS}/{record['id'].upper()}"), 404)
    assert alice.get(f"{CONSUMPTIONS}/{record['id'].upper()}").status_code == 200


def test_lists_never_include_other_users_records(alice, bob, member):
    alices = {create_record(alice)["id"] for _ in range(2)}
    members = {create_record(member)["id"] for _ in range(2)}
    bobs = {create_record(bob)["id"] for _ in range(2)}

    assert list_ids(alice) == alices
    assert list_ids(member) == members
    assert list_ids(bob) == bobs
    assert list_ids(bob, scope="tenant") == bobs
    assert list_ids(alice, scope="mine") == alices


def test_filters_cannot_widen_a_list_beyond_the_callers_records(alice, bob):
    create_record(bob, kind="gas", notes="bob's gas")
    mine = create_record(alice, kind="gas", notes="alice's gas")

    assert list_ids(alice, kind="gas", q="gas", **{"from": "2000-01-01", "to": "2100-12-31"}) == {mine["id"]}


def test_a_cursor_made_from_another_tenants_list_does_not_reveal_its_records(alice, bob):
    for _ in range(3):
        create_record(bob)
    mine = create_record(alice)
    bobs_cursor = bob.get(CONSUMPTIONS, params={"limit": 1}).json()["next_cursor"]
    assert bobs_cursor

    response = alice.get(CONSUMPTIONS, params={"cursor": bobs_cursor})

    assert response.status_code == 200
    assert {item["id"] for item in response.json()["items"]} <= {mine["id"]}


# --- roles -------------------------------------------------------------------------------------


def test_member_asking_for_the_whole_tenant_gets_403(alice, member):
    create_record(alice)

    assert_problem(member.get(CONSUMPTIONS, params={"scope": "tenant"}), 403)


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_admin_and_viewer_see_the_whole_tenant_but_never_another_tenant(app, alice, bob, member, owner_engine, role):
    reader = add_member(owner_engine, app, alice, f"reader-{role}", role)
    tenant_records = {create_record(alice)["id"], create_record(member)["id"]}
    create_record(bob)

    assert list_ids(reader, scope="tenant") == tenant_records
    assert list_ids(reader) == set()  # `mine` stays the default
    for record_id in tenant_records:
        assert reader.get(f"{CONSUMPTIONS}/{record_id}").status_code == 200


def test_owner_sees_the_whole_tenant_with_scope_tenant(alice, bob, member):
    tenant_records = {create_record(alice)["id"], create_record(member)["id"]}
    create_record(bob)

    assert list_ids(alice, scope="tenant") == tenant_records


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_tenant_readers_still_get_404_for_another_tenants_record(app, alice, bob, owner_engine, role):
    reader = add_member(owner_engine, app, alice, f"reader-{role}", role)
    record = create_record(bob)

    for verb in VERBS:
        assert_problem(attempt(reader, verb, url_of(record)), 404)
    assert bob.get(url_of(record)).json() == record


def test_viewer_cannot_create_a_record(alice, viewer, owner_engine):
    assert_problem(viewer.post(CONSUMPTIONS, json=VALID_RECORD), 403)

    assert count_records(owner_engine, alice.tenant_id) == 0


def test_viewer_cannot_create_a_record_even_with_an_idempotency_key(viewer):
    headers = {"Idempotency-Key": "viewer-try"}

    assert_problem(viewer.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers), 403)
    assert_problem(viewer.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers), 403)


@pytest.mark.parametrize("verb", ["PATCH", "DELETE"])
def test_viewer_cannot_change_a_record_it_can_see(alice, viewer, owner_engine, verb):
    record = create_record(alice)
    assert viewer.get(url_of(record)).status_code == 200
    before = stored_row(owner_engine, alice, record["id"])

    assert_problem(attempt(viewer, verb, url_of(record)), 403)

    assert stored_row(owner_engine, alice, record["id"]) == before


def test_admin_can_read_a_members_record(member, admin):
    record = create_record(member)

    response = admin.get(url_of(record))

    assert response.status_code == 200
    assert response.json() == record


@pytest.mark.parametrize("verb", ["PATCH", "DELETE"])
def test_admin_cannot_change_a_members_record(member, admin, owner_engine, verb):
    record = create_record(member)
    before = stored_row(owner_engine, member, record["id"])

    assert_problem(attempt(admin, verb, url_of(record)), 403)

    assert stored_row(owner_engine, member, record["id"]) == before


@pytest.mark.parametrize("verb", ["PATCH", "DELETE"])
def test_tenant_owner_cannot_change_a_members_record(alice, member, owner_engine, verb):
    record = create_record(member)
    before = stored_row(owner_engine, member, record["id"])

    assert_problem(attempt(alice, verb, url_of(record)), 403)

    assert stored_row(owner_engine, member, record["id"]) == before


def test_member_can_change_and_delete_its_own_record(member):
    record = create_record(member)

    patched = member.patch(url_of(record), json={"notes": "mine"}, headers={"If-Match": '"1"'})
    deleted = member.delete(url_of(record), headers={"If-Match": patched.headers["ETag"]})

    assert patched.status_code == 200
    assert deleted.status_code == 204


def test_member_cannot_read_an_admins_record(admin, member):
    record = create_record(admin)

    assert_problem(member.get(url_of(record)), 404)


# --- row-level security alone (the app's own scoping bypassed) ---------------------------------


def _two_tenants_with_data(alice: Account, bob: Account) -> None:
    """Records, sessions, refresh tokens and idempotency keys in both tenants."""
    create_record(alice, notes="alice")
    alice.post(CONSUMPTIONS, json=VALID_RECORD, headers={"Idempotency-Key": "a-key"})
    create_record(bob, notes="bob")
    bob.post(CONSUMPTIONS, json=VALID_RECORD, headers={"Idempotency-Key": "b-key"})
    for account in (alice, bob):
        meter, line = create_meter(account), create_meter(account, **VALID_LINE)
        assert (
            account.post(
                f"{API}/meters/{meter['id']}/tariffs", json={"valid_from": "2025-01-01", "unit_price_minor": 10}
            ).status_code
            == 201
        )
        assert (
            account.post(
                f"{API}/meters/{meter['id']}/readings", json={"date": "2025-01-01", "index_value": 5}
            ).status_code
            == 201
        )
        assert account.post(f"{API}/meters/{line['id']}/top-ups", json={"amount_minor": 100}).status_code == 201


def test_rls_an_unscoped_select_as_the_app_role_sees_only_the_current_tenant(app_engine, alice, bob):
    _two_tenants_with_data(alice, bob)

    with app_engine.begin() as conn:
        scoped_to(conn, alice.tenant_id)
        record_tenants = conn.execute(text("SELECT tenant_id::text FROM consumption_records")).scalars().all()
        user_tenants = conn.execute(text("SELECT tenant_id::text FROM users")).scalars().all()
        tenants = conn.execute(text("SELECT id::text FROM tenants")).scalars().all()
        others = {
            table: conn.execute(text(f"SELECT DISTINCT tenant_id::text FROM {table}")).scalars().all()
            for table in [
                "auth_sessions",
                "refresh_tokens",
                "idempotency_keys",
                "consumption_daily",
                "consumption_monthly",
                "meters",
                "meter_tariffs",
                "meter_readings",
                "meter_top_ups",
            ]
        }

    assert len(record_tenants) == 2
    assert set(record_tenants) == {alice.tenant_id}
    assert user_tenants == [alice.tenant_id]
    assert tenants == [alice.tenant_id]
    assert others == {table: [alice.tenant_id] for table in others}


def test_rls_without_a_tenant_the_app_role_sees_nothing(app_engine, alice, bob):
    _two_tenants_with_data(alice, bob)

    for tenant_setting in [None, ""]:
        with app_engine.begin() as conn:
            if tenant_setting is not None:
                scoped_to(conn, tenant_setting)
            counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in RLS_TABLES}
        assert counts == dict.fromkeys(RLS_TABLES, 0)


def test_rls_the_tenant_setting_ends_with_its_transaction(app_engine, alice):
    create_record(alice)

    with app_engine.connect() as conn:
        with conn.begin():
            scoped_to(conn, alice.tenant_id)
            assert conn.execute(text("SELECT count(*) FROM consumption_records")).scalar_one() == 1
        with conn.begin():
            assert conn.execute(text("SELECT count(*) FROM consumption_records")).scalar_one() == 0


def _rls_violation(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "42501" and "row-level security" in str(exc.orig)


def test_rls_rejects_inserting_a_row_for_another_tenant(app_engine, alice, bob, owner_engine):
    with pytest.raises(DBAPIError) as raised, app_engine.begin() as conn:
        scoped_to(conn, alice.tenant_id)
        conn.execute(
            text(
                "INSERT INTO consumption_records (tenant_id, id, owner_id, kind, quantity, period_start, "
                "period_end, currency, created_by, updated_by) VALUES (:t, :i, :o, 'water', 1, "
                "'2025-01-01', '2025-01-31', 'EUR', :o, :o)"
            ),
            {"t": bob.tenant_id, "i": str(uuid.uuid4()), "o": bob.user_id},
        )

    assert _rls_violation(raised.value), raised.value
    assert count_records(owner_engine, bob.tenant_id) == 0


def test_rls_rejects_inserting_a_user_into_another_tenant(app_engine, alice, bob):
    with pytest.raises(DBAPIError) as raised, app_engine.begin() as conn:
        scoped_to(conn, alice.tenant_id)
        conn.execute(
            text(
                "INSERT INTO users (tenant_id, id, username, email, password_hash, role) "
                "VALUES (:t, :i, 'intruder', 'intruder@example.com', 'x', 'owner')"
            ),
            {"t": bob.tenant_id, "i": str(uuid.uuid4())},
        )

    assert _rls_violation(raised.value), raised.value


def test_rls_rejects_moving_a_row_into_another_tenant(app_engine, alice, bob, owner_engine):
    record = create_record(alice)

    with pytest.raises(DBAPIError) as raised, app_engine.begin() as conn:
        scoped_to(conn, alice.tenant_id)
        conn.execute(
            text("UPDATE consumption_records SET tenant_id = :b, owner_id = :o"), {"b": bob.tenant_id, "o": bob.user_id}
        )

    assert _rls_violation(raised.value), raised.value
    assert str(stored_row(owner_engine, alice, record["id"])["owner_id"]) == alice.user_id


def test_rls_update_and_delete_cannot_touch_another_tenants_rows(app_engine, alice, bob, owner_engine):
    record = create_record(bob)
    before = stored_row(owner_engine, bob, record["id"])

    with app_engine.begin() as conn:
        scoped_to(conn, alice.tenant_id)
        updated = conn.execute(text("UPDATE consumption_records SET notes = 'hacked'")).rowcount
        deleted = conn.execute(text("DELETE FROM consumption_records")).rowcount
        users_deleted = conn.execute(text("DELETE FROM users WHERE tenant_id = :b"), {"b": bob.tenant_id}).rowcount

    assert (updated, deleted, users_deleted) == (0, 0, 0)
    assert stored_row(owner_engine, bob, record["id"]) == before
    assert bob.get(url_of(record)).status_code == 200


def test_rls_the_app_role_is_no_superuser_and_cannot_bypass_rls(app_engine):
    with app_engine.connect() as conn:
        role = (
            conn.execute(
                text(
                    "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            )
            .mappings()
            .one()
        )

    assert role["rolname"] == get_settings().app_db_role
    assert (role["rolsuper"], role["rolbypassrls"], role["rolcreaterole"], role["rolcreatedb"]) == (
        False,
        False,
        False,
        False,
    )


def test_rls_the_app_role_owns_no_table_and_cannot_become_an_owner(app_engine):
    with app_engine.connect() as conn:
        owners = conn.execute(text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")).all()
        app_role = conn.execute(text("SELECT current_user")).scalar_one()
        memberships = (
            conn.execute(
                text(
                    "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public' "
                    "AND pg_has_role(current_user, tableowner, 'MEMBER')"
                )
            )
            .scalars()
            .all()
        )

    assert {name for name, _ in owners} >= set(RLS_TABLES)
    assert all(owner != app_role for _, owner in owners)
    assert memberships == []


def test_rls_is_enabled_and_forced_on_every_table_the_app_role_can_touch(app_engine):
    with app_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND ("
                "  has_table_privilege(current_user, c.oid, 'SELECT') OR "
                "  has_table_privilege(current_user, c.oid, 'INSERT') OR "
                "  has_table_privilege(current_user, c.oid, 'UPDATE') OR "
                "  has_table_privilege(current_user, c.oid, 'DELETE'))"
            )
        ).all()

    assert {name for name, _, _ in rows} >= set(RLS_TABLES)
    assert [name for name, enabled, forced in rows if not (enabled and forced)] == []


def test_rls_every_tenant_table_has_a_policy_on_the_tenant_setting(app_engine):
    with app_engine.connect() as conn:
        policies = conn.execute(
            text(
                "SELECT tablename, qual, with_check FROM pg_policies "
                "WHERE schemaname = 'public' AND policyname = 'tenant_isolation'"
            )
        ).all()

    by_table = {table: (qual, check) for table, qual, check in policies}
    assert set(by_table) == set(RLS_TABLES)
    for qual, check in by_table.values():
        assert "app.tenant_id" in qual
        assert "app.tenant_id" in check
