"""Full-database backup and restore: SQLite through its online backup API (safe while the app
is running), PostgreSQL through pg_dump in the custom format.

A backup is written to a temporary file beside its target, read back in full (SQLite: the
header's page count, `PRAGMA integrity_check`; pg_dump: every data block through pg_restore),
checked to hold the tracker's tables and a migration version this code knows, and only then
renamed into place with its manifest, `FILE.manifest.json`: the format, the database kind, the
migration version, each table's row count, the size and the SHA-256 of the file. `verify`
makes the same checks (and compares them with the manifest) before any restore; nothing here
touches the live database until the backup has passed them."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url

from .. import MIGRATIONS  # the checkout's migrations/, or the installed wheel's

MANIFEST_SUFFIX = ".manifest.json"
FORMAT = 1
# Tables every schema of the tracker has had since its first migration.
CORE_TABLES = frozenset({"alembic_version", "patient", "user", "audit_entry"})
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    pass


@dataclass
class Checked:
    """What a backup file holds, once it has passed every check."""
    path: Path
    kind: str  # "sqlite" or "postgresql"
    revision: str
    tables: dict[str, int]
    manifest: dict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(n for t, n in self.tables.items() if t != "alembic_version")


def manifest_path(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + MANIFEST_SUFFIX)


def kind_of(url: str) -> str:
    if url.startswith("sqlite"):
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise BackupError(f"No backup method for {make_url(url).drivername}.")


def _scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    return "+".join(sorted(_scripts().get_heads()))


def known_revision(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # noqa: BLE001  (alembic raises several kinds for an unknown id)
        return False


def steps_to_head(revision: str) -> list[str]:
    """The migrations `flask db upgrade` runs from `revision`, oldest first, as 'id: title'."""
    scripts = _scripts()
    steps = [f"{r.revision}: {(r.doc or '').splitlines()[0] if r.doc else ''}".rstrip(": ")
             for r in scripts.iterate_revisions("heads", revision)]
    return list(reversed(steps))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """pg_dump takes a libpq URL: drop SQLAlchemy's '+driver' part, and the password, which goes
    in PGPASSWORD (the environment of the child only): never on a command line that `ps` shows."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    libpq = URL.create("postgresql", parsed.username, None, parsed.host, parsed.port,
                       parsed.database, parsed.query)
    return libpq.render_as_string(hide_password=False), env


