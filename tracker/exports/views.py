"""Downloads: one patient's record as FHIR, sessions and outcomes as CSV; and the backup commands
(`flask exports backup FILE`, `flask exports restore FILE --yes`)."""
import json
from pathlib import Path

import click
from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user

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


@bp.cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path):
    """Copy the whole database to TARGET (safe while the app runs)."""
    try:
        backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    record("backup", "Database", "", None, {"file": str(target)})
    db.session.commit()
    click.echo(f"Backed up to {target}.")


@bp.cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: every current row is replaced.")
def restore_command(source: Path, yes: bool):
    """Replace the whole database with the backup in SOURCE."""
    if not yes:
        raise click.ClickException("Restoring replaces every row in the database. Stop the app, "
                                   "then run again with --yes.")
    db.session.remove()
    db.engine.dispose()
    try:
        backup.restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    record("restore", "Database", "", None, {"file": str(source)})
    db.session.commit()
    click.echo(f"Restored from {source}.")
