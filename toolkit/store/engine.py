"""The only place that opens the database: engines, sessions, transactions and the schema version.

Use :func:`create_store` once per study, then :func:`open_store` everywhere else::

    store = open_store("sqlite:///study.sqlite")
    with store.transaction(actor="alice") as tx:
        ...  # every write in here commits together or not at all

SQLite runs with WAL and foreign keys on; any SQLAlchemy URL works (``postgresql+psycopg://...``).

Encryption at rest: with a key (``QDA_DB_KEY``, or ``key=``) an SQLite store is opened through SQLCipher
(the optional ``encryption`` extra, ``sqlite+pysqlcipher``): the file and its WAL are encrypted page by page,
and without the key they reveal nothing, not even that they are SQLite files. A store is encrypted or not
from its creation (``qda init`` with the key set); :func:`encrypt_copy` converts one into the other.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from toolkit.errors import ConflictError, NotFoundError, StoreError
from toolkit.store.audit import canonical_payload, payload_digest, seal
from toolkit.store.limits import check_flush, conflict_subject, mask_url
from toolkit.store.migrate import UpgradeReport, current_revision, head_revision, stamp_head, upgrade
from toolkit.store.models import SCHEMA_VERSION, AuditEvent, Base, Coder, Project, SchemaInfo, utcnow
from toolkit.store.private import create_private_sqlite, sqlite_path

__all__ = [
    "DEFAULT_DB_URL",
    "KEY_ENV",
    "Store",
    "Transaction",
    "changed_rows",
    "create_store",
    "default_db_key",
    "default_db_url",
    "encrypt_copy",
    "is_encrypted_file",
    "open_store",
    "store_revision",
    "upgrade_store",
]

DEFAULT_DB_URL = "sqlite:///qda.sqlite"
_DRIVER_EXTRAS = {"postgresql": "postgres", "sqlite+pysqlcipher": "encryption"}
KEY_ENV = "QDA_DB_KEY"
"""The environment variable holding an encrypted store's key (``qda --db-key-prompt`` sets it for one run)."""
SQLITE_HEADER = b"SQLite format 3\x00"


def default_db_url() -> str:
    """The store named by ``QDA_DB``, or ``qda.sqlite`` in the working directory."""
    return os.environ.get("QDA_DB") or DEFAULT_DB_URL


def default_db_key() -> str | None:
    """The key of an encrypted store, from ``QDA_DB_KEY`` (None when unset or empty)."""
    return os.environ.get(KEY_ENV) or None


