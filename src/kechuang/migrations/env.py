"""Alembic environment: runs migrations against the URL set in the config."""

from alembic import context
from sqlalchemy import pool

from kechuang.db import make_engine

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    # one-shot connection; the engine's pool events kept (they set the dialect up on first connect,
    # which a migration's autocommit block needs)
    engine.pool = pool.NullPool(engine.pool._creator, _dispatch=engine.pool.dispatch, dialect=engine.pool._dialect)
    with engine.connect() as connection:
        context.configure(connection=connection, render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
