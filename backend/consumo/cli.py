"""`consumo` command: the same entry points for `make run`, CI and containers."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from consumo.config import BACKEND_DIR, get_settings


def migrate() -> None:
    """Bring the schema to the newest migration (creates the embedded database if needed)."""
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(BACKEND_DIR / "alembic.ini")), "head")


def serve(host: str, port: int, reload: bool, run_migrations: bool = True) -> None:
    """Development and CI: one uvicorn process."""
    import uvicorn

    from consumo.http_limits import PROTOCOL
    from consumo.server import KEEP_ALIVE_S

    if run_migrations:
        migrate()
    trusted_proxies = get_settings().forwarded_allow_ips
    uvicorn.run(
        "consumo.asgi:app",
        host=host,
        port=port,
        reload=reload,
        server_header=False,
        log_config=None,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies,
        timeout_keep_alive=KEEP_ALIVE_S,
        http=PROTOCOL,
    )


def serve_production(host: str, port: int, workers: int | None, run_migrations: bool) -> None:
    """Containers and hosts: migrate, then gunicorn with `workers` uvicorn workers."""
    from consumo import server
    from consumo.ratelimit import per_worker_warning

    count = server.worker_count(workers)
    warning = per_worker_warning(count)
    if warning:
        print(f"WARNING: {warning}", file=sys.stderr, flush=True)
    # Before anything imports prometheus_client: it picks its storage from this variable.
    server.prepare_metrics_dir()
    if run_migrations:
        migrate()
    server.serve_production(host, port, count)


def worker(concurrency: int, queues: list[str] | None) -> None:
    """Run background jobs (webhook deliveries, …) until SIGINT/SIGTERM; a stop lets the jobs
    in hand finish. Start as many as needed, on any machines: they share the queue."""
    from consumo.jobs import job_app
    from consumo.logging import configure_logging

    settings = get_settings()
    configure_logging(json_lines=settings.log_json, level=settings.log_level)
    app = job_app()
    with app.open():
        app.run_worker(
            queues=queues,
            concurrency=concurrency,
            # Heartbeats often enough that a live worker is never taken for a dead one.
            update_heartbeat_interval=settings.job_stalled_after_s / 4,
            stalled_worker_timeout=settings.job_stalled_after_s,
        )


def ensure_local_env(path: Path) -> None:
    """Write a development `.env` with a random JWT secret, once."""
    if path.exists() and "JWT_SECRET=" in path.read_text():
        return
    with path.open("a") as env:
        env.write(f"JWT_SECRET={secrets.token_urlsafe(48)}\n")
    print(f"wrote a local JWT secret to {path}")


def audit_prune(retention_days: int | None) -> int:
    """Delete audit events older than the retention period (`AUDIT_RETENTION_DAYS`, default
    400), in every tenant, as the table owner (the API's role may never delete events)."""
    from sqlalchemy.orm import Session

    from consumo import models_registry  # noqa: F401 (every model, for the mapper)
    from consumo.audit.service import prune
    from consumo.db import database_urls, make_engine

    settings = get_settings()
    days = retention_days or settings.audit_retention_days
    engine = make_engine(database_urls().owner, settings, pool_size=1)
    try:
        with Session(engine) as session, session.begin():
            deleted = prune(session, retention_days=days)
    finally:
        engine.dispose()
    print(f"audit-prune: deleted {deleted} audit events older than {days} days")
    return deleted


def reseal_secrets() -> int:
    """Re-encrypt every webhook signing secret under the first WEBHOOK_SECRET_KEYS key (the
    second step of a key rotation), as the table owner, in one transaction."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from consumo import models_registry  # noqa: F401 (every model, for the mapper)
    from consumo.db import database_urls, make_engine
    from consumo.webhooks.service import reseal_all_secrets

    engine = make_engine(database_urls().owner, get_settings(), pool_size=1)
    try:
        with Session(engine) as session, session.begin():
            # The owner is bound by FORCE ROW LEVEL SECURITY too: lifted for this transaction only.
            session.execute(text("ALTER TABLE webhook_endpoints NO FORCE ROW LEVEL SECURITY"))
            count = reseal_all_secrets(session)
            session.execute(text("ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY"))
    finally:
        engine.dispose()
    print(f"reseal-secrets: {count} webhook endpoints sealed under the first key")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="consumo")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    run = commands.add_parser("serve", help="migrate, then serve the API (uvicorn; gunicorn with --production)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    run.add_argument(
        "--production",
        action="store_true",
        help="gunicorn + uvicorn workers (count: --workers, else WEB_CONCURRENCY, else 2)",
    )
    run.add_argument("--workers", type=int, default=None, help="worker processes (with --production)")
    run.add_argument(
        "--no-migrate",
        dest="migrate",
        action="store_false",
        help="do not apply migrations first (when a separate `consumo migrate` job does)",
    )
    jobs = commands.add_parser("worker", help="run background jobs: webhook deliveries and others (procrastinate)")
    jobs.add_argument("--concurrency", type=int, default=4, help="jobs run at once by this worker")
    jobs.add_argument("--queue", dest="queues", action="append", help="only this queue (repeatable); default all")
    env = commands.add_parser("init-env", help="create a development .env with a random secret")
    env.add_argument("--path", type=Path, default=Path(".env"))
    prune = commands.add_parser("audit-prune", help="delete audit events older than AUDIT_RETENTION_DAYS (400)")
    prune.add_argument("--days", type=int, default=None, help="retention in days (overrides AUDIT_RETENTION_DAYS)")
    commands.add_parser(
        "reseal-secrets", help="re-encrypt webhook signing secrets under the first WEBHOOK_SECRET_KEYS key"
    )
    args = parser.parse_args(argv)
    if args.command == "audit-prune":
        audit_prune(args.days)
    elif args.command == "reseal-secrets":
        reseal_secrets()
    elif args.command == "migrate":
        migrate()
    elif args.command == "serve" and args.production:
        if args.reload:
            parser.error("--reload is for development; it cannot be combined with --production")
        serve_production(args.host, args.port, args.workers, args.migrate)
    elif args.command == "serve":
        if args.workers is not None:
            parser.error("--workers needs --production")
        serve(args.host, args.port, args.reload, args.migrate)
    elif args.command == "worker":
        worker(args.concurrency, args.queues)
    elif args.command == "init-env":
        ensure_local_env(args.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
