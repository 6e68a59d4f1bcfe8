"""Alembic environment: runs migrations against the URL set in the config."""

from alembic import context
from sqlalchemy import pool

from kechuang.db import make_engine

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    engine.pool = pool.NullPool(engine.pool._creator)  # one-shot connection
    with engine.connect() as connection:
        context.configure(connection=connection, render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
