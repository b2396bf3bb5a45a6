"""Alembic owns the schema: the models and the migrations agree, and the ERD is current."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from consumo.config import BACKEND_DIR
from consumo.erd import ERD_PATH, render_erd


def test_models_and_migrations_agree(database_url):
    # Raises if autogenerate would produce any operation.
    command.check(Config(str(BACKEND_DIR / "alembic.ini")))


def test_the_committed_erd_matches_the_models():
    assert ERD_PATH.read_text() == render_erd(), "run `make erd` and commit docs/erd.md"
