"""Full-database backup and restore: SQLite through its online backup API (safe while the app
is running), PostgreSQL through pg_dump / pg_restore in the custom format."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    pass


def _libpq(url: str) -> str:
    """pg_dump takes a libpq URL: drop SQLAlchemy's '+driver' part."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    return path


def backup(url: str, target: Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
    elif url.startswith("postgresql"):
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq(url)])
    else:
        raise BackupError(f"No backup method for {make_url(url).drivername}.")
    return target


def restore(url: str, source: Path) -> None:
    """Replace the whole database with the backup. The caller disposes of open connections."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    if url.startswith("sqlite"):
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not a sound SQLite database.")
            live = sqlite3.connect(_sqlite_path(url))
            try:
                with live:
                    backup_db.backup(live)
            finally:
                live.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup: {exc}") from exc
        finally:
            backup_db.close()
    elif url.startswith("postgresql"):
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq(url)}", str(source)])
    else:
        raise BackupError(f"No restore method for {make_url(url).drivername}.")


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client).")
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{command[0]} failed")
