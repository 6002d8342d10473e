"""Downloads: one patient's record as FHIR, sessions and outcomes as CSV; and the backup commands
(`flask exports backup FILE`, `flask exports verify FILE`, `flask exports restore FILE
--yes`)."""
import json
from pathlib import Path

import click
from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user
from flask_migrate import upgrade
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..audit.trail import record
from ..extensions import db
from ..patients.models import Patient
from ..permissions import require
from ..reports.forms import MAX_ID
from ..security import attachment
from . import backup, fhir, tables

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.route("/patients/<int:patient_id>/fhir.json")
@require("export.patient")
def patient_fhir(patient_id: int):
    if patient_id > MAX_ID:
        abort(404)
    patient = db.get_or_404(Patient, patient_id)
    bundle = fhir.patient_bundle(patient)
    record("export_fhir", "Patient", patient.id, patient.id,
           {"resources": len(bundle["entry"])})
    db.session.commit()
    return Response(json.dumps(bundle, ensure_ascii=False, indent=1),
                    mimetype="application/fhir+json", headers={
                        "Content-Disposition": attachment(f"patient-{patient.id}-fhir.json")})


@bp.route("/sessions.csv")
@require("export.research")
def sessions_csv():
    pseudonymised = request.args.get("pseudonymised") == "1"
    body = "".join(tables.write(pseudonymised, current_app.config["SECRET_KEY"]))
    record("export_csv", "SessionRecord", "", None,
           {"pseudonymised": pseudonymised, "by": current_user.email})
    db.session.commit()
    kind = "pseudonymised" if pseudonymised else "identified"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": attachment(f"sessions-{kind}-{clock.today():%Y%m%d}.csv")})


@bp.route("/sessions-codebook.csv")
@require("export.research")
def sessions_codebook():
    """What every column of the sessions CSV means, from the same declaration as the CSV."""
    return Response("".join(tables.codebook()), mimetype="text/csv", headers={
        "Content-Disposition": attachment("sessions-codebook.csv")})


NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


def _describe(checked: backup.Checked) -> list[str]:
    tables = len([t for t in checked.tables if t != "alembic_version"])
    lines = [f"{NAMES[checked.kind]} backup at schema version {checked.revision}: "
             f"{_rows(checked.rows)} in {tables} tables."]
    if checked.manifest:
        lines.append(f"Made {checked.manifest.get('created_at', '(date not recorded)')}; its size, "
                     "SHA-256 checksum and row counts match its manifest.")
    return lines + checked.notes


def _audit_quietly(action: str, changes: dict) -> None:
    """The audit row for a backup or restore; a database that cannot take it is reported, not
    turned into a traceback after the work is done."""
    try:
        record(action, "Database", "", None, changes)
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        click.echo(f"(The audit trail could not record this: {getattr(exc, 'orig', exc)}.)",
                   err=True)


@bp.cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path):
    """Copy the whole database to TARGET (safe while the app runs), verified, with a manifest
    beside it (TARGET.manifest.json)."""
    try:
        checked = backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit_quietly("backup", {"file": str(target), "revision": checked.revision,
                              "rows": checked.rows})
    click.echo(f"Backed up to {target} and checked: {_describe(checked)[0]}")
    click.echo(f"Manifest: {backup.manifest_path(target)}.")


@bp.cli.command("verify")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
def verify_command(source: Path):
    """Check the backup in SOURCE without restoring it: whole and readable, the tracker's
    tables, a schema version this release knows, the rows and checksum of its manifest."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        checked = backup.verify(source, url)
    except backup.BackupError as exc:
        raise click.ClickException(f"{exc} Do not restore it.") from exc
    for line in _describe(checked):
        click.echo(line)
    head = backup.head_revision()
    if checked.revision != head:
        click.echo(f"Restoring it will upgrade its schema from {checked.revision} to {head}.")
    click.echo(f"{source} is a sound backup.")


@bp.cli.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: every current row is replaced.")
@click.option("--keep-copy-in", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the copy of the database being replaced "
                   "(default: backups/ in the instance folder).")
def restore_command(source: Path, yes: bool, keep_copy_in: Path | None):
    """Replace the whole database with the backup in SOURCE, once it has passed every check;
    the database it replaces is kept as a backup first, and an older schema is upgraded."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    click.echo(f"1. Checking {source}")
    try:
        checked = backup.verify(source, url)
    except backup.BackupError as exc:
        raise click.ClickException(f"{exc} Nothing was restored; the database is unchanged."
                                   ) from exc
    for line in _describe(checked):
        click.echo(f"   {line}")
    if not yes:
        raise click.ClickException("Restoring replaces every row in the database. Stop the app, "
                                   "then run again with --yes.")
    db.session.remove()
    db.engine.dispose()
    click.echo("2. Keeping a copy of the current database")
    try:
        live = backup.counts(url)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"Cannot read the current database "
                                   f"({getattr(exc, 'orig', exc)}). Nothing was restored."
                                   ) from exc
    kept = None
    if not live:
        click.echo("   The database is empty: there is nothing to keep.")
    else:
        folder = keep_copy_in or Path(current_app.instance_path) / "backups"
        stamp = clock.now().strftime("%Y%m%dT%H%M%S.%fZ")
        suffix = "db" if checked.kind == "sqlite" else "dump"
        target = folder / f"before-restore-{stamp}.{suffix}"
        if target.exists():  # never over an earlier copy (nor the file being restored)
            raise click.ClickException(f"{target} already exists. Nothing was restored.")
        try:
            kept = backup.backup(url, target)
        except backup.BackupError as exc:
            raise click.ClickException(f"Could not keep a copy of the current database: {exc} "
                                       "Nothing was restored.") from exc
        click.echo(f"   Kept in {kept.path} ({_rows(kept.rows)}). To go back to it: "
                   f"flask exports restore {kept.path} --yes")
    click.echo(f"3. Restoring {source}")
    try:
        backup.restore(url, checked)
        restored = backup.counts(url)
    except (backup.BackupError, SQLAlchemyError) as exc:
        raise click.ClickException(f"{exc} Nothing was restored; the database is unchanged."
                                   ) from exc
    differ = sorted(t for t, n in checked.tables.items() if restored.get(t) != n)
    if differ:
        if kept is not None:
            backup.restore(url, kept)
        raise click.ClickException(
            f"The restored database does not hold the backup's rows ({', '.join(differ)}); "
            + ("the copy of the previous database was put back." if kept else ""))
    click.echo(f"   {_rows(checked.rows)} restored, as in the backup.")
    head = backup.head_revision()
    if checked.revision != head:
        steps = backup.steps_to_head(checked.revision)
        click.echo(f"4. Upgrading the schema from {checked.revision} to {head} "
                   f"({len(steps)} migration{'s' if len(steps) != 1 else ''})")
        for step in steps:
            click.echo(f"   {step}")
        try:
            upgrade(revision="heads")
        except Exception as exc:  # noqa: BLE001  (said plainly, with the way back)
            db.session.rollback()
            back = (f" The database as it was before the restore is in {kept.path}."
                    if kept else "")
            raise click.ClickException(
                f"The backup was restored at schema {checked.revision}, but upgrading it failed:"
                f" {getattr(exc, 'orig', exc)}.{back}") from exc
        click.echo(f"   The database is at schema version {head}.")
    _audit_quietly("restore", {"file": str(source), "revision": checked.revision,
                               "kept": str(kept.path) if kept else None})
    click.echo(f"Restored from {source}.")
