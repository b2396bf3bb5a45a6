"""`consumo` command: the same entry points for `make run`, CI and containers."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from consumo.config import BACKEND_DIR


def migrate() -> None:
    """Bring the schema to the newest migration (creates the embedded database if needed)."""
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(BACKEND_DIR / "alembic.ini")), "head")


def serve(host: str, port: int, reload: bool) -> None:
    import uvicorn

    migrate()
    uvicorn.run("consumo.asgi:app", host=host, port=port, reload=reload, server_header=False,
                log_config=None, proxy_headers=True)


def ensure_local_env(path: Path) -> None:
    """Write a development `.env` with a random JWT secret, once."""
    if path.exists() and "JWT_SECRET=" in path.read_text():
        return
    with path.open("a") as env:
        env.write(f"JWT_SECRET={secrets.token_urlsafe(48)}\n")
    print(f"wrote a local JWT secret to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="consumo")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    run = commands.add_parser("serve", help="migrate, then serve the API with uvicorn")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--reload", action="store_true")
    env = commands.add_parser("init-env", help="create a development .env with a random secret")
    env.add_argument("--path", type=Path, default=Path(".env"))
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
    elif args.command == "serve":
        serve(args.host, args.port, args.reload)
    elif args.command == "init-env":
        ensure_local_env(args.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
