"""The register's "Last visit" is kept by the app: signing (and amending) a session record sets
the patient's last_visit_on to the newest signed visit; a migration fills it for old records."""
import re
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from tests.test_adjuncts import insert, migrated_app, scratch_database
from tests.test_sessions import payload
from tracker.extensions import db
from tracker.patients import services as patient_services
from tracker.patients.models import Patient
from tracker.schedule.models import Appointment
from tracker.sessions.models import SessionRecord

TODAY = date.today()


def patient(app, family: str) -> int:
    with app.app_context():
        p = patient_services.save(None, {"given_name": "Test", "family_name": family,
                                         "date_of_birth": date(1970, 5, 6)})
        db.session.commit()
        return p.id


def visit(app, client, user_id: int, patient_id: int, days_ago: int, sign=True, **changes):
    """An appointment `days_ago` days back (midday), its record opened and saved or signed."""
    with app.app_context():
        appointment = Appointment(patient_id=patient_id, practitioner_id=user_id,
                                  starts_at=datetime.combine(TODAY - timedelta(days=days_ago),
                                                             time(12, 0)))
        db.session.add(appointment)
        db.session.commit()
        appointment_id = appointment.id
    location = client.post(f"/appointments/{appointment_id}/session").headers["Location"]
    session_id = int(re.search(r"/sessions/(\d+)/edit", location).group(1))
    page = client.get(location).text
    response = client.post(location, data=payload(
        page, action="sign" if sign else "save", **{"points-0-point": "LI4"} | changes))
    assert response.status_code == 302, response.text
    return session_id


def last_visit(app, patient_id):
    with app.app_context():
        return db.session.get(Patient, patient_id).last_visit_on


def register(client, sort=None):
    text = client.get("/patients/", query_string={"sort": sort} if sort else {}).text
    return re.findall(r"<td><a [^>]*>([^<]+)</a>.*?</td>\s*<td>[^<]*</td>.*?<td>([^<]*)</td>\s*"
                      r"(?:<td><span [^>]*>[^<]*</span></td>\s*)?</tr>", text, re.S)  # intake


def test_signing_keeps_last_visit_and_the_register_sorts_by_it(app, client, auth):
    user_id = auth.login("practitioner")
    ana, ben, cai = patient(app, "Ana"), patient(app, "Ben"), patient(app, "Cai")
    for days in (30, 10):
        visit(app, client, user_id, ana, days)
    assert last_visit(app, ana) == TODAY - timedelta(days=10)
    visit(app, client, user_id, ana, 0, sign=False)   # a draft is not a visit on the register
    assert last_visit(app, ana) == TODAY - timedelta(days=10)
    first_ben = visit(app, client, user_id, ben, 2)
    assert last_visit(app, cai) is None

    shown = dict(register(client))
    assert shown["Ana, Test"] == (TODAY - timedelta(days=10)).strftime("%d %b %Y")
    assert shown["Ben, Test"] == (TODAY - timedelta(days=2)).strftime("%d %b %Y")
    assert shown["Cai, Test"] == "—"
    assert [name for name, _ in register(client, "last_visit")] == [
        "Ben, Test", "Ana, Test", "Cai, Test"]
    assert [name for name, _ in register(client, "-last_visit")] == [
        "Cai, Test", "Ana, Test", "Ben, Test"]

    # An older visit signed late, or an amendment, leaves the newest date where it is.
    visit(app, client, user_id, ben, 20)
    amend_page = client.get(f"/sessions/{first_ben}/amend").text
    assert client.post(f"/sessions/{first_ben}/amend", data=payload(
        amend_page, action="amend", reason="Re-rated", pain_after="2",
        **{"points-0-point": "LI4"})).status_code == 302
    assert last_visit(app, ben) == TODAY - timedelta(days=2)


def test_the_migration_backfills_last_visit_from_signed_records(tmp_path):
    from flask_migrate import upgrade
    with scratch_database(tmp_path) as url:
        app = migrated_app(url)
        with app.app_context():
            upgrade(revision="0012")
            user = insert("user", email="p@example.org", role="practitioner")
            seen, drafts_only, never = (
                insert("patient", given_name="A", family_name=name) for name in "XYZ")
            for day, status, who in ((3, "signed", seen), (9, "signed", seen),
                                     (12, "draft", seen), (5, "draft", drafts_only)):
                insert("session_record", patient_id=who, practitioner_id=user, status=status,
                       visit_on=date(2026, 4, day), stimulation="manual")
            db.engine.dispose()
            upgrade()
            with db.engine.connect() as conn:
                found = dict(conn.execute(sa.select(Patient.id, Patient.last_visit_on)).all())
            assert found == {seen: date(2026, 4, 9), drafts_only: None, never: None}
            assert db.session.scalar(sa.select(sa.func.count()).select_from(
                SessionRecord)) == 4
            db.session.remove()
            db.engine.dispose()