def is_encrypted_file(path: str | os.PathLike[str]) -> bool | None:
    """True when a non-empty file lacks SQLite's plain header (SQLCipher encrypts it too); None: no data yet."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    return None if not head else head != SQLITE_HEADER


# SQLite files this process has engines on: real path -> (the engines' encryption, the engines). While one of
# them lives, its connections hold POSIX advisory locks on the file, and closing any other descriptor of that
# file in this process drops them all (https://www.sqlite.org/howtocorrupt.html, section 2.2): another
# process then takes itself for the last connection, deletes the WAL under ours, and this process reads
# "database disk image is malformed" (seen in the crash test: an open store, then a second open_store here
# while `qda import` wrote elsewhere). So the header is read only while no engine of ours is on the file.
_ENGINES_ON: dict[str, tuple[bool, weakref.WeakSet[Engine]]] = {}
_ENGINES_LOCK = threading.Lock()


def _file_encrypted(path: Path) -> bool | None:
    """:func:`is_encrypted_file`, without opening a file this process already has SQLite connections on."""
    with _ENGINES_LOCK:
        known = _ENGINES_ON.get(os.path.realpath(path))
        if known is not None and len(known[1]):
            return known[0]
    return is_encrypted_file(path)


def _remember_engine(path: Path, engine: Engine, encrypted: bool) -> None:
    with _ENGINES_LOCK:
        real = os.path.realpath(path)
        known = _ENGINES_ON.get(real)
        engines = known[1] if known is not None and len(known[1]) else weakref.WeakSet()
        engines.add(engine)
        _ENGINES_ON[real] = (encrypted, engines)


def _check_key_fits(parsed: Any, encrypted: bool) -> None:
    """Refuse, in one line, a plain store opened with a key or an encrypted one opened without."""
    path = sqlite_path(parsed)
    found = _file_encrypted(path) if path is not None else None
    if found is None or found == encrypted:
        return
    if encrypted:
        raise StoreError(
            f"{path} is not encrypted, but a key is set ({KEY_ENV}); unset it to open this store, or make an "
            f"encrypted copy with `qda db encrypt --to sqlite:///encrypted.sqlite`"
        )
    raise StoreError(
        f"{path} is encrypted (or is not an SQLite file): set its key in {KEY_ENV} or pass `qda --db-key-prompt`"
    )


def _make_engine(url: str, key: str | None = None) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {mask_url(url)!r} (try sqlite:///study.sqlite)") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        key = key if key is not None else default_db_key()
        if parsed.drivername == "sqlite+pysqlcipher" and not key and not parsed.password:
            raise StoreError(f"{mask_url(url)} names an encrypted store but no key is set; set {KEY_ENV}")
        if key:
            parsed = parsed.set(drivername="sqlite+pysqlcipher", password=key)
    encrypted = parsed.drivername == "sqlite+pysqlcipher"
    if parsed.get_backend_name() == "sqlite":
        _check_key_fits(parsed, encrypted)
    # hide_parameters: a failing statement's message must never carry transcript text or names.
    try:
        engine = create_engine(parsed, future=True, hide_parameters=True)
    except (ImportError, NoSuchModuleError) as exc:
        extra = _DRIVER_EXTRAS.get(parsed.drivername) or _DRIVER_EXTRAS.get(parsed.get_backend_name())
        hint = f"install it with `pip install 'survivor-qda[{extra}]'`" if extra else "install its Python driver"
        raise StoreError(
            f"the database driver for {parsed.drivername} is not installed ({_first_line(exc)}); {hint}"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            _remember_engine(path, engine, encrypted)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if encrypted:  # SQLCipher would log a wrong key's failed page checks to stderr, beside our one line
                cursor.execute("PRAGMA cipher_log_level = NONE")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            # Deleted or overwritten content is zeroed, not left in free pages (withdrawals, replaced text).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

    return engine


def changed_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (``Session.execute`` is typed as a plain ``Result``)."""
    return cast(CursorResult[Any], result).rowcount or 0


