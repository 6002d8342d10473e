"""Clinic settings, the demo seed and the error pages."""
import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.patients.models import Patient
from tracker.settings.models import ClinicSettings

SETTINGS = {"name": "Riverside Acupuncture", "address": "1 Mill Lane", "phone": "020 7946 0000",
            "email": "", "time_zone": "Europe/London", "idle_timeout_minutes": "15",
            "intake_link_days": "14", "baseline_window_days": "30",
            "consent_text": "You may stop at any time."}


def test_admin_edits_settings_and_consent_gets_a_new_version(app, client, auth):
    auth.login("admin")
    page = html.unescape(client.get("/settings/").data.decode())
    assert "sterile, single-use needles" in page  # the default consent text
    assert client.post("/settings/", data=SETTINGS).status_code == 302
    client.post("/settings/", data=SETTINGS | {"consent_text": "Revised text."})
    client.post("/settings/", data=SETTINGS | {"consent_text": "Revised text.", "name": "New"})
    with app.app_context():
        row = db.session.execute(select(ClinicSettings)).scalar_one()
        assert (row.name, row.consent_version) == ("New", 3)


def test_settings_reject_bad_values_and_keep_typing(app, client, auth):
    auth.login("admin")
    response = client.post("/settings/", data=SETTINGS | {"idle_timeout_minutes": "0",
                                                          "time_zone": "Mars/Olympus"})
    text = html.unescape(response.data.decode())
    assert response.status_code == 400
    assert "Choose between 2 and 240 minutes." in text
    assert "Not a valid choice" in text
    assert "Riverside Acupuncture" in text
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ClinicSettings)).scalar() == 0


def test_idle_timeout_setting_applies(app, client, auth):
    auth.login("admin")
    client.post("/settings/", data=SETTINGS | {"idle_timeout_minutes": "2"})
    from sqlalchemy import update

    from tracker.accounts.models import LoginSession
    from tracker.timeutil import utcnow
    with app.app_context():
        db.session.execute(update(LoginSession).values(
            last_seen_at=utcnow() - timedelta(minutes=3)))
        db.session.commit()
    assert client.get("/patients/").status_code == 302


def test_seed_demo_builds_a_clinic_once(app, runner):
    result = runner.invoke(args=["seed-demo", "--patients", "12"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output

    def patients():
        with app.app_context():
            return db.session.execute(select(func.count()).select_from(Patient)).scalar()

    seeded = patients()
    assert seeded >= 12  # the register, plus the summary's worked-example patient
    with app.app_context():
        from tracker.settings.services import get_settings
        assert get_settings().id is not None and "Riverside" in get_settings().name
    again = runner.invoke(args=["seed-demo"])
    assert "already present" in again.output
    assert patients() == seeded


def test_server_error_page_is_friendly_and_rolls_back(make_app):
    from tests.conftest import Auth, Client
    app = make_app(PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @app.route("/boom")
    def boom():
        db.session.add(Patient(given_name="Half", family_name="Saved",
                               date_of_birth=date(1980, 1, 1)))
        db.session.flush()
        raise RuntimeError("boom")

    app.test_client_class = Client
    client = app.test_client()
    Auth(app, client).login("practitioner")
    response = client.get("/boom")
    assert response.status_code == 500
    assert b"Nothing was saved" in response.data
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Patient)).scalar() == 0


def test_first_run_hint(app, runner):
    assert "create the first administrator" in runner.invoke(args=["first-run-hint"]).output


def test_optimize_db_command(runner):
    result = runner.invoke(args=["optimize-db"])
    assert result.exit_code == 0 and "statistics refreshed" in result.output


def test_a_mail_password_typed_on_a_form_sent_back_is_said_to_be_not_saved(app, client, auth):
    """A password field is never filled back in: the owner is told beside it to enter it
    again, rather than finding out when reminders do not arrive."""
    auth.login("admin")
    response = client.post("/settings/", data=SETTINGS | {
        "smtp_host": "mail.example.org", "smtp_port": "99999", "smtp_password": "s3cret-pass"})
    text = html.unescape(response.data.decode())
    assert response.status_code == 400
    assert "The new password was not saved because of the problems on this page" in text
    assert "s3cret-pass" not in text


@pytest.mark.parametrize(("port", "tls", "said"), [
    ("465", "starttls", "Port 465 starts with TLS"), ("587", "ssl", "Port 587 uses STARTTLS")])
def test_a_port_and_encryption_that_never_connect_are_refused_beside_the_field(
        app, client, auth, port, tls, said):
    auth.login("admin")
    response = client.post("/settings/", data=SETTINGS | {
        "smtp_host": "mail.example.org", "smtp_port": port, "smtp_tls": tls})
    assert response.status_code == 400 and said in html.unescape(response.data.decode())
    ok = client.post("/settings/", data=SETTINGS | {
        "smtp_host": "mail.example.org", "smtp_port": port,
        "smtp_tls": "ssl" if tls == "starttls" else "starttls"})
    assert ok.status_code == 302


def test_changing_the_time_zone_says_what_it_does_to_booked_appointments(app, client, auth):
    from datetime import UTC, datetime

    from tests import factories
    from tracker import clock
    auth.login("admin")
    assert client.post("/settings/", data=SETTINGS).status_code == 302  # Europe/London
    with app.app_context(), clock.freeze(datetime(2026, 12, 1, 12, 0, tzinfo=UTC)):
        mei = factories.practitioner()
        visit_at = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)  # 09:30 in London in winter
        factories.appointment(factories.patient(), mei, visit_at)
        db.session.commit()
    with clock.freeze(datetime(2026, 12, 1, 12, 0, tzinfo=UTC)):
        saved = client.post("/settings/", data=SETTINGS | {"time_zone": "America/New_York"},
                            follow_redirects=True)
    text = html.unescape(saved.data.decode())
    assert ("The time zone is now America/New_York. Booked appointments (1) keep their "
            "moment in time") in text
    assert "08 Dec 09:30 in Europe/London, now shows as 08 Dec 04:30" in text
    again = client.post("/settings/", data=SETTINGS | {"time_zone": "America/New_York"},
                        follow_redirects=True)
    assert "The time zone is now" not in again.data.decode()  # said only when it changes
