"""Settings, read once from the environment (and `.env`), refusing unsafe values in production."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BACKEND_DIR = Path(__file__).resolve().parent.parent
SPEC_PATH = BACKEND_DIR.parent / "openapi" / "openapi.yaml"


@lru_cache(maxsize=1)
def load_contract() -> dict[str, Any]:
    """The contract, parsed once: Connexion routes and validates from it (it keeps a copy of its
    own), and the edge reads the same parse for what Connexion does not expose (`Allow`)."""
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return spec


_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development"}
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"

    # The owner connection: runs migrations. Unset means the embedded PostgreSQL.
    database_url: str | None = None
    # The connection the API serves with: a role that owns no table and cannot bypass
    # row-level security. Unset means `database_url` with the user replaced by `app_db_role`.
    app_database_url: str | None = None
    app_db_role: str = "consumo_app"
    embedded_data_dir: Path = BACKEND_DIR / ".data" / "postgres"
    embedded_database: str = "consumo"
    db_pool_size: int = Field(default=10, ge=1, le=100)
    db_statement_timeout_ms: int = Field(default=5000, ge=100)
    db_connect_timeout_s: int = Field(default=2, ge=1, le=60)

    jwt_secret: str = ""
    jwt_issuer: str = "consumo"
    jwt_audience: str = "consumo-api"
    access_token_ttl_s: int = Field(default=15 * 60, ge=60, le=86400)
    refresh_token_ttl_s: int = Field(default=30 * 86400, ge=3600)
    refresh_cookie_secure: bool = True

    # argon2id cost; the defaults are argon2-cffi's RFC 9106 low-memory profile.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    redis_url: str | None = None
    login_rate_limit: str = "10/minute"
    register_rate_limit: str = "5/minute"
    # Networks webhooks may be delivered to although they are not public (e.g. "127.0.0.0/8"
    # for a receiver on this machine, in development and tests). Empty: only public addresses.
    webhook_allowed_networks: str = ""
    # Fernet keys (comma-separated) sealing the webhook signing secrets at rest: the first seals,
    # all open (rotation: put a new key first, `consumo reseal-secrets`, then drop the old one).
    # Unset: a key derived from JWT_SECRET (refused in production).
    webhook_secret_keys: str = ""
    # A mobile line whose prepaid balance is under this (minor units) shows a low-balance alert.
    line_balance_low_minor: int = Field(default=500, ge=0)
    # A worker silent this long (killed, its machine lost) has its jobs handed to another.
    job_stalled_after_s: int = Field(default=60, ge=4, le=3600)
    # Per personal API token, over every operation.
    api_token_rate_limit: str = "600/minute"
    rate_limit_enabled: bool = True
    # The proxies whose X-Forwarded-For (the client's address, which per-address limits key
    # on) is believed: addresses or networks, comma-separated, or "*". Empty: no proxy is, so a
    # client cannot choose its apparent address. Set it when the API runs behind a proxy.
    forwarded_allow_ips: str = ""

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # CSV imports: the upload's own body limit, the longest statement of a preview, commit or
    # revert, up to how many bytes a file is checked before the answer (else stored and checked by
    # a job), and up to how many rows a commit or revert runs before the answer (else in the background).
    import_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    import_inline_bytes: int = Field(default=1024 * 1024, ge=0)
    import_statement_timeout_ms: int = Field(default=600_000, ge=1000)
    import_inline_rows: int = Field(default=5000, ge=0)
    validate_responses: bool = False
    # One JSON object per line; defaults to true in production, false elsewhere.
    log_json: bool = False
    log_level: str = "INFO"

    # The static bearer token that `GET /metrics` requires. Unset: the endpoint is a 404.
    metrics_token: str | None = None

    # Audit events older than this are deleted by `consumo audit-prune`.
    audit_retention_days: int = Field(default=400, ge=1, le=36500)
    # Invitations: how long a link holds, where it points, and the SMTP server that also
    # e-mails it (`smtp://user:password@host:port`, `smtps://…` for TLS; unset: not e-mailed).
    invitation_ttl_days: int = Field(default=7, ge=1, le=90)
    public_web_url: str = "http://localhost:3000"
    smtp_url: str | None = None
    smtp_from: str = "Consumo <no-reply@consumo.invalid>"
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=120)

    @field_validator("metrics_token", "redis_url", "smtp_url", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        # `METRICS_TOKEN=` in a .env or compose file switches the feature off, not on.
        return None if value == "" else value

    @field_validator("webhook_secret_keys")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        import base64
        import binascii

        for key in (part.strip() for part in value.split(",")):
            try:
                valid = not key or len(base64.urlsafe_b64decode(key.encode())) == 32
            except (binascii.Error, ValueError):
                valid = False
            if not valid:
                raise ValueError("each WEBHOOK_SECRET_KEYS key is 32 bytes in URL-safe base64 (Fernet.generate_key())")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production_settings(self) -> Settings:
        if self.environment == "production":
            secret = self.jwt_secret
            if secret.lower() in _PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"JWT_SECRET must be a random value of at least {MIN_SECRET_LENGTH} characters "
                    "in production (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                )
            if not self.database_url:
                raise ValueError("DATABASE_URL is required in production")
            if not self.webhook_secret_keys.strip():
                raise ValueError(
                    "WEBHOOK_SECRET_KEYS is required in production (e.g. `python -c 'from cryptography.fernet "
                    "import Fernet; print(Fernet.generate_key().decode())'`)"
                )
            if self.metrics_token is not None and len(self.metrics_token) < MIN_SECRET_LENGTH:
                raise ValueError(f"METRICS_TOKEN must be at least {MIN_SECRET_LENGTH} random characters")
            if "log_json" not in self.model_fields_set:
                self.log_json = True
        return self

    @property
    def effective_jwt_secret(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        # Development without a secret still works: a per-process random one
        # (tokens then die with the process).
        return _ephemeral_secret()


@lru_cache(maxsize=1)
def _ephemeral_secret() -> str:
    import secrets

    return secrets.token_urlsafe(48)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