@dataclass
class Transaction:
    """One unit of work: a session plus the actor whose name goes into the audit trail."""

    session: Session
    actor: str
    events: list[AuditEvent] = field(default_factory=list)
    signed_in: str | None = None
    """Who signed in (:mod:`toolkit.store.users`), when that is not ``actor`` (an admin acting for a coder)."""

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: str | int = "",
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Append an audit event inside this transaction, so it commits with the change it describes.

        The event is chained (:mod:`toolkit.store.audit`) when the transaction commits. When the person
        signed in is not the actor (an admin acting for a coder), ``after`` names them as ``signed_in``.
        """
        if self.signed_in is not None and self.signed_in != self.actor:
            after = {**(after or {}), "signed_in": self.signed_in}
        before, after = canonical_payload(before), canonical_payload(after)
        event = AuditEvent(
            at=utcnow(),
            actor=self.actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
            before_digest=payload_digest(before),
            after_digest=payload_digest(after),
        )
        self.session.add(event)
        self.events.append(event)

    def coder(self, name: str, *, create: bool = True) -> Coder:
        """The coder of that name, created on first use when ``create`` is true."""
        found = self.session.scalar(select(Coder).where(Coder.name == name))
        if found is None and create:
            found = Coder(name=name)
            self.session.add(found)
            self.session.flush()
            self.audit("coder.add", "coder", name, after={"name": name})
        if found is None:
            known = ", ".join(self.session.scalars(select(Coder.name).order_by(Coder.name))) or "none yet"
            raise NotFoundError(
                f"unknown coder {name!r} (coders: {known}); register them with `qda coders add {name}` "
                "or pass --new-coder"
            )
        return found

    def project(self) -> Project:
        """The study this store holds."""
        project = self.session.scalar(select(Project).order_by(Project.id))
        if project is None:
            raise StoreError("the store has no project; run `qda init`")
        return project


class Store:
    """An opened, schema-checked project store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.signed_in: str | None = None
        """The user signed in on this store (CLI and dashboard set it); the audit trail records them."""
        event.listen(self._sessions, "before_flush", check_flush)

    @property
    def url(self) -> str:
        """The database URL without password."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self, actor: str = "system") -> Iterator[Transaction]:
        """Commit everything done inside, or nothing if anything raises.

        A unique-constraint race (two processes adding the same coder or document at once) is a
        :class:`ConflictError` for the loser, not a traceback: nothing of its change was written.
        """
        try:
            with self._sessions() as session, session.begin():
                tx = Transaction(session=session, actor=actor, signed_in=self.signed_in)
                yield tx
                if tx.events:
                    session.flush()
                    seal(session, tx.events)
        except IntegrityError as exc:
            raise ConflictError(
                f"{conflict_subject(exc)} was written by another user or process at the same moment; "
                "nothing of this command was stored; run it again to see the current state"
            ) from None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; it never commits. Objects keep their loaded values after it closes."""
        with self._sessions() as session:
            yield session

    def scrub(self, *, vacuum: bool = True) -> dict[str, Any]:
        """Make deleted content unrecoverable from the SQLite file and its WAL (a no-op on other back-ends).

        Deletions already zero their pages (``secure_delete``); this copies the WAL into the database and
        truncates it (old page images live in WAL frames until then), then ``VACUUM`` rewrites the file
        without its free pages, and the WAL is truncated again. Another process reading the store at that
        moment can hold the checkpoint back: the result says whether it completed.
        """
        if self.engine.url.get_backend_name() != "sqlite":
            return {"backend": self.engine.url.get_backend_name(), "done": False}
        self.engine.dispose()  # our own idle connections must not pin old WAL frames
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if vacuum:
                conn.exec_driver_sql("VACUUM")
                busy2, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                busy = busy or busy2
        self.engine.dispose()
        return {"backend": "sqlite", "checkpointed": not busy, "vacuumed": vacuum}

    def close(self) -> None:
        """Release connections (and SQLite's WAL files)."""
        self.engine.dispose()


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _cannot_open(engine: Engine, url: str, exc: DatabaseError) -> StoreError:
    """One line for a store that does not open; with SQLCipher, "not a database" means the wrong key."""
    if engine.url.drivername == "sqlite+pysqlcipher" and "not a database" in str(exc.orig):
        return StoreError(f"the key does not open {engine.url.database}: wrong key ({KEY_ENV}); nothing was written")
    return StoreError(f"cannot open {mask_url(url)}: {_first_line(exc.orig)}")


def _enable_wal(engine: Engine) -> None:
    if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def create_store(url: str | None = None, project_name: str = "study", *, key: str | None = None) -> Store:
    """Create the schema and the project in an empty database; refuse one that already has a project.

    A new SQLite file (and so its WAL and shared-memory files, which SQLite gives the same mode) is
    readable and writable by its owner only (0600), whatever the umask. With a ``key`` (default:
    ``QDA_DB_KEY``) a new SQLite store is encrypted with SQLCipher.
    """
    engine = _make_engine(url or default_db_url(), key)
    create_private_sqlite(engine.url)
    try:
        _enable_wal(engine)
        existing = inspect(engine).get_table_names()
    except DatabaseError as exc:
        raise _cannot_open(engine, url or default_db_url(), exc) from None
    store = Store(engine)
    if "schema_info" in existing:
        _check_version(store)
        return store
    Base.metadata.create_all(engine)
    stamp_head(engine)
    with store.transaction(actor="system") as tx:
        tx.session.add(SchemaInfo(key="schema_version", value=str(SCHEMA_VERSION)))
        project = Project(name=project_name)
        tx.session.add(project)
        tx.session.flush()
        tx.audit("init", "project", project.id, after={"name": project_name})
    return store


def _check_version(store: Store) -> None:
    found = current_revision(store.engine)
    head = head_revision()
    if found != head:
        raise StoreError(
            f"{store.url} has schema revision {found}, this survivor-qda reads revision {head}; "
            "upgrade it with `qda db upgrade` (an SQLite store is backed up first), "
            "or open it with the survivor-qda release that made it"
        )