def _private_file(path: Path) -> None:
    """Create (or keep) `path` readable by its owner only, before anything is written to it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    return path


def _sqlite_contents(path: Path) -> tuple[str | None, dict[str, int]]:
    """The migration version and row counts of a SQLite file, after checking it is whole."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        header = handle.read(100)
    page_size = int.from_bytes(header[16:18], "big") if len(header) == 100 else 0
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big") if len(header) == 100 else 0
    header_valid = len(header) == 100 and header[92:96] == header[24:28]
    if not page_size or size % page_size or (header_valid and pages and
                                              size != pages * page_size):
        expected = f" ({pages * page_size:,} expected)" if header_valid and pages else ""
        raise BackupError(f"{path} is cut short or damaged: {size:,} bytes{expected}. "
                          "It is not a whole SQLite database.")
    try:
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1",
                              uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened as a SQLite database: {exc}.") from exc
    try:
        problems = [r[0] for r in con.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            raise BackupError(f"{path} is damaged: SQLite's integrity check reports "
                              f"{'; '.join(problems)}")
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        quoted = {t: '"' + t.replace('"', '""') + '"' for t in tables}  # names from the file
        counts = {t: con.execute(f"SELECT count(*) FROM {quoted[t]}").fetchone()[0]  # noqa: S608
                  for t in tables}
        revision = None
        if "alembic_version" in counts:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return revision, counts
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is damaged: {exc}.") from exc
    finally:
        con.close()


_COPY = re.compile(r'^COPY (?:[^ ]+\.)?"?([^" (]+)"? ')


def _pg_contents(path: Path) -> tuple[str | None, dict[str, int]]:
    """The migration version and row counts of a pg_dump archive, read in full (pg_restore
    reads every data block, so a cut or damaged archive fails here, not half-way through a
    restore)."""
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed (apt-get install postgresql-client).")
    process = subprocess.Popen(["pg_restore", "--data-only", "--file=-", str(path)],  # noqa: S603,S607
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    counts: dict[str, int] = {}
    revision, table, version_rows = None, None, []
    assert process.stdout is not None
    for raw in process.stdout:
        if table is None:
            match = _COPY.match(raw.decode("utf-8", "replace"))
            if match:
                table = match.group(1)
                counts[table] = 0
            continue
        if raw in (b"\\.\n", b"\\."):
            table = None
            continue
        counts[table] += 1
        if table == "alembic_version":
            version_rows.append(raw.decode().strip())
    error = process.stderr.read().decode("utf-8", "replace").strip() if process.stderr else ""
    if process.wait() != 0 or table is not None:
        detail = error.splitlines()[-1] if error else "its data stops part-way"
        raise BackupError(f"{path} is cut short or damaged: pg_restore cannot read it "
                          f"({detail}).")
    if version_rows:
        revision = version_rows[0]
    listing = subprocess.run(["pg_restore", "--list", str(path)],  # noqa: S603,S607
                             capture_output=True, text=True, check=False)
    for line in listing.stdout.splitlines():  # tables with no rows have no COPY block lines
        match = re.search(r" TABLE (?:DATA )?\S+ (\S+) ", line)
        if match and not line.startswith(";"):
            counts.setdefault(match.group(1).strip('"'), 0)
    return revision, counts


def _kind_of_file(path: Path) -> str:
    with open(path, "rb") as handle:
        magic = handle.read(16)
    if magic.startswith(SQLITE_MAGIC):
        return "sqlite"
    if magic.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a tracker backup: it is neither a SQLite database nor a "
                      "pg_dump archive.")


def _check_contents(path: Path, kind: str) -> Checked:
    revision, counts = (_sqlite_contents if kind == "sqlite" else _pg_contents)(path)
    missing = sorted(CORE_TABLES - set(counts))
    if missing:
        raise BackupError(f"{path} is not a tracker backup: it has no {', '.join(missing)} "
                          f"table{'s' if len(missing) > 1 else ''}.")
    if not revision:
        raise BackupError(f"{path} has no migration version (alembic_version is empty), so "
                          "its schema is unknown.")
    if not known_revision(revision):
        raise BackupError(f"{path} was made at schema version {revision}, which this version "
                          f"of the tracker does not know (its newest is {head_revision()}). "
                          "Install the release that made it before restoring it.")
    return Checked(path=path, kind=kind, revision=revision, tables=counts)


def verify(source: Path, url: str | None = None) -> Checked:
    """Check a backup file without touching any database; BackupError says what is wrong."""
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source} does not exist.")
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    size = source.stat().st_size
    if size == 0:
        raise BackupError(f"{source} is empty (0 bytes): it holds no backup. A backup written "
                          "onto a full disk or from a wrong database address looks like this.")
    manifest = None
    if manifest_path(source).is_file():
        try:
            manifest = json.loads(manifest_path(source).read_text())
            expected_size, expected_sha = int(manifest["size"]), str(manifest["sha256"])
            expected_tables = {str(k): int(v) for k, v in dict(manifest["tables"]).items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{manifest_path(source)} is not a readable manifest "
                              f"({exc}).") from exc
        if size != expected_size:
            raise BackupError(f"{source} is {size:,} bytes but its manifest says "
                              f"{expected_size:,}: the file was cut short or changed after the "
                              "backup.")
        if _sha256(source) != expected_sha:
            raise BackupError(f"{source} does not match the checksum in its manifest: the file "
                              "was damaged or changed after the backup.")
    kind = _kind_of_file(source)
    checked = _check_contents(source, kind)
    checked.manifest = manifest
    if manifest is None:
        checked.notes.append(f"{source} has no manifest ({manifest_path(source).name}); its "
                             "structure, schema version and data were checked, not a checksum.")
    else:
        if manifest.get("kind", kind) != kind or manifest.get("revision") != checked.revision:
            raise BackupError(f"{source} does not match its manifest (database kind or schema "
                              "version differ).")
        differ = [f"{t} {checked.tables.get(t, 'missing')} (manifest {n})"
                  for t, n in sorted(expected_tables.items()) if checked.tables.get(t) != n]
        if differ:
            raise BackupError(f"{source} does not hold the rows its manifest lists: "
                              f"{'; '.join(differ)}.")
    if url is not None and kind_of(url) != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(f"{source} is a {names[kind]} backup, but this app's database is "
                          f"{names[kind_of(url)]}: restore it into a {names[kind]} database.")
    return checked


