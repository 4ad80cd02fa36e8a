"""Opening a diary database: engine, SQLite durability settings, migrations.

SQLite (the default) is opened with, on every new connection (a ``connect`` event):
``journal_mode=WAL`` (readers never block the writer), ``synchronous=FULL`` (a committed entry survives
a crash or power loss; NORMAL can lose the last commits on power loss), ``busy_timeout=30000`` ms
(concurrent writers wait instead of failing) and ``foreign_keys=ON``. WAL does not work on network
shares: use a server database there (any SQLAlchemy URL, e.g. ``postgresql+psycopg://…``).

The schema is managed by alembic (``ldnsim/diary/migrations``); :func:`open_engine` upgrades a database to
the newest revision every time it is opened, so an old diary file is migrated in place.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

__all__ = ["open_engine", "default_url", "default_path", "upgrade", "HEAD", "ENV_VAR"]

ENV_VAR = "LDNSIM_DIARY_DB"
HEAD = "0001"
_MIGRATIONS = Path(__file__).with_name("migrations")


def default_path() -> Path:
    """Per-user data file: ``$XDG_DATA_HOME/ldnsim/diary.sqlite`` (``~/.local/share/ldnsim/diary.sqlite``)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "ldnsim" / "diary.sqlite"


def default_url() -> str:
    """``$LDNSIM_DIARY_DB`` (a URL or a file path) or the per-user SQLite file."""
    env = os.environ.get(ENV_VAR)
    return to_url(env) if env else to_url(str(default_path()))


def to_url(url_or_path: str | os.PathLike) -> str:
    """A SQLAlchemy URL from a URL or a plain file path (→ ``sqlite:///ABS``)."""
    s = str(url_or_path)
    if "://" in s:
        return s
    p = Path(s).expanduser().resolve()
    return f"sqlite:///{p}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # The pysqlite driver opens transactions itself; let SQLAlchemy issue BEGIN (see begin event).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    mode = cur.execute("PRAGMA journal_mode=WAL").fetchone()
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
    del mode  # ':memory:' databases stay in 'memory' mode


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock at the start: no upgrade deadlocks


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema revision (alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import text

    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as c:
        return c.execute(text("SELECT version_num FROM alembic_version")).scalar()


def open_engine(url: str | os.PathLike | None = None, *, migrate: bool = True) -> Engine:
    """An engine for ``url`` (SQLAlchemy URL or file path; default :func:`default_url`), migrated to head."""
    url = to_url(url) if url is not None else default_url()
    u = make_url(url)
    kw: dict = {}
    if u.get_backend_name() == "sqlite":
        db = u.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        kw["connect_args"] = {"timeout": 30.0}
        if not db or db == ":memory:":
            from sqlalchemy.pool import StaticPool

            kw["poolclass"] = StaticPool
    engine = create_engine(url, **kw)
    if u.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    if migrate and current_revision(engine) != HEAD:
        upgrade(engine)
    return engine
