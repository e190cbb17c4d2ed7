"""Engines for SQLite (the embedded default) and PostgreSQL, and the checks made on opening.

SQLite runs in WAL mode with a busy timeout; write transactions start with ``BEGIN IMMEDIATE``
so two writers queue for the lock instead of failing half-way. On PostgreSQL writers serialise
on a row lock of their negotiation (see ``store.py``). A password in a URL is never printed:
every message uses :func:`redact`.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from tracker.db import SCHEMA_REVISION
from tracker.model.errors import DatabaseError, InvalidInput

DEFAULT_URL = "sqlite:///data/tracker.db"
ENV_URL = "TRACKER_DB_URL"
ENV_LOCK_TIMEOUT = "TRACKER_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0


MAX_LOCK_TIMEOUT = 86_400.0  # a day: PostgreSQL's lock_timeout is an int of milliseconds


def lock_timeout() -> float:
    """Seconds a writer waits for another's lock (``TRACKER_LOCK_TIMEOUT``; 0: do not wait),
    the same on both databases."""
    raw = os.environ.get(ENV_LOCK_TIMEOUT, "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (0 <= value <= MAX_LOCK_TIMEOUT):  # NaN fails this too
        raise InvalidInput(
            f"{ENV_LOCK_TIMEOUT}={raw!r}: give the seconds a writer may wait for a lock, from 0 (do not wait) to {MAX_LOCK_TIMEOUT:.0f}"
        )
    return value


def resolve_url(url: str | None) -> str:
    return url or os.environ.get(ENV_URL) or DEFAULT_URL


def redact(url: str | URL) -> str:
    """The URL with any password replaced by ``***``, even when the URL does not parse.

    A password may also hide in the query (``?password=…``), and an unescaped ``@`` in it makes
    the URL ambiguous: then everything up to the last ``@`` of the authority is hidden.
    """
    if isinstance(url, URL):
        return _render(url)
    if _authority(url).count("@") > 1:
        return _scrub_userinfo(url)
    try:
        return _render(make_url(url))
    except Exception:  # a malformed URL: scrub by pattern instead
        return _scrub_userinfo(url)


def _render(url: URL) -> str:
    if "password" in url.query:
        url = url.update_query_dict({"password": "***"})
    return url.render_as_string(hide_password=True).replace("password=%2A%2A%2A", "password=***")


def _authority(url: str) -> str:
    return url.partition("://")[2].partition("/")[0] if "://" in url else url.partition("/")[0]


def _scrub_userinfo(url: str) -> str:
    url = re.sub(r"([?&]password=)[^&]*", r"\1***", url)
    return re.sub(r"^((?:[A-Za-z][A-Za-z0-9+.-]*://)?[^:/@?#]*):.*@", r"\1:***@", url)


def _secrets(url: str) -> set[str]:
    found = set()
    try:
        parsed = make_url(url)
        found |= {str(parsed.password or ""), str(parsed.query.get("password") or "")}
    except Exception:
        pass
    userinfo = _authority(url).rpartition("@")[0]
    if ":" in userinfo:
        password = userinfo.partition(":")[2]
        found |= {password, *password.split("@")}  # an unescaped "@" splits it when misread
    found |= set(re.findall(r"[?&]password=([^&]*)", url))
    return {s for s in found if s}


def scrub(message: str, url: str) -> str:
    """Remove the password of ``url`` (however it was written) from a driver's message."""
    for secret in sorted(_secrets(url), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def parse_url(url: str) -> URL:
    if "\x00" in url:
        raise DatabaseError("invalid database URL: it holds a NUL character")
    if _authority(url).count("@") > 1:
        raise DatabaseError(f"invalid database URL {redact(url)!r}: write '@' in a user name or password as %40")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseError(f"invalid database URL {redact(url)!r}") from None
    # Plain "postgresql://" would select psycopg2; this project ships psycopg 3.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created if missing."""
    parsed = parse_url(url)
    timeout = lock_timeout()
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database
            if database and database != ":memory:" and not database.startswith("file:"):
                if _read_only(Path(database)):
                    return _read_only_sqlite(Path(database), timeout)
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": timeout})
            _configure_sqlite(engine, timeout, wal=True)
        elif parsed.get_backend_name() == "postgresql":
            engine = create_engine(parsed, connect_args={"connect_timeout": 10}, pool_pre_ping=False)
            _configure_postgresql(engine, timeout)
        else:
            raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")
    except NoSuchModuleError:
        raise DatabaseError(f"unsupported database URL {redact(parsed)!r}") from None
    except ImportError as exc:  # a dialect whose driver is not installed (postgresql+psycopg2)
        raise DatabaseError(
            f"database URL {redact(parsed)!r} needs the Python module {exc.name or 'for its driver'!r}, which is not installed;"
            " for PostgreSQL write postgresql://… (tracker ships psycopg 3)"
        ) from None
    except OSError as exc:
        raise DatabaseError(f"cannot create the database folder: {exc.strerror}") from None
    return engine


def _read_only(path: Path) -> bool:
    """An existing SQLite file that cannot be written where it is (a read-only mount, a folder
    without write permission): it is read as it is, and any write is refused by SQLite."""
    return path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _read_only_sqlite(path: Path, timeout: float) -> Engine:
    import sqlite3
    from urllib.parse import quote

    base = f"file:{quote(str(path.resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(base, uri=True, timeout=timeout, check_same_thread=False)
        try:
            conn.execute("PRAGMA schema_version").fetchone()  # opens the file (and a WAL's -shm) now
            return conn
        except sqlite3.OperationalError:
            conn.close()
            # A WAL database needs a -shm file beside it, which a read-only folder cannot get.
            # Read it as immutable only when no write-ahead log is there (so none is lost, and
            # nobody is writing): else say so rather than show an older state.
            wal = Path(f"{path}-wal")
            if wal.exists() and wal.stat().st_size:
                raise DatabaseError(
                    f"{path}: its write-ahead log ({wal.name}) cannot be read from a read-only folder; "
                    "copy the database (and its -wal file) somewhere writable, or open it once where it can be written"
                ) from None
            return sqlite3.connect(f"{base}&immutable=1", uri=True, timeout=timeout, check_same_thread=False)

    engine = create_engine("sqlite://", creator=connect)
    _configure_sqlite(engine, timeout, wal=False)
    return engine


def _configure_sqlite(engine: Engine, timeout: float, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # Writers take the lock up front so they queue on busy_timeout rather than
        # failing when a read transaction tries to upgrade to a write.
        mode = "IMMEDIATE" if conn.get_execution_options().get("tracker_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _configure_postgresql(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            # PostgreSQL reads 0 as "wait for ever": not waiting is the shortest wait it has.
            cur.execute(f"SET lock_timeout = '{max(1, int(timeout * 1000))}ms'")
        dbapi_conn.commit()


def database_error(exc: SQLAlchemyError, url: str, doing: str) -> DatabaseError:
    """One readable line for a driver error, without the password."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return DatabaseError(f"{doing} {redact(url)}: {scrub(first, url)}")


def schema_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None when it has never been migrated."""
    with engine.connect() as conn:
        has_table = engine.dialect.has_table(conn, "alembic_version")
        if not has_table:
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def open_engine(url: str | None = None) -> Engine:
    """Open the database, creating and migrating an embedded SQLite file on first use.

    A PostgreSQL database that is behind the code's schema is an error telling the user to run
    ``tracker db upgrade``: migrating a shared server is a decision, not a side effect.
    """
    url = resolve_url(url)
    engine = create(url)
    try:
        revision = schema_revision(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise database_error(exc, url, "cannot open") from None
    if revision == SCHEMA_REVISION:
        return engine
    if is_sqlite(engine) and revision is None or is_sqlite(engine) and _older(revision):
        from tracker.db import migrate

        try:
            migrate.upgrade_first_use(engine)
        except DBAPIError as exc:
            engine.dispose()
            raise database_error(exc, url, "cannot set up") from None
        return engine
    engine.dispose()
    if revision is None:
        raise DatabaseError(f"database {redact(url)} is not set up; run `tracker db upgrade`")
    if _older(revision):
        raise DatabaseError(
            f"database {redact(url)} is at schema {revision}, this tracker needs {SCHEMA_REVISION}; run `tracker db upgrade`"
        )
    raise DatabaseError(f"database {redact(url)} has schema {revision}, newer than this tracker ({SCHEMA_REVISION}); upgrade tracker")


def _older(revision: str | None) -> bool:
    return revision is None or (revision.isdigit() and int(revision) < int(SCHEMA_REVISION))


def missing_database(url: str | None) -> None:
    """Refuse to read an embedded database file that does not exist (opening it would create it)."""
    resolved = url or "sqlite:///data/tracker.db"
    if not resolved.startswith("sqlite:///") or resolved.startswith("sqlite:///:memory:") or "?" in resolved:
        return
    path = Path(resolved.removeprefix("sqlite:///"))
    if not path.exists():
        raise DatabaseError(f"no database at {path} (from {resolved}): nothing is recorded there yet; record drafts first,"
                            " or give --db (TRACKER_DB_URL) for the database you meant")
