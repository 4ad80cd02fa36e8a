"""Alembic environment of the diary store: run by :func:`ldnsim.diary.db.upgrade` on an open connection."""

from alembic import context

from ldnsim.diary.tables import Base

connection = context.config.attributes.get("connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
