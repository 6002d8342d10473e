"""Full-database backup and restore: SQLite through its online backup API (safe while the app
is running), PostgreSQL through pg_dump / pg_restore in the custom format."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    pass


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


def backup(url: str, target: Path) -> Path:
    target = Path(target)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _private_file(target)
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
        libpq, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", libpq], env)
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
        libpq, env = _libpq(url)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={libpq}", str(source)], env)
    else:
        raise BackupError(f"No restore method for {make_url(url).drivername}.")


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client).")
    result = subprocess.run(command, capture_output=True, text=True, check=False,  # noqa: S603
                            env=env)
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{command[0]} failed")
