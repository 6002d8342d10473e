"""Backups that cannot destroy (issue 14): a backup is verified before it is renamed into place,
with a manifest; `flask exports verify` checks one without restoring; restore refuses empty,
cut, foreign and text files with a plain message and the live rows intact, keeps a copy of the
database it replaces, and upgrades an older schema with its steps printed. Runs on SQLite, and on
PostgreSQL when TRACKER_TEST_DATABASE_URL names one (throwaway databases on the same server)."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tracker import create_app
from tracker.exports import backup
from tracker.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PG = (os.environ.get("TRACKER_TEST_DATABASE_URL") or "").startswith("postgresql")
SECRET = "test-secret-key-that-is-long-enough-0123456789"


class Server:
    """Throwaway databases: SQLite files, or PostgreSQL databases created beside the test one."""

    def __init__(self, folder: Path):
        self.folder, self.made = folder, []
        if PG:
            self.base = sa.engine.make_url(os.environ["TRACKER_TEST_DATABASE_URL"])

    def _admin(self, sql: str) -> None:
        engine = sa.create_engine(self.base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(sql))
        finally:
            engine.dispose()

    def new(self, template: str | None = None) -> str:
        name = f"bk_{uuid.uuid4().hex[:10]}"
        if not PG:
            path = self.folder / f"{name}.sqlite"
            if template:
                shutil.copyfile(sa.engine.make_url(template).database, path)
            return f"sqlite:///{path}"
        name = f"{self.base.database}_{name}"
        self._admin(f'CREATE DATABASE "{name}"' + (
            f' TEMPLATE "{sa.engine.make_url(template).database}"' if template else ""))
        self.made.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str | None = None) -> None:
        """Drop one database (by its URL), or all those made."""
        names = [sa.engine.make_url(url).database] if url else list(self.made)
        for name in names:
            if name in self.made:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                self.made.remove(name)


def app_for(url: str, instance: Path):
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False})
    app.instance_path = str(instance)
    return app


def add_patient(url: str, given: str) -> None:
    """A patient row through plain SQL, so it works at any schema version."""
    engine = sa.create_engine(url)
    try:
        table = sa.Table("patient", sa.MetaData(), autoload_with=engine)
        row = {}
        for col in table.columns:
            if col.primary_key or col.nullable or col.server_default is not None:
                continue
            kind = col.type.python_type
            row[col.name] = {str: "x", int: 0, bool: False, date: date(1970, 1, 1),
                             datetime: datetime.now(UTC)}.get(kind, "x")
        row |= {"given_name": given, "family_name": "Backup"}
        with engine.begin() as conn:
            conn.execute(table.insert().values(**row))
    finally:
        engine.dispose()


def patients(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(sa.text("SELECT given_name FROM patient")).scalars())
    finally:
        engine.dispose()


def revision_of(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    made = Server(tmp_path_factory.mktemp("databases"))
    yield made
    made.drop()


@pytest.fixture(scope="module")
def clinic(server, tmp_path_factory):
    """A database at the newest schema with three patients, and a good backup of it."""
    folder = tmp_path_factory.mktemp("clinic")
    url = server.new()
    app = app_for(url, folder)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()
    for name in ("Ada", "Bo", "Cy"):
        add_patient(url, name)
    good = folder / "good.bak"
    backup.backup(url, good)
    return {"url": url, "backup": good, "folder": folder}


def _copy_of(server, clinic, folder: Path):
    url = server.new(template=clinic["url"])
    app = app_for(url, folder / "instance")
    return {"url": url, "app": app, "run": lambda *args: app.test_cli_runner().invoke(
        args=["exports", *map(str, args)])}


@pytest.fixture
def live(server, clinic, tmp_path):
    """A copy of the clinic to restore into, its app and a CLI runner."""
    made = _copy_of(server, clinic, tmp_path)
    yield made
    with made["app"].app_context():
        db.engine.dispose()
    server.drop(made["url"])


@pytest.fixture(scope="module")
def untouched(server, clinic, tmp_path_factory):
    """One copy of the clinic for the refusals: each checks it is still as it was."""
    made = _copy_of(server, clinic, tmp_path_factory.mktemp("untouched"))
    yield made
    with made["app"].app_context():
        db.engine.dispose()


def test_backup_is_checked_and_described_by_its_manifest(live, tmp_path):
    target = tmp_path / "nightly" / "tracker.bak"
    result = live["run"]("backup", target)
    assert result.exit_code == 0, result.output
    assert "checked" in result.output and "schema version" in result.output
    manifest = json.loads(backup.manifest_path(target).read_text())
    assert manifest["kind"] == ("postgresql" if PG else "sqlite")
    assert manifest["revision"] == backup.head_revision()
    assert manifest["size"] == target.stat().st_size and len(manifest["sha256"]) == 64
    assert manifest["tables"]["patient"] == 3 and manifest["tables"]["alembic_version"] == 1
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "tracker.bak", "tracker.bak.manifest.json"]  # no partial file left behind
    verified = live["run"]("verify", target)
    assert verified.exit_code == 0, verified.output
    assert "sound backup" in verified.output and "match its manifest" in verified.output


def _foreign(server, path: Path) -> None:
    if not PG:
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE recipe (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO recipe (name) VALUES ('soup')")
        con.commit()
        con.close()
        return
    url = server.new()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE recipe (id serial PRIMARY KEY, name text)"))
        conn.execute(sa.text("INSERT INTO recipe (name) VALUES ('soup')"))
    engine.dispose()
    libpq, env = backup._libpq(url)
    subprocess.run(["pg_dump", "--format=custom", f"--file={path}", libpq],  # noqa: S607
                   env=env, check=True)


DAMAGE = [("empty", True, "is empty"), ("cut1", True, "cut short"), ("cut10", True, "cut short"),
          ("cut100", True, "cut short"), ("cut1", False, "cut short"),
          ("cut10", False, "cut short"), ("cut100", False, "cut short"),
          ("text", False, "neither a SQLite database nor a pg_dump archive"),
          ("foreign", False, "is not a tracker backup"),
          ("checksum", True, "checksum")]


@pytest.mark.parametrize(("damage", "with_manifest", "says"), DAMAGE,
                         ids=[f"{d}-{'manifest' if m else 'bare'}" for d, m, _ in DAMAGE])
def test_damaged_backups_are_refused_and_nothing_changes(untouched, clinic, server, tmp_path,
                                                         damage, with_manifest, says):
    live = untouched
    bad = tmp_path / "bad.bak"
    good = clinic["backup"]
    if damage == "empty":
        bad.write_bytes(b"")
    elif damage.startswith("cut"):
        bad.write_bytes(good.read_bytes()[:-int(damage[3:])])
    elif damage == "text":
        bad.write_text("patient,given_name\n1,Ada\n")
    elif damage == "foreign":
        _foreign(server, bad)
    elif damage == "checksum":  # same size, one byte changed in the middle
        data = bytearray(good.read_bytes())
        data[len(data) // 2] ^= 0xFF
        bad.write_bytes(bytes(data))
    if with_manifest:
        shutil.copyfile(backup.manifest_path(good), backup.manifest_path(bad))
    before = patients(live["url"])
    checked = live["run"]("verify", bad)
    assert checked.exit_code != 0 and says in checked.output, checked.output
    result = live["run"]("restore", bad, "--yes", "--keep-copy-in", tmp_path / "kept")
    assert result.exit_code != 0, result.output
    assert says in result.output and "Nothing was restored" in result.output, result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert patients(live["url"]) == before == ["Ada", "Bo", "Cy"]
    assert revision_of(live["url"]) == backup.head_revision()
    assert not (tmp_path / "kept").exists()  # refused before anything was touched


def test_restore_keeps_the_replaced_database_and_brings_rows_back(live, clinic, tmp_path):
    add_patient(live["url"], "Dee")  # made after the backup: only the kept copy has it
    result = live["run"]("restore", clinic["backup"], "--yes", "--keep-copy-in",
                         tmp_path / "kept")
    assert result.exit_code == 0, result.output
    assert "2. Keeping a copy" in result.output and "3. Restoring" in result.output
    assert patients(live["url"]) == ["Ada", "Bo", "Cy"]
    kept = [p for p in (tmp_path / "kept").iterdir() if not p.name.endswith(".json")]
    assert len(kept) == 1 and str(kept[0]) in result.output
    assert backup.verify(kept[0]).tables["patient"] == 4
    back = live["run"]("restore", kept[0], "--yes", "--keep-copy-in", tmp_path / "kept")
    assert back.exit_code == 0, back.output
    assert patients(live["url"]) == ["Ada", "Bo", "Cy", "Dee"]


def test_restore_refuses_without_yes_after_checking(live, clinic):
    result = live["run"]("restore", clinic["backup"])
    assert result.exit_code != 0 and "--yes" in result.output
    assert "schema version" in result.output  # the file was checked and described first


def test_an_older_schema_backup_is_restored_and_upgraded(live, server, tmp_path):
    old_url = server.new()
    app = app_for(old_url, tmp_path)
    with app.app_context():
        upgrade(revision="0010")
        db.engine.dispose()
    add_patient(old_url, "Old")
    old = tmp_path / "old.bak"
    assert backup.backup(old_url, old).revision == "0010"
    checked = live["run"]("verify", old)
    assert checked.exit_code == 0 and "upgrade its schema from 0010" in checked.output
    result = live["run"]("restore", old, "--yes", "--keep-copy-in", tmp_path / "kept")
    assert result.exit_code == 0, result.output
    assert "4. Upgrading the schema from 0010" in result.output
    assert "0011: baseline window" in result.output and "0014" in result.output
    assert revision_of(live["url"]) == backup.head_revision()
    assert patients(live["url"]) == ["Old"]
    with live["app"].app_context():  # the upgraded database matches the models
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert not [d for d in diff if d[0] in ("add_table", "add_column")], diff


def test_restore_into_a_fresh_empty_database(server, clinic, tmp_path):
    url = server.new()
    app = app_for(url, tmp_path)
    result = app.test_cli_runner().invoke(args=["exports", "restore", str(clinic["backup"]),
                                                "--yes"])
    assert result.exit_code == 0, result.output
    assert "nothing to keep" in result.output
    assert patients(url) == ["Ada", "Bo", "Cy"]
    with app.app_context():
        db.engine.dispose()


def test_backup_from_a_wrong_address_is_a_plain_error(tmp_path):
    target = tmp_path / "x.bak"
    if PG:
        base = sa.engine.make_url(os.environ["TRACKER_TEST_DATABASE_URL"])
        wrong = base.set(database="no_such_database_here").render_as_string(False)
        says = "pg_dump could not back up the database"
    else:
        wrong, says = f"sqlite:///{tmp_path}/typo.sqlite", "does not exist"
    app = app_for(wrong, tmp_path)
    result = app.test_cli_runner().invoke(args=["exports", "backup", str(target)])
    assert result.exit_code != 0 and says in result.output, result.output
    assert "Traceback" not in result.output
    assert not target.exists() and not (tmp_path / "typo.sqlite").exists()


def test_backup_onto_a_full_disk_leaves_the_earlier_backup(clinic, tmp_path):
    """A file-size limit makes every write past it fail as a full disk does (EFBIG)."""
    target = tmp_path / "full" / "tracker.bak"
    target.parent.mkdir()
    target.write_bytes(b"earlier backup")
    limit = clinic["backup"].stat().st_size // 2
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from tracker.exports import backup\n"
        "try:\n"
        f"    backup.backup({clinic['url']!r}, {str(target)!r})\n"
        "except backup.BackupError as exc:\n"
        "    print(exc); sys.exit(3)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 3, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert "tracker.bak" in run.stdout and "run it again" in run.stdout or (
        "could not back up" in run.stdout), run.stdout
    assert target.read_bytes() == b"earlier backup"
    assert sorted(p.name for p in target.parent.iterdir()) == ["tracker.bak"]


@pytest.mark.skipif(PG, reason="edits the SQLite file in place")
def test_a_backup_from_a_newer_release_is_refused(clinic, tmp_path):
    newer = tmp_path / "newer.bak"
    shutil.copyfile(clinic["backup"], newer)
    con = sqlite3.connect(newer)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    with pytest.raises(backup.BackupError, match="does not know"):
        backup.verify(newer)
