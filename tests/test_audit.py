"""The audit trail: every change to patient data, logins and record views, append-only."""
import pytest
from sqlalchemy import select

from tests.conftest import make_user
from tracker.audit.models import AuditEntry
from tracker.extensions import db


def entries(app, **filters):
    with app.app_context():
        stmt = select(AuditEntry).filter_by(**filters).order_by(AuditEntry.id)
        return [(e.action, e.entity, e.user_email, e.changes, e.ip, e.patient_id)
                for e in db.session.execute(stmt).scalars()]


def test_create_update_view_and_login_are_audited(app, client, auth):
    auth.login("admin")
    location = client.post("/patients/new", data={
        "given_name": "Ana", "family_name": "Silva", "date_of_birth": "1980-05-06",
        "sex": "female", "primary_practitioner_id": "0"}).headers["Location"]
    patient_id = int(location.split("/")[-1])
    client.post(f"{location}/edit", data={
        "given_name": "Ana", "family_name": "Silva-Costa", "date_of_birth": "1980-05-06",
        "sex": "female", "primary_practitioner_id": "0"})
    client.get(location)
    log = entries(app, patient_id=patient_id)
    actions = [row[0] for row in log]
    assert actions == ["create", "update", "view"]
    update = next(row for row in log if row[0] == "update")
    assert update[3] == {"family_name": ["Silva", "Silva-Costa"]}
    assert update[2] == "admin@example.org"
    assert update[4] == "10.0.0.1"
    assert ("login", "User") in [(row[0], row[1]) for row in entries(app)]


def test_failed_login_is_audited(app, client, auth):
    make_user(app, "admin")
    client.post("/login", data={"email": "nobody@example.org", "password": "wrong password"})
    failed = [row for row in entries(app) if row[0] == "login_failed"]
    assert failed and failed[0][2] == "nobody@example.org"


def test_audit_entries_cannot_be_edited(app, client, auth):
    auth.login("admin")
    with app.app_context():
        entry = db.session.execute(select(AuditEntry)).scalars().first()
        entry.action = "tampered"
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()


def test_admin_browses_and_filters_the_trail(app, client, auth):
    auth.login("admin")
    client.post("/patients/new", data={
        "given_name": "Ana", "family_name": "Silva", "date_of_birth": "1980-05-06",
        "sex": "female", "primary_practitioner_id": "0"})
    page = client.get("/audit/").data.decode()
    assert "create" in page and "Silva" in page
    with app.app_context():
        patient_id = db.session.execute(select(AuditEntry.patient_id).where(
            AuditEntry.patient_id.is_not(None))).scalars().first()
    filtered = client.get(f"/audit/?patient_id={patient_id + 1}").data.decode()
    assert "No entries match" in filtered