def _existing_engine(url: str, key: str | None = None) -> Engine:
    engine = _make_engine(url, key)
    path = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and path and path != ":memory:" and not os.path.exists(path):
        raise StoreError(f"no store at {path}; create it with `qda --db {mask_url(url)} init`")
    return engine


def open_store(url: str | None = None, *, key: str | None = None) -> Store:
    """Open an existing store and check its schema version; never creates tables.

    An encrypted store needs its ``key`` (default: ``QDA_DB_KEY``); a wrong or missing key is one
    :class:`StoreError` line, and nothing is written.
    """
    url = url or default_db_url()
    engine = _existing_engine(url, key)
    try:
        tables = inspect(engine).get_table_names()
    except DatabaseError as exc:
        engine.dispose()
        raise _cannot_open(engine, url, exc) from None
    if "schema_info" not in tables:
        raise StoreError(f"{mask_url(url)} is not a survivor-qda store (no schema_info table); run `qda init`")
    store = Store(engine)
    _check_version(store)
    return store


def store_revision(url: str | None = None) -> tuple[str | None, str]:
    """(the store's schema revision, the revision this release reads), without refusing an old store."""
    engine = _existing_engine(url or default_db_url())
    try:
        return current_revision(engine), head_revision()
    except DatabaseError as exc:
        raise _cannot_open(engine, url or default_db_url(), exc) from None
    finally:
        engine.dispose()


def upgrade_store(url: str | None = None, *, backup: bool = True) -> UpgradeReport:
    """Bring a store to this release's schema (an SQLite file is copied to a timestamped backup first)."""
    engine = _existing_engine(url or default_db_url())
    try:
        return upgrade(engine, backup=backup)
    finally:
        engine.dispose()


def encrypt_copy(source_url: str, target: str | os.PathLike[str], *, key: str | None, target_key: str | None) -> Path:
    """Copy an SQLite store into a new file, encrypted with ``target_key`` (None: a plain copy).

    ``key`` opens the source (None: the source is plain). SQLCipher's ``sqlcipher_export`` copies every
    table, index and row; the copy is then opened and checked (integrity, schema revision, row counts) before
    it is reported. The source is not changed; the target must not exist yet.

    Example:
        >>> encrypt_copy("sqlite:///study.sqlite", "secret.sqlite", key=None, target_key="k")  # doctest: +SKIP
    """
    from toolkit.io.private import create_private_file

    target_path = Path(target)
    if target_path.exists():
        raise StoreError(f"{target_path} exists already; name a new file (nothing was written)")
    source = open_store(source_url, key=key or "")
    path = sqlite_path(source.engine.url)
    if path is None:
        source.close()
        raise StoreError(f"{source.url} is not an SQLite file; encryption at rest applies to SQLite stores")
    source.scrub(vacuum=False)  # everything in the main file, so the copy misses nothing
    counts = _table_counts(source)
    source.close()
    try:
        import sqlcipher3  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise StoreError(
            "encryption needs SQLCipher: install it with `pip install 'survivor-qda[encryption]'`"
        ) from None
    create_private_file(target_path)
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        if key:
            conn.execute(f"PRAGMA key = {_quoted(key)}")
        conn.execute(f"ATTACH DATABASE {_quoted(str(target_path))} AS target KEY {_quoted(target_key or '')}")
        conn.execute("SELECT sqlcipher_export('target')")
        conn.execute("DETACH DATABASE target")
    except sqlcipher3.DatabaseError as exc:
        target_path.unlink(missing_ok=True)
        raise StoreError(f"could not copy {path} to {target_path}: {_first_line(exc)}") from None
    finally:
        conn.close()
    copy = open_store(f"sqlite:///{target_path}", key=target_key or "")
    try:
        _enable_wal(copy.engine)
        with copy.engine.connect() as conn:
            ok = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
        if ok != "ok" or _table_counts(copy) != counts:
            raise StoreError(f"the copy {target_path} does not match {path} ({ok}); it was removed")
    except StoreError:
        copy.close()
        target_path.unlink(missing_ok=True)
        raise
    copy.close()
    return target_path


def _quoted(value: str) -> str:
    """An SQL string literal (PRAGMA and ATTACH ... KEY take no bound parameters)."""
    return "'" + value.replace("'", "''") + "'"


def _table_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {name: conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar() or 0 for name in names}