def _plain(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.strerror else str(exc)
    return str(exc).strip().rstrip(".") or type(exc).__name__


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(url: str, target: Path) -> Checked:
    """Copy the database to `target` by way of a temporary file, verified before it is renamed;
    a failed backup leaves nothing at `target` (an earlier file there is kept)."""
    target = Path(target)
    kind = kind_of(url)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file.")
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot create the folder {target.parent}: {_plain(exc)}.") from exc
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial_manifest = manifest_path(partial)
    try:
        _private_file(partial)
        if kind == "sqlite":
            _sqlite_copy(url, partial)
        else:
            libpq, env = _libpq(url)
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}", libpq], env,
                 what="pg_dump could not back up the database")
        _fsync(partial)
        try:
            checked = _check_contents(partial, kind)
        except BackupError as exc:
            raise BackupError(str(exc).replace(str(partial), "The new backup")) from exc
        manifest = {"format": FORMAT, "app": "acupuncture-tracker", "kind": kind,
                    "revision": checked.revision,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "file": target.name, "size": partial.stat().st_size,
                    "sha256": _sha256(partial), "tables": checked.tables}
        _private_file(partial_manifest)
        partial_manifest.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        _fsync(partial_manifest)
        os.replace(partial, target)
        os.replace(partial_manifest, manifest_path(target))
        _fsync(target.parent)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"Could not write the backup to {target}: {_plain(exc)}. Nothing was "
                          "saved there; free some space or fix the path and run it again."
                          ) from exc
    finally:
        for leftover in (partial, partial_manifest):
            leftover.unlink(missing_ok=True)
    checked.path, checked.manifest = target, manifest
    return checked


def _sqlite_copy(url: str, target: Path) -> None:
    path = Path(_sqlite_path(url))
    if not path.is_file():  # connecting would create an empty database and back that up
        raise BackupError(f"The database {path} does not exist: check TRACKER_DATABASE_URL.")
    try:
        source = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"Cannot open the database {path}: {exc}.") from exc
    dest = sqlite3.connect(target)
    try:
        with dest:
            source.backup(dest)
    finally:
        dest.close()
        source.close()


# Empties the app's schema in the restore's own transaction, so an older or newer schema (whose
# tables the archive does not name) cannot make the restore fail half-way.
_DROP_ALL = """DO $$ DECLARE r record; BEGIN
FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
  EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename); END LOOP;
FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() LOOP
  EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', r.sequencename); END LOOP;
FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = current_schema() AND t.typtype = 'e' LOOP
  EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname); END LOOP;
END $$;"""


def restore(url: str, checked: Checked) -> None:
    """Replace the whole database with a verified backup, in one transaction. The caller
    disposes of open connections first and keeps a copy of what is replaced."""
    source = checked.path
    if kind_of(url) != checked.kind:
        raise BackupError(f"{source} is a {checked.kind} backup; this database is not.")
    if checked.kind == "sqlite":
        backup_db = sqlite3.connect(f"file:{quote(str(source.resolve()))}?mode=ro", uri=True)
        try:
            live = sqlite3.connect(_sqlite_path(url))
            try:
                with live:
                    backup_db.backup(live)
            finally:
                live.close()
        except sqlite3.Error as exc:
            raise BackupError(f"Restoring {source} failed: {exc}. The database was not "
                              "changed.") from exc
        finally:
            backup_db.close()
        return
    libpq, env = _libpq(url)
    with tempfile.TemporaryDirectory(prefix="tracker-restore-") as tmp:
        script = Path(tmp) / "restore.sql"
        _run(["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(source)],
             env, what=f"pg_restore could not read {source}")
        _run(["psql", "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1",
              "-c", _DROP_ALL, "-f", str(script), f"--dbname={libpq}"], env,
             what="The restore was rolled back and the database was not changed")


def counts(url: str) -> dict[str, int]:
    """Row counts of every table in the live database (to compare with a restored backup)."""
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar()
                    for t in names}
    finally:
        engine.dispose()


def _run(command: list[str], env: dict[str, str], what: str = "") -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client).")
    result = subprocess.run(command, capture_output=True, text=True, check=False,  # noqa: S603
                            env=env)
    if result.returncode != 0:
        detail = " ".join(result.stderr.split()) or f"{command[0]} failed"
        raise BackupError(f"{what}: {detail}" if what else detail)
